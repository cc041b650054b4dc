// Package procstat reads a process's memory figures from /proc (Linux) and
// the C heap of the calling process from glibc.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Memory is a process's resident set, in KiB, and its thread count, from
// /proc/PID/status.
type Memory struct {
	RSSKB   int64 // VmRSS: resident now
	PeakKB  int64 // VmHWM: the peak resident set since the process started
	Threads int64 // OS threads: cgo calls that block each hold one
}

// Read reads the memory figures of process pid; pid 0 is the caller.
func Read(pid int) (Memory, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		unit := "kB"
		switch string(key) {
		case "VmRSS":
			dst = &m.RSSKB
		case "VmHWM":
			dst = &m.PeakKB
		case "Threads":
			dst, unit = &m.Threads, ""
		default:
			continue
		}
		// "    1234 kB", or "   12" for Threads
		f := bytes.Fields(val)
		if len(f) == 0 || (unit != "" && (len(f) != 2 || string(f[1]) != unit)) {
			return Memory{}, fmt.Errorf("%s: unexpected %s line %q", path, key, val)
		}
		if *dst, err = strconv.ParseInt(string(f[0]), 10, 64); err != nil {
			return Memory{}, fmt.Errorf("%s: %s: %w", path, key, err)
		}
	}
	if m.PeakKB == 0 {
		return Memory{}, fmt.Errorf("%s: no VmHWM line", path)
	}
	return m, nil
}
