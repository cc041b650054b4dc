// Command bench compares the price of an authenticated HTTP request across
// Negotiate servers on this machine, against a throwaway MIT realm:
//
//	floor         a tight gss.Acceptor.Accept loop, no HTTP
//	noauth        plain net/http, no authentication
//	ours          this repository's middleware and gss acceptor
//	ours+session  the same with sessions on: one token per connection, then the cookie
//	gogssapi      go-gssapi v3's http.Handler on go-gssapi-c
//	apache        Apache httpd with mod_auth_gssapi (Debian's packages)
//	gokrb5        gokrb5 v8's pure-Go SPNEGO handler, PAC decoding off
//
// Each server is its own process pinned to one CPU, the load driver is
// pinned to another, every request carries a token no server has seen (but
// for ours+session's, which carry the session cookie), and the table
// reports 2xx/s, the ratios to the floor, ours and noauth, non-2xx
// responses, latency, server CPU per request and peak RSS. BENCHMARKS.md
// describes the method.
//
// Usage:
//
//	bench [-duration 10s] [-conns 8] [-servers floor,noauth,...] [-profile DIR]
//	bench memory [-n 100000] [-batch 1000] [-every 10000] [-conns 8]
//	bench load ...   (internal: the load driver the bench starts on its CPU)
//
// Run it from the bench module (cd bench && go run ./cmd/bench): it builds
// the servers with the go command.
package main

import (
	"fmt"
	"os"
)

func main() {
	var err error
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "load":
			err = loadMain(os.Args[2:])
		case "memory":
			err = memoryMain(os.Args[2:])
		default:
			err = runMain(os.Args[1:])
		}
	} else {
		err = runMain(nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
