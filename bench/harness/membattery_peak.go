package harness

import (
	"time"

	"github.com/fastws/fastws/bench/procstat"
)

// PeakMethod is how a row's peak RSS was found.
type PeakMethod int

// The two ways of finding a peak.
const (
	// PeakHWM: the kernel's high-water mark (VmHWM), reset to the current
	// RSS before the shape by writing 5 to /proc/<pid>/clear_refs. Exact.
	PeakHWM PeakMethod = iota + 1
	// PeakSampled: VmRSS read every peakSampleInterval during the shape,
	// for kernels where the reset is refused or has no effect. A peak
	// shorter than the interval can be missed.
	PeakSampled
)

func (m PeakMethod) String() string {
	switch m {
	case PeakHWM:
		return "VmHWM after clear_refs"
	case PeakSampled:
		return "VmRSS sampled every 5 ms"
	}
	return "none"
}

const peakSampleInterval = 5 * time.Millisecond

// hwmResetSlack is how far VmHWM may be above VmRSS right after a reset
// that worked: the RSS read a moment later can only have grown, but
// pages may have been given back in between.
const hwmResetSlack = 1 << 20

// peakTracker follows one process's peak RSS over a shape.
type peakTracker struct {
	pid    int
	method PeakMethod
	stop   chan struct{}
	done   chan struct{}
	max    int64
	err    error
}

// startPeak resets pid's high-water mark, or, if that does not work
// here, starts sampling its RSS.
func startPeak(pid int) *peakTracker {
	t := &peakTracker{pid: pid, method: PeakHWM}
	if hwmResets(pid) {
		return t
	}
	t.method = PeakSampled
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	go t.sample()
	return t
}

// hwmResets resets pid's VmHWM and reports whether it took effect.
func hwmResets(pid int) bool {
	if procstat.ResetPeakRSS(pid) != nil {
		return false
	}
	hwm, err1 := procstat.PeakRSS(pid)
	rss, err2 := procstat.RSS(pid)
	return err1 == nil && err2 == nil && hwm <= rss+hwmResetSlack
}

func (t *peakTracker) sample() {
	defer close(t.done)
	tick := time.NewTicker(peakSampleInterval)
	defer tick.Stop()
	for stopped := false; !stopped; {
		select {
		case <-t.stop:
			stopped = true // one last reading, at the end of the shape
		case <-tick.C:
		}
		rss, err := procstat.RSS(t.pid)
		if err != nil {
			t.err = err
			return
		}
		t.max = max(t.max, rss)
	}
}

// finish returns the peak RSS since startPeak.
func (t *peakTracker) finish() (int64, error) {
	if t.method == PeakHWM {
		return procstat.PeakRSS(t.pid)
	}
	close(t.stop)
	<-t.done
	return t.max, t.err
}
