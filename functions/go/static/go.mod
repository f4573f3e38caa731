module static

go 1.19
