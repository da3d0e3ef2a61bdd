package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The completion scripts ask the command itself what can come next
// (fastws __complete WORDS...), so they never fall out of step with the
// commands and their flags.
const bashCompletion = `# bash completion for fastws: source <(fastws completion bash)
_fastws() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local words
	words=$(fastws __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _fastws fastws
`

const zshCompletion = `#compdef fastws
# zsh completion for fastws: source <(fastws completion zsh)
_fastws() {
	local -a next
	next=(${(f)"$(fastws __complete ${words[2,CURRENT-1]} 2>/dev/null)"})
	if (( ${#next} )); then
		compadd -a next
	else
		_files
	fi
}
compdef _fastws fastws
`

// runCompletion is fastws completion bash|zsh.
func runCompletion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, `usage: fastws completion bash|zsh

Prints a completion script for the shell: commands, flags, conformance
modes. Load it in the running shell, or from its startup file:

  source <(fastws completion bash)     # in ~/.bashrc
  source <(fastws completion zsh)      # in ~/.zshrc, after compinit
`)
		return exitNormal
	}
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		fmt.Fprintln(stderr, "fastws completion: want bash or zsh, as in: source <(fastws completion bash)")
		return exitUsage
	}
	if args[0] == "bash" {
		fmt.Fprint(stdout, bashCompletion)
	} else {
		fmt.Fprint(stdout, zshCompletion)
	}
	return exitNormal
}

// flagLine finds a flag's name in a command's help.
var flagLine = regexp.MustCompile(`(?m)^  (-[A-Za-z0-9-]+)`)

// runComplete prints, one a line, the words that may follow words: the
// commands first, then a command's flags (read from its own help), and
// the conformance suite's modes.
func runComplete(words []string, stdout io.Writer) int {
	if len(words) == 0 {
		for _, c := range commands {
			fmt.Fprintln(stdout, c.name)
		}
		return exitNormal
	}
	c, ok := lookup(words[0])
	if !ok {
		return exitNormal
	}
	helpArgs := []string{"-h"}
	switch c.name {
	case "help":
		if len(words) == 1 {
			for _, c := range commands {
				fmt.Fprintln(stdout, c.name)
			}
		}
		return exitNormal
	case "completion":
		if len(words) == 1 {
			fmt.Fprintln(stdout, "bash\nzsh")
		}
		return exitNormal
	case "conformance":
		if len(words) == 1 {
			fmt.Fprintln(stdout, "server\nclient")
			return exitNormal
		}
		helpArgs = []string{words[1], "-h"}
	}
	var help bytes.Buffer
	c.run(helpArgs, strings.NewReader(""), &help, io.Discard)
	for _, m := range flagLine.FindAllStringSubmatch(help.String(), -1) {
		fmt.Fprintln(stdout, m[1])
	}
	return exitNormal
}
