package postgres

import (
	"bufio"
	"context"
	"database/sql/driver"
	"net"
	"time"
)

// readBufferSize is the read buffer of the Log's connections. lib/pq reads
// the socket through a 4 KiB buffer, one system call per 4 KiB: a page of
// 5,000 events (about 2.5 MB) took some 600 calls. With a larger buffer in
// between, one call reads 64 KiB.
const readBufferSize = 64 << 10

// dialer makes the Log's connections (lib/pq's Dialer and DialerContext):
// TCP or Unix sockets as net.Dialer makes them, read through a buffer of
// readBufferSize.
type dialer struct{ d net.Dialer }

// Dial connects to address.
func (d dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialTimeout connects to address, giving up after timeout.
func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// DialContext connects to address, giving up when ctx ends.
func (d dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBufferSize)}, nil
}

// bufferedConn is a connection whose reads go through a buffer.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

// Read reads from the buffer, filling it from the connection when empty.
func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// initConnector runs statements on each new connection of a pool before
// database/sql uses it.
type initConnector struct {
	driver.Connector
	init []string
}

// Connect opens a connection and runs the init statements on it.
func (c initConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		return conn, nil
	}
	for _, q := range c.init {
		if _, err := ex.ExecContext(ctx, q, nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// writerInit is run on each connection of the writer's pool. It makes the
// server process allocate and free 4 MiB once: glibc's malloc then raises
// the size from which it maps memory and the free memory it keeps, so that
// the buffers of each batch (tens of KiB, a little more or less from batch
// to batch) stay in the process instead of going back to the system and
// being faulted in again on the next batch (which profiles showed: some 7%
// of the writer's time in brk and page faults).
const writerInit = `SELECT length(repeat('x', 4194304))`
