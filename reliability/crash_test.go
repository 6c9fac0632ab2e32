package reliability

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/readmodel/rmtest"
)

// The crash test's size.
const (
	// EnvCrashEvents names the variable with the number of synthetic events
	// added to the bundled history (default 10,000; full size 200,000).
	EnvCrashEvents = "ACCORD_CRASH_EVENTS"
	// EnvCrashKills names the variable with the number of SIGKILLs (default
	// 4; full size 20).
	EnvCrashKills = "ACCORD_CRASH_KILLS"
	// EnvCrashBackends names the variable with a comma-separated list of the
	// backends to run on (default "postgres,sqlite").
	EnvCrashBackends = "ACCORD_CRASH_BACKENDS"
)

// TestCrashRecovery runs the projection runner in a separate process, the
// accord binary built for the test, rebuilding the read models of a large
// log (`accord replay`, then `accord replay --resume` after each crash),
// and kills it with SIGKILL at random moments while it is making progress
// (after it has committed at least one page in this run, then at a random
// delay scaled so that the kills spread over the whole rebuild),
// restarting it each time. A run that finishes before its kill ends
// the killing early. At the end, after a last `replay --resume` that must
// finish, every read-model table is compared (sorted dumps of every rm_*
// table) with a clean rebuild (`accord replay`) of the same log, and every
// checkpoint must be at the head.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the accord binary")
	}
	n := envInt(t, EnvCrashEvents, 10000)
	kills := envInt(t, EnvCrashKills, 4)
	bin := buildAccord(t)
	list := "postgres,sqlite"
	if v := os.Getenv(EnvCrashBackends); v != "" {
		list = v
	}
	for backend := range strings.SplitSeq(list, ",") {
		t.Run(backend, func(t *testing.T) {
			crashTest(t, bin, backend, n, kills)
		})
	}
}

// buildAccord builds cmd/accord into t's temporary directory.
func buildAccord(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "accord")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/accord")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/accord: %v\n%s", err, out)
	}
	return bin
}

func crashTest(t *testing.T, bin, backend string, n, kills int) {
	dsn := newDSN(t, backend)
	s := openStore(t, dsn)
	ctx := context.Background()
	head := loadHistory(t, s, n, 7)
	if err := readmodel.Migrate(ctx, s.DB(), s.Backend()); err != nil {
		t.Fatal(err)
	}
	progress := func() int64 {
		cps, err := readmodel.Checkpoints(ctx, s.DB())
		if err != nil {
			t.Fatalf("read checkpoints: %v", err)
		}
		var sum int64
		for _, p := range cps {
			sum += p
		}
		return sum
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	begin := time.Now()
	var (
		killed   int
		at       []string
		finished bool
		rate     float64 // checkpoint progress (summed over projections) per second
	)
	for i := 0; i < kills && !finished; i++ {
		args := []string{"--db", dsn, "replay", "--resume"}
		if i == 0 {
			args = []string{"--db", dsn, "replay"} // a rebuild from zero
		}
		cmd, out := accordCmd(bin, args...)
		before := progress()
		if i == 0 {
			before = 0
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Wait until this run has committed something (it has loaded its
		// state and is rebuilding), then a random delay: uniform over twice
		// the expected time to the end divided among the kills left, so
		// that the kills fall all along the rebuild.
		deadline := time.Now().Add(5 * time.Minute)
		var exitErr error
	wait:
		for {
			select {
			case exitErr = <-exited:
				finished = true
				break wait
			case <-time.After(10 * time.Millisecond):
			}
			if p := progress(); p > before || (i == 0 && p > 0) {
				window := 300 * time.Millisecond
				if rate > 0 {
					left := float64(4*head-p) / rate // seconds
					window = max(window, time.Duration(2*left/float64(kills-i+1)*float64(time.Second)))
				}
				started := time.Now()
				select {
				case exitErr = <-exited:
					finished = true
				case <-time.After(time.Duration(rng.Int64N(int64(window)))):
				}
				// The rate of this run, for the next delay.
				if d := time.Since(started).Seconds(); d > 0.05 {
					if q := progress(); q > p {
						rate = float64(q-p) / d
					}
				}
				break wait
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("run %d made no progress in 5 minutes:\n%s", i+1, out)
			}
		}
		if finished {
			if exitErr != nil {
				t.Fatalf("run %d: %v\n%s", i+1, exitErr, out)
			}
			t.Logf("crash: run %d finished before its kill", i+1)
			break
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := <-exited; err == nil {
			// It exited cleanly just before the signal.
			finished = true
			t.Logf("crash: run %d finished before its kill", i+1)
			break
		}
		killed++
		cps, _ := readmodel.Checkpoints(ctx, s.DB())
		at = append(at, fmt.Sprintf("%d/%d/%d/%d", cps[readmodel.Agreements], cps[readmodel.Leadership], cps[readmodel.Network], cps[readmodel.Timeline]))
	}
	// The last run must finish by itself.
	cmd, out := accordCmd(bin, "--db", dsn, "replay", "--resume")
	if err := cmd.Run(); err != nil {
		t.Fatalf("final replay --resume: %v\n%s", err, out)
	}
	elapsed := time.Since(begin)
	cps, err := readmodel.Checkpoints(ctx, s.DB())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range cps {
		if p != head {
			t.Errorf("%s checkpoint %d after the final run, head %d", name, p, head)
		}
	}
	resumed := rmtest.Dump(t, s)

	rebuildBegin := time.Now()
	cmd, out = accordCmd(bin, "--db", dsn, "replay")
	if err := cmd.Run(); err != nil {
		t.Fatalf("clean replay: %v\n%s", err, out)
	}
	clean := rmtest.Dump(t, s)
	rows := 0
	for _, r := range clean {
		rows += len(r)
	}
	t.Logf("crash (%s): %d events, %d SIGKILLs (checkpoints agreements/leadership/network/timeline at each: %s), crashed rebuild %s, clean rebuild %s; %d read-model rows compared",
		backend, head, killed, strings.Join(at, " "), elapsed.Round(time.Millisecond), time.Since(rebuildBegin).Round(time.Millisecond), rows)
	if killed < kills && !finished {
		t.Errorf("only %d of %d kills", killed, kills)
	}
	rmtest.Diff(t, "resumed after crashes vs clean rebuild", clean, resumed)
}

// accordCmd returns the command for the accord binary with args, its
// output going to the returned buffer.
func accordCmd(bin string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ACCORD_DB=")
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}
