// Command accord is the command-line interface of accord: an event-sourced
// scenario modeling engine for international agreements. Run `accord
// --help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/accord-dev/accord/events"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now, Codec: events.NewCodec()}
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main is the program with its dependencies injected: standard streams, the
// environment, the clock and the codec. Tests build one with buffers.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
	Codec  *events.Codec

	// stderrIsTerminal enables progress output; set by Run.
	stderrIsTerminal bool
}

// Run executes one command line and returns the process exit code: 0 on
// success, else the code of the error's kind (events.Kind.ExitCode: 2
// invalid input, 3 conflict, 4 not found, 5 unavailable, 1 other).
func (m *Main) Run(ctx context.Context, args []string) int {
	if f, ok := m.Stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			m.stderrIsTerminal = true
		}
	}
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(m.Stderr, "accord: %v\n", err)
	if errors.Is(err, context.Canceled) {
		return 130
	}
	if strings.HasPrefix(err.Error(), "unknown command ") {
		// cobra's own error for a mistyped command: invalid input.
		return events.KindInvalid.ExitCode()
	}
	return events.KindOf(err).ExitCode()
}
