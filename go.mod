module github.com/negotiate-go/negotiate

go 1.24
