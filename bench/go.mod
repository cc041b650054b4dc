module github.com/negotiate-go/negotiate/bench

go 1.26

replace github.com/negotiate-go/negotiate => ../

require (
	github.com/golang-auth/go-gssapi-c v0.1.4
	github.com/golang-auth/go-gssapi/v3 v3.0.2-beta7
	github.com/jcmturner/goidentity/v6 v6.0.1
	github.com/jcmturner/gokrb5/v8 v8.4.4
	github.com/negotiate-go/negotiate v0.0.0-00010101000000-000000000000
)

require (
	github.com/golang-auth/go-channelbinding v1.1.0 // indirect
	github.com/hashicorp/go-uuid v1.0.3 // indirect
	github.com/jcmturner/aescts/v2 v2.0.0 // indirect
	github.com/jcmturner/dnsutils/v2 v2.0.0 // indirect
	github.com/jcmturner/gofork v1.7.6 // indirect
	github.com/jcmturner/rpc/v2 v2.0.3 // indirect
	golang.org/x/crypto v0.6.0 // indirect
	golang.org/x/net v0.7.0 // indirect
)
