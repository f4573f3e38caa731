module alloc

go 1.19
