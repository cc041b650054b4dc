package main

import (
	"time"

	"github.com/negotiate-go/negotiate/bench/internal/procstat"
)

// meter measures, over one run, the CPU time a server used and how busy the
// rest of the machine was: this is a shared 2-core machine, and a run's
// figures are worth as much as the quiet it had.
type meter struct {
	serverPID                     int // 0 when there is no server process to follow
	t0                            time.Time
	server0, self0, busy0, steal0 time.Duration
}

// usage is what a meter saw.
type usage struct {
	server time.Duration // CPU time of the server
	others float64       // CPUs' worth of busy time not spent by the bench's own processes
	steal  float64       // CPUs' worth of time the hypervisor gave elsewhere
}

func startMeter(serverPID int) (*meter, error) {
	m := &meter{serverPID: serverPID, t0: time.Now()}
	var err error
	if serverPID != 0 {
		if m.server0, err = procstat.CPUTime(serverPID); err != nil {
			return nil, err
		}
	}
	if m.self0, err = procstat.CPUTime(0); err != nil {
		return nil, err
	}
	m.busy0, m.steal0, err = procstat.MachineCPU()
	return m, err
}

// stop ends the measurement. children is the CPU time of the processes the
// bench ran meanwhile and waited for (the load driver, or the floor).
func (m *meter) stop(children time.Duration) (usage, error) {
	var u usage
	wall := time.Since(m.t0).Seconds()
	var err error
	if m.serverPID != 0 {
		s1, err := procstat.CPUTime(m.serverPID)
		if err != nil {
			return u, err
		}
		u.server = s1 - m.server0
	}
	self1, err := procstat.CPUTime(0)
	if err != nil {
		return u, err
	}
	busy1, steal1, err := procstat.MachineCPU()
	if err != nil {
		return u, err
	}
	ours := u.server + children + (self1 - m.self0)
	u.others = max(0, (busy1-m.busy0-ours).Seconds()/wall)
	u.steal = (steal1 - m.steal0).Seconds() / wall
	return u, nil
}
