package bench

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuMeter measures the CPU time a phase used: this process's, and that of
// the PostgreSQL backends connected to the phase's database when the
// server runs on this machine (read from /proc; Linux). It is best effort:
// what cannot be read is left out of the result.
type cpuMeter struct {
	admin   *sql.DB // nil: no server measurement
	dbname  string
	client  time.Duration
	backend map[int]time.Duration
}

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// processCPU returns the CPU time used by this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU returns the CPU time of the backends connected to dbname, by
// pid.
func backendCPU(ctx context.Context, admin *sql.DB, dbname string) map[int]time.Duration {
	rows, err := admin.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, dbname)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return nil
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command name (which may hold spaces).
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			s = s[i+1:]
		}
		f := strings.Fields(s)
		if len(f) < 13 {
			continue
		}
		ut, err1 := strconv.ParseInt(f[11], 10, 64)
		st, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 == nil && err2 == nil {
			out[pid] = time.Duration(ut+st) * clockTick
		}
	}
	return out
}

// startCPU starts measuring; dsn names the phase's database (for a
// PostgreSQL server on this machine).
func (e *env) startCPU(ctx context.Context, dsn string) *cpuMeter {
	m := &cpuMeter{client: processCPU()}
	if e.backend != "postgres" || !localHost(e.server.Hostname()) {
		return m
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return m
	}
	m.admin, m.dbname = e.admin, strings.TrimPrefix(u.Path, "/")
	m.backend = backendCPU(ctx, m.admin, m.dbname)
	return m
}

func localHost(h string) bool {
	return h == "" || h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "/")
}

// stop sets the CPU fields of res: microseconds per event of this process
// and of the database's backends.
func (m *cpuMeter) stop(ctx context.Context, res *Result) {
	if res.Events <= 0 {
		return
	}
	per := func(d time.Duration) *float64 { return ptr(round(float64(d.Microseconds())/float64(res.Events), 2)) }
	res.ClientCPU = per(processCPU() - m.client)
	if m.admin == nil || m.backend == nil {
		return
	}
	end := backendCPU(ctx, m.admin, m.dbname)
	if end == nil {
		return
	}
	var used time.Duration
	for pid, t := range end {
		used += t - m.backend[pid]
	}
	res.ServerCPU = per(used)
}
