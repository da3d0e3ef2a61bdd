package harness

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/bench/rawclient"
	"github.com/fastws/fastws/bench/servers"
)

// limitEnv, set, makes the re-executed test binary a memory-battery
// server with that message limit ("0": the library's own default).
const limitEnv = "ECHOBENCH_TEST_LIMIT"

// serveBatteryChild is TestMain's server for the battery.
func serveBatteryChild(name, limit string) error {
	n, err := strconv.ParseInt(limit, 10, 64)
	if err != nil {
		return err
	}
	o := servers.Options{Compress: os.Getenv(compressEnv) != "", Limit: n}
	return ServeChildWith(name, o, "127.0.0.1:0", os.Stdout)
}

func batteryCommand(t *testing.T) BatteryCommand {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func(name string, o servers.Options) *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), serveEnv+"="+name, limitEnv+"="+strconv.FormatInt(o.Limit, 10))
		if o.Compress {
			cmd.Env = append(cmd.Env, compressEnv+"=1")
		}
		return cmd
	}
}

// TestMemoryBattery runs the battery on fastws and gorilla at a tiny
// scale under a 1 MiB limit: every read shape must come back echoed, and
// fastws must refuse the bomb with 1009.
func TestMemoryBattery(t *testing.T) {
	const (
		size      = 256 << 10
		bombConns = 2
	)
	start := time.Now()
	rep := RunBattery(BatteryOptions{
		Servers:   []string{servers.Fastws, "gorilla"},
		Limits:    []LimitSetting{{Limit: 1 << 20, Size: size}},
		BombSize:  8 << 20,
		BombConns: bombConns,
		Timeout:   10 * time.Second,
		Command:   batteryCommand(t),
	})
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the battery took %v", took)
	}
	for _, err := range rep.SetupErrs {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2*len(Shapes) {
		t.Fatalf("%d rows, want %d", len(rep.Rows), 2*len(Shapes))
	}
	for _, row := range rep.Rows {
		name := row.Server + " " + row.Shape.String()
		if row.Err != nil {
			t.Fatalf("%s: %v", name, row.Err)
		}
		if row.Before <= 0 || row.Peak < row.Before || row.After <= 0 || row.Wall <= 0 || row.PeakMethod == 0 {
			t.Errorf("%s: implausible row %+v", name, row)
		}
		if len(row.Results) != row.Conns {
			t.Errorf("%s: %d results for %d connections", name, len(row.Results), row.Conns)
		}
		if (row.Bound > 0) != servers.IsFastws(row.Server) {
			t.Errorf("%s: bound %d", name, row.Bound)
		}
		switch row.Shape {
		case Bomb:
			if row.Conns != bombConns {
				t.Errorf("%s: %d connections", name, row.Conns)
			}
			if row.Server != servers.Fastws {
				t.Logf("%s: %s", name, outcomeText(row))
				continue
			}
			for _, res := range row.Results {
				if res.Kind != rawclient.Closed || res.Code != 1009 {
					t.Errorf("%s: %v, want close 1009", name, res)
				}
			}
		default:
			if !row.AllEchoed() {
				t.Errorf("%s: %s, want echoed", name, outcomeText(row))
			}
			if want := map[Shape]int{Frame: 1, Frag64k: size / (64 << 10), Frag1: size}[row.Shape]; row.Frames != want {
				t.Errorf("%s: %d frames, want %d", name, row.Frames, want)
			}
		}
	}
	md := rep.Markdown()
	for _, want := range []string{
		"# WebSocket memory battery", "## Each library's default message limit", "| fastws | " + sizeText(fastws.DefaultMaxMessageSize) + " |",
		"## Limit: 1 MiB (S = 256 KiB)", "| frag1 | gorilla | echoed |", "| bomb | fastws (2 conns) | close 1009 ×2 |",
		"## Per-fragment speed (frag1)", "## Decompression bomb, side by side", "## fastws's bounds",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	t.Log("\n" + md)
}
