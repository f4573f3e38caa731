module coldstart-probe

go 1.19
