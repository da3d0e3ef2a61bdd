package streamcopy

import (
	"slices"
	"time"
)

// Summary is the median of a case's successful copies.
type Summary struct {
	OK, Failed int
	Wall       time.Duration // median wall time
	MBps       float64       // bytes / median wall, in 10⁶ B/s
	MinMBps    float64       // of the slowest copy
	MaxMBps    float64       // of the fastest copy
	CPUPerGiB  float64       // median process CPU seconds per GiB (2³⁰ B)
	Cores      float64       // median CPU time / wall time
	FirstErr   error
}

// Summarize takes the medians of cr's successful copies.
func Summarize(cr CaseResult) Summary {
	var s Summary
	var walls, cpus, cores, rates []float64
	var bytes int64
	for _, r := range cr.Runs {
		if r.Err != nil {
			s.Failed++
			if s.FirstErr == nil {
				s.FirstErr = r.Err
			}
			continue
		}
		s.OK++
		bytes = r.Bytes
		walls = append(walls, float64(r.Wall))
		cpus = append(cpus, cpuPerGiB(r.CPU, r.Bytes))
		cores = append(cores, float64(r.CPU)/float64(r.Wall))
		rates = append(rates, mbps(r.Bytes, r.Wall))
	}
	if s.OK == 0 {
		return s
	}
	s.Wall = time.Duration(median(walls))
	s.MBps = mbps(bytes, s.Wall)
	s.MinMBps, s.MaxMBps = slices.Min(rates), slices.Max(rates)
	s.CPUPerGiB = median(cpus)
	s.Cores = median(cores)
	return s
}

// median of a non-empty slice (the mean of the middle two for an even
// count); it sorts v.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func mbps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds() / 1e6
}

func cpuPerGiB(cpu time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return cpu.Seconds() / (float64(n) / (1 << 30))
}
