module read

go 1.19
