// Command noauth is the benchmark's no-auth baseline: plain net/http that
// answers every request 200 "ok", ignoring its Authorization header. It
// shows what HTTP alone costs on this machine.
package main

import (
	"io"
	"log"
	"net/http"

	"github.com/negotiate-go/negotiate/bench/internal/serve"
)

func main() {
	cfg := serve.ParseFlags()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	if err := serve.Run(cfg, h); err != nil {
		log.Fatal(err)
	}
}
