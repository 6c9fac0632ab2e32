package postgres

import (
	"bufio"
	"context"
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
