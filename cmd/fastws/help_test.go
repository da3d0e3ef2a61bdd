package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runCmd runs the command in this process and returns its status and
// outputs.
func runCmd(args ...string) (int, string, string) {
	var out, errOut syncBuffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// Help is asked for in every way people ask, printed on stdout, and
// exits 0; the bare command is a mistake and says where help is.
func TestHelpAsPeopleAskForIt(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "help"}} {
		code, out, errOut := runCmd(args...)
		if code != exitNormal || errOut != "" || !strings.HasPrefix(out, "fastws is the command line of fastws") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		for _, c := range commands {
			if !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("%v: help lacks %s", args, c.name)
			}
		}
	}
	if code, out, errOut := runCmd(); code != exitUsage || out != "" || !strings.Contains(errOut, "usage: fastws <command>") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut := runCmd("conect")
	if code != exitUsage || errOut != "fastws: unknown command \"conect\"\nRun fastws help for the commands.\n" {
		t.Errorf("unknown: exit %d, stderr %q", code, errOut)
	}
	if _, _, errOut := runCmd("conn"); !strings.Contains(errOut, "(did you mean connect?)") {
		t.Errorf("prefix: stderr %q", errOut)
	}
}

// Every command's help says what it does, with examples, then its flags;
// fastws help COMMAND and fastws COMMAND -h print the same.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		if c.name == "help" || c.name == "version" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCmd(c.name, "-h")
			if code != exitNormal || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.HasPrefix(out, "usage: fastws "+c.name) || !strings.Contains(out, "fastws "+c.name+" ") {
				t.Errorf("help lacks its usage line or an example:\n%s", out)
			}
			_, afterUsage, _ := strings.Cut(out, "\n\n")
			if first, _, _ := strings.Cut(afterUsage, "\n"); len(first) < 20 {
				t.Errorf("help lacks a description after the usage line:\n%s", out)
			}
			if c.name != "completion" && c.name != "conformance" && !strings.Contains(out, "\nFlags:\n") {
				t.Errorf("help lists no flags:\n%s", out)
			}
			if _, viaHelp, _ := runCmd("help", c.name); viaHelp != out {
				t.Errorf("fastws help %s differs from -h", c.name)
			}
		})
	}
}

// conformance's modes list their own flags.
func TestConformanceHelpPerMode(t *testing.T) {
	_, server, _ := runCmd("conformance", "server", "-h")
	_, client, _ := runCmd("conformance", "client", "-h")
	if !strings.Contains(server, "  -url ") || strings.Contains(server, "  -addr ") || !strings.Contains(server, "  -parallel ") {
		t.Errorf("server mode's flags:\n%s", server)
	}
	if !strings.Contains(client, "  -addr ") || strings.Contains(client, "  -url ") || strings.Contains(client, "  -agent ") {
		t.Errorf("client mode's flags:\n%s", client)
	}
	code, _, errOut := runCmd("conformance", "sever")
	if code != exitUsage || !strings.Contains(errOut, `"sever" is not a mode: want server (test a server) or client (test a client)`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// A bad flag is one line and a pointer to the help, in every command.
func TestBadFlagIsOneLine(t *testing.T) {
	for _, c := range []string{"connect", "bench", "serve", "echo", "testee-client"} {
		code, out, errOut := runCmd(c, "-no-such-flag")
		want := "fastws " + c + ": flag provided but not defined: -no-such-flag\nRun fastws " + c + " -h for the flags.\n"
		if code != exitUsage || out != "" || errOut != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", c, code, out, errOut)
		}
	}
	code, _, errOut := runCmd("echo", "extra")
	if code != exitUsage || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: exit %d, stderr %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := runCmd(args...)
		if code != exitNormal || !regexp.MustCompile(`^fastws \S+.*, built with go1\.\d+\S* for \w+/\w+\n$`).MatchString(out) {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

// The completion scripts complete commands, modes and each command's
// flags, asking the command itself: checked in a real bash, with this
// test binary standing in for fastws on PATH.
func TestCompletion(t *testing.T) {
	if code, out, _ := runCmd("completion", "zsh"); code != exitNormal || !strings.Contains(out, "compdef _fastws fastws") {
		t.Errorf("zsh: exit %d, %q", code, out)
	}
	if code, _, errOut := runCmd("completion", "fish"); code != exitUsage || !strings.Contains(errOut, "want bash or zsh") {
		t.Errorf("fish: exit %d, stderr %q", code, errOut)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here to run the completion in")
	}
	dir := t.TempDir()
	if err := os.Symlink(os.Args[0], filepath.Join(dir, "fastws")); err != nil {
		t.Fatal(err)
	}
	_, script, _ := runCmd("completion", "bash")
	for line, want := range map[string]string{
		"fastws con":                         "connect conformance",
		"fastws conformance ":                "server client",
		"fastws conformance server -ur":      "-url",
		"fastws connect -show-c":             "-show-control",
		"fastws help be":                     "bench",
		"fastws bench -c 10 -dur":            "-duration",
		"fastws completion ":                 "bash zsh",
		"fastws conformance client -report-": "-report-dir",
	} {
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) + "; _fastws; echo \"${COMPREPLY[*]}\"\n"
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "FASTWS_TEST_MAIN=argv")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%q: completes to %q (%v), want %q", line, strings.TrimSpace(string(out)), err, want)
		}
	}
}
