package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/pgtest"
)

func TestParse(t *testing.T) {
	cases := []struct {
		dsn, backend, target string
		invalid              bool
	}{
		{dsn: "postgres://u@h/db", backend: "postgres", target: "postgres://u@h/db"},
		{dsn: "postgresql://u@h/db?sslmode=disable", backend: "postgres", target: "postgresql://u@h/db?sslmode=disable"},
		{dsn: "sqlite:/tmp/a.db", backend: "sqlite", target: "/tmp/a.db"},
		{dsn: "sqlite:rel/a.db", backend: "sqlite", target: "rel/a.db"},
		{dsn: "sqlite:///tmp/a.db", backend: "sqlite", target: "/tmp/a.db"},
		{dsn: "/var/lib/accord/accord.db", backend: "sqlite", target: "/var/lib/accord/accord.db"},
		{dsn: "accord.db", backend: "sqlite", target: "accord.db"},
		{dsn: "", invalid: true},
		{dsn: "  ", invalid: true},
		{dsn: "sqlite:", invalid: true},
		{dsn: "mysql://u@h/db", invalid: true},
	}
	for _, c := range cases {
		b, target, err := parse(c.dsn)
		if c.invalid {
			if !errors.Is(err, events.ErrInvalid) {
				t.Errorf("parse(%q): err = %v, want ErrInvalid", c.dsn, err)
			}
			continue
		}
		if err != nil || b != c.backend || target != c.target {
			t.Errorf("parse(%q) = %q, %q, %v; want %q, %q", c.dsn, b, target, err, c.backend, c.target)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := t.Context()
	if s, err := Open(ctx, "", nil); !errors.Is(err, events.ErrInvalid) || s != nil {
		t.Errorf("Open(\"\") = %v, %v; want nil, ErrInvalid", s, err)
	}
	if s, err := Open(ctx, filepath.Join(t.TempDir(), "missing", "dir", "a.db"), nil); !errors.Is(err, events.ErrUnavailable) || s != nil {
		t.Errorf("Open(missing dir) = %v, %v; want nil, ErrUnavailable", s, err)
	}
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(ctx, "sqlite:"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "sqlite" {
		t.Errorf("Backend = %q", s.Backend())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, pgtest.NewDatabase(t), events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backend() != "postgres" {
		t.Errorf("Backend = %q", s.Backend())
	}
	if h, err := s.Head(ctx); err != nil || h != 0 {
		t.Errorf("Head = %d, %v", h, err)
	}
}

func TestDefaultPath(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	p, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(data, "accord", "accord.db"); p != want {
		t.Errorf("DefaultPath = %q, want %q", p, want)
	}
	if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
		t.Errorf("directory not created: %v", err)
	}

	home := t.TempDir()
	t.Setenv("XDG_DATA_HOME", "relative/ignored")
	t.Setenv("HOME", home)
	p, err = DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".local", "share", "accord", "accord.db"); p != want {
		t.Errorf("DefaultPath = %q, want %q", p, want)
	}
}
