package integration

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
)

// acceptLoopVar names the environment variable that turns
// TestAcceptLoopMemory on and says how many accepts it runs.
const acceptLoopVar = "NEGOTIATE_ACCEPT_LOOP"

// TestAcceptLoopMemory runs the cgo layer, client and server side, through
// many accepts of every kind and checks that the process's resident memory
// stays flat: after a warm-up of a tenth of the loop, it may grow by 5% at
// most. Each round makes a fresh token and accepts it, and in turn:
// SPNEGO and raw Kerberos tokens whose replies the client verifies, a
// replay, a truncated token, a token for another service, garbage, and
// every 100th round a delegated credential stored into a ccache file and
// released. It runs only when NEGOTIATE_ACCEPT_LOOP is set, to the number
// of rounds (`make memcheck` runs 100000), and logs its figures:
//
//	NEGOTIATE_ACCEPT_LOOP=100000 go test -run TestAcceptLoopMemory -v ./integration/
func TestAcceptLoopMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(acceptLoopVar))
	if n <= 0 {
		t.Skipf("set %s=N to run N accepts", acceptLoopVar)
	}
	n = max(n, 1000)
	acc, err := gss.NewAcceptor(realm.AcceptorOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()

	// alice's own ccache, which gets the service tickets once.
	cc := filepath.Join(t.TempDir(), "alice.ccache")
	copyFile(t, strings.TrimPrefix(realm.AliceCCache, "FILE:"), cc)
	spnego, err := gss.NewInitiator(gss.WithCCache("FILE:" + cc))
	if err != nil {
		t.Fatal(err)
	}
	defer spnego.Close()
	raw, err := gss.NewInitiator(gss.WithCCache("FILE:"+cc), gss.WithRawKerberos())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	store := "FILE:" + filepath.Join(t.TempDir(), "delegated")

	start := func(ini *gss.Initiator, svc string, flags negotiate.Flags) (*gss.ClientContext, []byte) {
		ctx, tok, err := ini.Start(svc, flags)
		if err != nil {
			t.Fatal(err)
		}
		return ctx, tok
	}
	// good accepts a fresh token and has the client verify the reply.
	good := func(ini *gss.Initiator, flags negotiate.Flags) []byte {
		ctx, tok := start(ini, target, flags)
		defer ctx.Close()
		res, err := acc.Accept(tok)
		if err != nil {
			t.Fatal(err)
		}
		if res.Delegated != nil {
			defer res.Delegated.Release()
		}
		if res.Principal != "alice@EXAMPLE.TEST" {
			t.Fatalf("principal %q", res.Principal)
		}
		if err := ctx.Finish(res.OutputToken); err != nil {
			t.Fatal(err)
		}
		if flags&negotiate.FlagDelegate != 0 {
			if res.Delegated == nil {
				t.Fatal("no delegated credential")
			}
			if err := res.Delegated.Store(store); err != nil {
				t.Fatal(err)
			}
		}
		return tok
	}
	refused := func(tok []byte, want error) {
		res, err := acc.Accept(tok)
		if !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
		if res.Delegated != nil {
			t.Fatal("a refused token came with a delegated credential")
		}
	}
	garbage := bytes.Repeat([]byte("\x60\x82garbage"), 40)

	var marks []memMark
	began := time.Now()
	for i := range n {
		switch i % 8 {
		case 0, 1, 2:
			flags := negotiate.Flags(0)
			if i%100 == 0 {
				flags = negotiate.FlagDelegate
			}
			good(spnego, flags)
		case 3:
			good(raw, 0)
		case 4:
			refused(good(spnego, 0), negotiate.ErrReplay)
		case 5:
			ctx, tok := start(spnego, target, 0)
			refused(tok[:len(tok)-7], negotiate.ErrDefectiveToken)
			ctx.Close()
		case 6:
			ctx, tok := start(raw, "HTTP@other.localhost", 0)
			refused(tok, negotiate.ErrWrongService)
			ctx.Close()
		case 7:
			refused(garbage, negotiate.ErrDefectiveToken)
		}
		if done := i + 1; done%(n/10) == 0 {
			marks = append(marks, sampleMemory(t, done, time.Since(began)))
		}
	}
	for _, m := range marks {
		t.Logf("after %7d rounds (%6.1fs, %5.0f rounds/s): RSS %6d KiB, Go heap in use %6d KiB, threads %d",
			m.rounds, m.took.Seconds(), float64(m.rounds)/m.took.Seconds(), m.rssKiB, m.heapKiB, m.threads)
	}
	warm, end := marks[0], marks[len(marks)-1]
	growth := float64(end.rssKiB-warm.rssKiB) / float64(warm.rssKiB)
	t.Logf("RSS growth from round %d to round %d: %+.2f%%", warm.rounds, end.rounds, 100*growth)
	if asanBuild {
		t.Log("built with -asan: LeakSanitizer checks for leaks at exit, not RSS")
	} else if growth > 0.05 {
		t.Errorf("RSS grew by %.1f%% (%d KiB to %d KiB) over %d rounds", 100*growth, warm.rssKiB, end.rssKiB, end.rounds-warm.rounds)
	}
}

type memMark struct {
	rounds          int
	took            time.Duration
	rssKiB, heapKiB int64
	threads         int64
}

// sampleMemory collects garbage, returns freed memory to the system, and
// reads the process's resident set from /proc.
func sampleMemory(t *testing.T, rounds int, took time.Duration) memMark {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := procStatus(t, os.Getpid())
	return memMark{rounds: rounds, took: took, rssKiB: st["VmRSS"], heapKiB: int64(ms.HeapInuse >> 10), threads: st["Threads"]}
}

// procStatus reads the numeric fields of /proc/PID/status, in kB where
// the file says kB.
func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}
