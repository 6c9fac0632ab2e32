# accord: the one entry point. `make run` and `make test` are all a fresh
# machine needs (Go 1.26; PostgreSQL only for the PostgreSQL tests).

SHELL   := /bin/bash
GO      ?= go
BIN     := bin/accord
PKGS    := ./...
export ACCORD_TEST_PG ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: all build run test test-full test-short vet fmt lint bench clean

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

## bench: Go benchmarks of the hot paths
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
