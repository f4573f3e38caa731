module hello-server

go 1.19
