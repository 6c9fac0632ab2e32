# accord: the one entry point. `make run` and `make test` are all a fresh
# machine needs (Go 1.26; PostgreSQL only for the PostgreSQL tests).

SHELL   := /bin/bash
GO      ?= go
BIN     := bin/accord
PKGS    := ./...
export ACCORD_TEST_PG ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: all build run test test-full test-short vet fmt lint bench bench-go clean torture crash faults fuzz

all: build

build:
	$(GO) build -o $(BIN) ./cmd/accord

## run: build accord and run the demo on a scratch embedded store
run: build
	./$(BIN) demo

## test: the test suite (PostgreSQL tests skip unless CI=true, where they must pass).
## The full verbose log goes to artifacts/test.log; the terminal shows each
## package's result, the catch-up counts and any failure.
test:
	@mkdir -p artifacts
	@set -o pipefail; $(GO) test -count=1 -v -timeout 14m $(PKGS) 2>&1 | tee artifacts/test.log \
	  | grep --line-buffered -E '^(ok|FAIL|panic:|--- FAIL)|^\s+--- FAIL|catch-up:|missed=|^\s+\S+_test\.go:[0-9]+:' \
	  || { echo "tests failed; the full log is in artifacts/test.log"; exit 1; }

## test-full: the long tests at full size (100,000-event concurrent catch-up)
test-full:
	ACCORD_CATCHUP_EVENTS=100000 $(GO) test -count=1 -timeout 60m $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

## bench: the full-size performance set (takes 10 to 15 minutes): the Go
## benchmarks of the hot paths (5 counts each, benchstat-friendly, into
## artifacts/bench-go.txt), then accord bench on the local PostgreSQL
## (append compared with a plain-INSERT store and watermill-sql, replay,
## tail, as-of, branch and Monte Carlo on 200,000 events; replay and as-of
## on 1,000,000) and on SQLite, as JSON lines into artifacts/bench.jsonl
BENCH_DIR ?= $(or $(TMPDIR),/tmp)
bench: build
	@mkdir -p artifacts
	set -o pipefail; ACCORD_BENCH_EVENTS=200000 $(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m $(PKGS) | tee artifacts/bench-go.txt
	set -o pipefail; ./$(BIN) bench --db "$(ACCORD_TEST_PG)" --phase append,replay,tail,asof,branch,montecarlo --output json | tee artifacts/bench.jsonl
	set -o pipefail; ./$(BIN) bench --db "$(ACCORD_TEST_PG)" --phase replay,asof,replay --events 1000000 --output json | tee -a artifacts/bench.jsonl
	set -o pipefail; ./$(BIN) bench --db "sqlite:$(BENCH_DIR)/accord-bench.db" --phase append,replay,tail,asof --output json | tee -a artifacts/bench.jsonl

## bench-go: the Go benchmarks only, at their default (small) sizes
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## torture: the catch-up torture test at full size (1,000,000 events, 8
## writers with conflicts and retries, one tail reader) on PostgreSQL and SQLite
torture:
	ACCORD_TORTURE_EVENTS=$${ACCORD_TORTURE_EVENTS:-1000000} $(GO) test -count=1 -v -timeout 4h -run '^TestTorture$$' ./reliability

## crash: the projection runner killed with SIGKILL 20 times while it
## rebuilds 200,000 events, then compared with a clean rebuild
crash:
	ACCORD_CRASH_EVENTS=$${ACCORD_CRASH_EVENTS:-200000} ACCORD_CRASH_KILLS=$${ACCORD_CRASH_KILLS:-20} \
	  $(GO) test -count=1 -v -timeout 4h -run '^TestCrashRecovery$$' ./reliability

## faults: PostgreSQL connections terminated during appends, a long-open
## transaction; ACCORD_FAULT_RESTART=1 also restarts the server (disruptive)
faults:
	ACCORD_FAULT_SECONDS=$${ACCORD_FAULT_SECONDS:-30} $(GO) test -count=1 -v -timeout 30m -run '^TestFaults' ./reliability

## fuzz: every fuzz target for FUZZTIME (default 10m) each, one after another, one worker
FUZZTIME ?= 10m
FUZZ_TARGETS := events:FuzzParseWire events:FuzzReadLines events:FuzzParseDate \
	interchange:FuzzReadPLOVER interchange:FuzzReadCAMEOCSV \
	scenarios:FuzzParseScenario scenarios:FuzzRuleCompile
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $${t%%:*} $${t##*:} for $(FUZZTIME)"; \
	  $(GO) test ./$${t%%:*} -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) -parallel 1; \
	done

clean:
	rm -rf bin
