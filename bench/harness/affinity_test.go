package harness

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseCPUs(t *testing.T) {
	got, err := ParseCPUs("0, 1")
	if err != nil || !slices.Equal(got, []int{0, 1}) {
		t.Fatalf(`ParseCPUs("0, 1") = %v, %v; want [0 1]`, got, err)
	}
	for _, bad := range []string{"", "x", "0,-1", "0,,1"} {
		if got, err := ParseCPUs(bad); err == nil {
			t.Errorf("ParseCPUs(%q) = %v, want an error", bad, got)
		}
	}
}

// TestPinProcess runs itself as a child that pins itself to one CPU, then
// starts a locked thread and a process of its own; every thread and the
// grandchild must report that one CPU, which is what makes one call pin
// the load generator and its servers.
func TestPinProcess(t *testing.T) {
	if os.Getenv("PIN_CHILD") == "1" {
		pinChild()
		return
	}
	var have unix.CPUSet
	if err := unix.SchedGetaffinity(0, &have); err != nil {
		t.Skip("no affinity on this system:", err)
	}
	first := -1
	for c := range 1024 {
		if have.IsSet(c) {
			first = c
			break
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPinProcess$")
	cmd.Env = append(os.Environ(), "PIN_CHILD=1", fmt.Sprintf("PIN_CPU=%d", first))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := fmt.Sprintf("Cpus_allowed_list:\t%d", first)
	lines := 0
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "Cpus_allowed_list:") {
			lines++
			if strings.TrimSpace(line) != want {
				t.Errorf("a thread or the grandchild reports %q, want %q", strings.TrimSpace(line), want)
			}
		}
	}
	if lines < 3 {
		t.Fatalf("the child reported %d threads and processes, want at least 3:\n%s", lines, out)
	}
}

// pinChild is TestPinProcess's child: it prints Cpus_allowed_list for each
// of its threads and for a process it starts after pinning.
func pinChild() {
	cpus, err := ParseCPUs(os.Getenv("PIN_CPU"))
	if err == nil {
		err = PinProcess(cpus)
	}
	if err != nil {
		fmt.Println("pin:", err)
		os.Exit(1)
	}
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(started)
		<-done
	}()
	<-started
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		status, _ := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		for line := range strings.Lines(string(status)) {
			if strings.HasPrefix(line, "Cpus_allowed_list:") {
				fmt.Print(line)
			}
		}
	}
	grandchild, err := exec.Command("grep", "Cpus_allowed_list", "/proc/self/status").Output()
	if err != nil {
		fmt.Println("grandchild:", err)
		os.Exit(1)
	}
	fmt.Print(string(grandchild))
	close(done)
}
