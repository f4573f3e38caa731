module isola.dev/guest/init

go 1.19
