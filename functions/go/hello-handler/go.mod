module hello-handler

go 1.19
