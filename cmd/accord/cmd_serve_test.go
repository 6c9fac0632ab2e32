package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
)

// TestServeAcceptance runs `accord serve --db X --addr 127.0.0.1:PORT
// --token T` on the bundled history and checks the issue's acceptance list
// over HTTP (the httpapi package tests each point in depth).
func TestServeAcceptance(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	if _, errs, code := cli(t, "", "--db", db, "import", "--bundled"); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		Getenv: func(string) string { return "" }, Now: time.Now, Codec: events.NewCodec()}
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"--db", db, "serve", "--addr", addr, "--token", "T", "--log-format", "json"})
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	req := func(method, path, token, body string) (int, string) {
		t.Helper()
		r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	count := func() string {
		_, b := req("GET", "/metrics", "", "")
		for _, l := range strings.Split(b, "\n") {
			if strings.HasPrefix(l, "accord_log_head_position ") {
				return l
			}
		}
		return "?"
	}

	if code, b := req("GET", "/v1/agreements/gbr-jpn-raa?as_of=2022-11-30", "", ""); code != 200 || !strings.Contains(b, `"stage":"agreed_in_principle"`) {
		t.Errorf("agreement as of 2022-11-30: %d %.200s", code, b)
	}
	before := count()
	if !strings.HasPrefix(before, "accord_log_head_position ") || before == "accord_log_head_position 0" {
		t.Errorf("metrics before the POSTs: %q", before)
	}
	ev := `{"type":"statement_issued","occurred_at":"2024-03-01","data":{"country":"GBR","agreement":"gbr-jpn-raa","summary":"Test","stance":"positive"},"source":{"publication":"Test","title":"t","date":"2024-03-01"},"confidence":"reported"}`
	if code, b := req("POST", "/v1/events", "", ev); code != 401 && code != 403 {
		t.Errorf("POST without a token: %d %s", code, b)
	}
	if after := count(); after != before {
		t.Errorf("POST without a token wrote: %s -> %s", before, after)
	}
	code, b := req("POST", "/v1/events", "T", ev)
	if code != 201 {
		t.Fatalf("POST with the token: %d %s", code, b)
	}
	ev2 := strings.Replace(ev, `"Test"`, `"Test 2"`, 1)
	if code, b := req("POST", "/v1/events", "T", fmt.Sprintf(`{"expected_version":1,"events":[%s]}`, ev2)); code != 409 {
		t.Errorf("stale expected version: %d %s", code, b)
	}
	if code, b := req("GET", "/openapi.json", "", ""); code != 200 || !strings.Contains(b, `"openapi": "3.0.3"`) {
		t.Errorf("openapi.json: %d %.100s", code, b)
	}
	if code, b := req("GET", "/metrics", "", ""); code != 200 || !strings.Contains(b, "accord_appends_total") || !strings.Contains(b, "accord_append_conflicts_total 1") {
		t.Errorf("metrics: %d", code)
	}
	if code, b := req("GET", "/", "", ""); code != 200 || !strings.HasPrefix(strings.ToLower(b), "<!doctype html>") {
		t.Errorf("/: %d %.100s", code, b)
	}
}
