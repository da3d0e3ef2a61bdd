package harness

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// ProfileEnv names the environment variable that makes a server process
// profile itself: its value is a path prefix, and the process writes
// PREFIX.cpu.pprof (CPU, from start to stop) and PREFIX.alloc.pprof (the
// heap profile, whose alloc_space and alloc_objects views count every
// allocation of the run) when the harness stops it.
const ProfileEnv = "ECHOBENCH_PROFILE"

// startProfile starts the CPU profile named by ProfileEnv, if set, and
// writes both profiles and exits when the harness sends SIGTERM.
func startProfile() error {
	prefix := os.Getenv(ProfileEnv)
	if prefix == "" {
		return nil
	}
	f, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		pprof.StopCPUProfile()
		code := 0
		if err := f.Close(); err != nil {
			code = 1
		}
		if err := writeHeapProfile(prefix + ".alloc.pprof"); err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			code = 1
		}
		os.Exit(code)
	}()
	return nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
