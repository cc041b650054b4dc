module github.com/negotiate-go/negotiate/examples

go 1.26.0

replace github.com/negotiate-go/negotiate => ../

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/negotiate-go/negotiate v0.0.0-00010101000000-000000000000
)
