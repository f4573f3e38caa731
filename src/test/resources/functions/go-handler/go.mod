module example.com/gohandler

go 1.19
