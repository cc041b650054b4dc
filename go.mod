module github.com/negotiate-go/negotiate

go 1.26

require (
	github.com/golang-auth/go-gssapi-c v0.1.4
	github.com/golang-auth/go-gssapi/v3 v3.0.2-beta7
)
