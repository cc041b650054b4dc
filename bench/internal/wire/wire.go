// Package wire is what passes between the bench processes: files of
// Negotiate tokens, written by the one process that makes them and read by
// the load driver and the floor, and the Stats those two print as JSON.
package wire

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// WriteTokens writes tokens to path, one base64 (standard, padded) token a
// line, readable only by the owner.
func WriteTokens(path string, tokens [][]byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, t := range tokens {
		w.WriteString(base64.StdEncoding.EncodeToString(t))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadTokens reads a file written by WriteTokens and returns its lines, the
// base64 tokens, undecoded.
func ReadTokens(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil, fmt.Errorf("%s: no tokens", path)
	}
	return lines, nil
}

// Stats is the outcome of one measured run: of a load driver against a
// server, or of the floor's accept loop.
type Stats struct {
	OK        int64         // 2xx responses, or accepts that succeeded
	Failed    int64         // non-2xx responses, or accepts that failed
	Errors    int64         // transport errors (the load driver only)
	Total     int64         // operations answered, warm-up included
	Elapsed   time.Duration // length of the measured window
	P50, P99  time.Duration // latency of one request, or one accept
	Exhausted bool          // the tokens ran out before the window closed

	// Set by the floor, which measures itself.
	CPU       time.Duration `json:",omitempty"` // its CPU time in the measured window
	PeakRSSKB int64         `json:",omitempty"` // its VmHWM
}

// Rate is the successful operations per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

// Percentiles sorts lat in place and returns its 50th and 99th percentiles
// (nearest rank), zero for an empty slice.
func Percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.5) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	return rank(0.50), rank(0.99)
}

// Print writes s to w as one line of JSON.
func (s Stats) Print(w io.Writer) error { return json.NewEncoder(w).Encode(s) }

// ParseStats reads the last line of out as Stats: the processes that print
// them may have printed other lines before.
func ParseStats(out []byte) (Stats, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var s Stats
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		return Stats{}, fmt.Errorf("stats: %w in %q", err, out)
	}
	return s, nil
}
