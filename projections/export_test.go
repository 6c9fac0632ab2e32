package projections

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

// Helpers of the replay memory tests, shared with the external test
// package.

// ReplayMemoryStart returns how many events a replay memory test replays,
// from ACCORD_REPLAY_EVENTS (it skips t when that is unset), and the memory
// statistics before the replay.
func ReplayMemoryStart(t *testing.T) (int, runtime.MemStats) {
	n, _ := strconv.Atoi(os.Getenv("ACCORD_REPLAY_EVENTS"))
	if n == 0 {
		t.Skip("set ACCORD_REPLAY_EVENTS (e.g. 1000000) to run")
	}
	return n, HeapInUse()
}

// HeapInUse returns the memory statistics after a collection.
func HeapInUse() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
