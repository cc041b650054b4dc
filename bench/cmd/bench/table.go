package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// table formats the rows as a Markdown table with the run's conditions,
// what the columns mean, and each server's footnote.
func table(rows []row, r *runner) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s, %s, %d CPUs; server on CPU %d, load on CPU %d; %d keep-alive connections; %v warm-up + %v measured per server",
		time.Now().Format(time.DateOnly), runtime.Version(), runtime.NumCPU(), r.serverCPU, r.loadCPU, r.conns, r.warmup, r.duration)
	if r.profileDir != "" {
		b.WriteString("; Go servers PROFILED (slower)")
	}
	b.WriteString("\n\n")
	b.WriteString("| server | 2xx/s | × floor | × ours | × noauth | non-2xx | p50 | p99 | server CPU/req | × floor (CPU) | × ours (CPU) | × noauth (CPU) | peak RSS | others' load |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	floor, ours, noauth := find(rows, "floor"), find(rows, "ours"), find(rows, "noauth")
	for i, rw := range rows {
		name := fmt.Sprintf("%s [%d]", rw.name, i+1)
		if rw.err != nil {
			fmt.Fprintf(&b, "| %s | failed: %s |%s\n", name, oneLine(rw.err.Error()), strings.Repeat(" |", 12))
			continue
		}
		s := rw.stats
		nonOK := fmt.Sprint(s.Failed)
		if s.Errors > 0 {
			nonOK += fmt.Sprintf(" (+%d transport errors)", s.Errors)
		}
		rss := fmt.Sprintf("%.1f MB", float64(rw.peakKB)/1024)
		if rw.start == nil {
			rss = "–" // the floor holds its whole token pool in memory
		}
		cpu := rw.cpuPerOp.Seconds()
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %.1f µs | %s | %s | %s | %s | %.0f%% |\n",
			name, s.Rate(), ratio(s.Rate(), floor.rate()), ratio(s.Rate(), ours.rate()), ratio(s.Rate(), noauth.rate()), nonOK,
			ms(s.P50), ms(s.P99), cpu*1e6,
			ratio(floor.cpu(), cpu), ratio(ours.cpu(), cpu), ratio(noauth.cpu(), cpu),
			rss, 100*(rw.usage.others+rw.usage.steal))
	}
	b.WriteString("\n" + columns + "\n\n")
	for i, rw := range rows {
		fmt.Fprintf(&b, "%d. %s: %s", i+1, rw.name, rw.note)
		if rw.err == nil && rw.stats.Exhausted {
			fmt.Fprintf(&b, " (its tokens ran out before the window closed: measured over %v)", rw.stats.Elapsed.Round(time.Millisecond))
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// columns explains the columns that are not self-evident.
const columns = `"2xx/s" counts the measured window only; "× floor", "× ours" and "× noauth" divide it by the floor's, ours' and noauth's. ` +
	`"p50" and "p99" are request latencies seen by the load driver (the floor's: one accept). ` +
	`"server CPU/req" is the server process's user+system CPU time over the load run divided by the requests it answered, warm-up included ` +
	`(the kernel's softirq work for loopback TCP is charged to no process, so it is not in it). ` +
	`"× floor (CPU)", "× ours (CPU)" and "× noauth (CPU)" are the same ratios computed from it (the floor's, ours' or noauth's CPU per request divided by this server's): ` +
	`unlike 2xx/s they hardly move when something else takes the server's CPU. ` +
	`"peak RSS" is the server's VmHWM. ` +
	`"others' load" is the user+system CPU time, in percent of one CPU, that processes other than the bench's spent during the run, steal included: ` +
	`the noise each row was measured under.`

// find returns the row of the named server, nil if it did not run or failed.
func find(rows []row, name string) *row {
	for i := range rows {
		if rows[i].name == name && rows[i].err == nil {
			return &rows[i]
		}
	}
	return nil
}

// rate is the row's 2xx/s, 0 for a nil row.
func (rw *row) rate() float64 {
	if rw == nil {
		return 0
	}
	return rw.stats.Rate()
}

// cpu is the row's CPU seconds per request, 0 for a nil row.
func (rw *row) cpu() float64 {
	if rw == nil {
		return 0
	}
	return rw.cpuPerOp.Seconds()
}

// ratio formats x/base, or a dash when either is unknown.
func ratio(x, base float64) string {
	if base == 0 || x == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x/base)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
