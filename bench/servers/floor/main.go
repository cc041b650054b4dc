// Command floor measures the floor of an authenticated request: a tight
// loop of gss.Acceptor.Accept over fresh SPNEGO tokens, one goroutine, no
// HTTP. It reads the tokens from a file, accepts each once, and prints
// wire.Stats as JSON, its own peak RSS included.
package main

import (
	"encoding/base64"
	"flag"
	"log"
	"os"
	"time"

	"github.com/negotiate-go/negotiate/bench/internal/procstat"
	"github.com/negotiate-go/negotiate/bench/internal/wire"
	"github.com/negotiate-go/negotiate/gss"
)

func main() {
	keytab := flag.String("keytab", "", "service keytab `path`")
	tokenFile := flag.String("tokens", "", "token file `path` (wire.WriteTokens)")
	warmup := flag.Duration("warmup", time.Second, "accept for this long before measuring")
	duration := flag.Duration("duration", 10*time.Second, "length of the measured window")
	flag.Parse()

	lines, err := wire.ReadTokens(*tokenFile)
	if err != nil {
		log.Fatal(err)
	}
	tokens := make([][]byte, len(lines))
	for i, l := range lines {
		if tokens[i], err = base64.StdEncoding.DecodeString(l); err != nil {
			log.Fatalf("token %d: %v", i, err)
		}
	}
	acc, err := gss.NewAcceptor(gss.WithKeytab(*keytab), gss.WithHostname("localhost"))
	if err != nil {
		log.Fatal(err)
	}
	defer acc.Close()

	stats := run(acc, tokens, *warmup, *duration)
	if m, err := procstat.Read(0); err == nil {
		stats.PeakRSSKB = m.PeakKB
	}
	if err := stats.Print(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run accepts tokens in order for warmup, then measures for duration or
// until the tokens run out.
func run(acc *gss.Acceptor, tokens [][]byte, warmup, duration time.Duration) wire.Stats {
	var s wire.Stats
	lat := make([]time.Duration, 0, len(tokens))
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	measuring := false
	var cpu0 time.Duration
	i := 0
	for ; i < len(tokens); i++ {
		t0 := time.Now()
		if t0.After(end) {
			break
		}
		if !measuring && t0.After(measureFrom) {
			measuring, start = true, t0
			cpu0, _ = procstat.CPUTime(0)
		}
		res, err := acc.Accept(tokens[i])
		s.Total++
		if res.Delegated != nil {
			res.Delegated.Release()
		}
		if !measuring {
			continue
		}
		lat = append(lat, time.Since(t0))
		if err != nil {
			if s.Failed == 0 {
				log.Printf("first failure: %v", err)
			}
			s.Failed++
		} else {
			s.OK++
		}
	}
	s.Elapsed = time.Since(start)
	if cpu1, err := procstat.CPUTime(0); err == nil && measuring {
		s.CPU = cpu1 - cpu0
	}
	s.Exhausted = i == len(tokens)
	s.P50, s.P99 = wire.Percentiles(lat)
	return s
}
