module isola.dev/helpers/vmexec

go 1.19
