// Package reliability holds accord's tests of what must hold under faults
// and load: nothing acknowledged is lost, nothing is read twice or skipped,
// and neither a killed process nor a dropped database connection corrupts
// the log or the read models. The package has no code of its own beyond
// small helpers for its tests; docs/reliability.md describes the tests, the
// figures they gave and the limits of the system.
//
// The tests, each at a reduced size in `go test` (CI) and at full size from
// the Makefile:
//
//   - TestTorture (make torture): eight writers with random version
//     conflicts and idempotent retries after simulated timeouts, and one
//     reader following the log, on PostgreSQL and SQLite: 0 missed, 0
//     duplicated, every acknowledged append present at the position it was
//     given, every stream's versions contiguous. Size: ACCORD_TORTURE_EVENTS
//     (default 5,000; full size 1,000,000).
//   - TestCrashRecovery (make crash): the accord binary rebuilding the read
//     models (`accord replay --resume`) killed with SIGKILL at random
//     moments and restarted; at the end the read-model tables equal a clean
//     rebuild's. Size: ACCORD_CRASH_EVENTS synthetic events on top of the
//     bundled history (default 10,000; full size 200,000) and
//     ACCORD_CRASH_KILLS kills (default 4; full size 20).
//   - TestFaults* (make faults): PostgreSQL connections terminated with
//     pg_terminate_backend during appends and while the runner follows the
//     log; a long-open transaction elsewhere in the cluster; and, only with
//     ACCORD_FAULT_RESTART=1, a restart of the whole server.
//   - TestSQLSafety: a lint over the source that fails if SQL text is built
//     by concatenation or formatting with a non-constant operand.
package reliability
