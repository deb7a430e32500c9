# The two set-up commands: `make run` starts the chat example, `make test`
# runs every test. Both install their npm packages on first use.
GO ?= go
NPM_CI = npm ci --no-audit --no-fund --loglevel=error

.PHONY: run run-cluster run-mixed run-mixed-postgres test test-deps test-go test-bench-once test-e2e test-chat screenshot bench bench-micro bench-suite fuzz soak conformance vet

# PARSER=msgpack (from the environment or `make run PARSER=msgpack`, both
# of which reach the server's environment) serves the chat with the msgpack
# codec; see examples/chat/main.go.
run: examples/chat/node_modules/.installed
	cd examples/chat && $(GO) run .

# Two chat servers (ports 3000 and 3001) and a local redis-server: one chat.
run-cluster: examples/chat/node_modules/.installed
	examples/chat/cluster.sh

# The same with a Go chat server on 3000 and a Node one on 3001
# (examples/chat/node): one chat across Go and Node.
run-mixed: examples/chat/node_modules/.installed examples/chat/node/node_modules/.installed
	examples/chat/cluster.sh --mixed

# The same through a local PostgreSQL (POSTGRES_URL) instead of Redis.
run-mixed-postgres: examples/chat/node_modules/.installed examples/chat/node/node_modules/.installed
	examples/chat/cluster.sh --mixed --postgres

examples/chat/node_modules/.installed: examples/chat/package-lock.json
	cd examples/chat && $(NPM_CI) && touch node_modules/.installed

test/e2e/node_modules/.installed: test/e2e/package-lock.json
	cd test/e2e && $(NPM_CI) && touch node_modules/.installed

examples/chat/test/node_modules/.installed: examples/chat/test/package-lock.json
	cd examples/chat/test && $(NPM_CI) && touch node_modules/.installed

examples/chat/node/node_modules/.installed: examples/chat/node/package-lock.json
	cd examples/chat/node && $(NPM_CI) && touch node_modules/.installed

# The Node.js server instrumented by @socket.io/admin-ui that the admin
# UI's protocol tests run their checks against, beside the Go chat.
examples/chat/test/node-admin/node_modules/.installed: examples/chat/test/node-admin/package-lock.json
	cd examples/chat/test/node-admin && $(NPM_CI) && touch node_modules/.installed

test: test-deps vet test-go test-bench-once test-e2e test-chat

# The Debian packages the tests use: redis-server for the Redis adapter's
# tests, postgresql for the Postgres adapter's (internal/testkit/pgtest
# runs its initdb and postgres from /usr/lib/postgresql/*/bin), Chromium
# for the chat page's. Installed with apt-get when missing and running as
# root; otherwise one line says what to install.
test-deps:
	@need=""; \
	command -v redis-server >/dev/null || need="$$need redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || need="$$need postgresql"; \
	[ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || need="$$need chromium"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	  else \
	    echo "make test needs$$need: sudo apt-get install$$need"; exit 1; \
	  fi; \
	fi

vet:
	$(GO) vet ./...

# test/e2e's npm packages: parser/msgpack's golden test runs
# socket.io-msgpack-parser from there. emitter/testdata/node's: the
# emitter's tests run Node.js servers (Redis and Postgres adapters) and
# the official @socket.io/redis-emitter and @socket.io/postgres-emitter
# from there (they would npm ci it themselves).
# adapter/postgres' interop tests run a Node server on
# @socket.io/postgres-adapter from its testdata/node.
test-go: test/e2e/node_modules/.installed emitter/testdata/node/node_modules/.installed adapter/postgres/testdata/node/node_modules/.installed
	$(GO) test -race -count=1 ./...

emitter/testdata/node/node_modules/.installed: emitter/testdata/node/package-lock.json
	cd emitter/testdata/node && $(NPM_CI) && touch node_modules/.installed

adapter/postgres/testdata/node/node_modules/.installed: adapter/postgres/testdata/node/package-lock.json
	cd adapter/postgres/testdata/node && $(NPM_CI) && touch node_modules/.installed

# Every micro-benchmark runs once so that none can rot; `make bench` measures.
test-bench-once:
	$(GO) test -run='^$$' -bench=. -benchtime=1x ./...

test-e2e: test/e2e/node_modules/.installed test/e2e/node-msgpack/node_modules/.installed
	$(GO) build -o test/e2e/.bin/server ./test/e2e/server
	cd test/e2e && E2E_SERVER_BIN=$(CURDIR)/test/e2e/.bin/server npm test
	cd test/e2e && E2E_SERVER_BIN=$(CURDIR)/test/e2e/node-msgpack/server.mjs node --test --test-force-exit msgpack.test.mjs

# The Node.js reference server with socket.io-msgpack-parser, which
# msgpack.test.mjs runs against too (test-e2e's last step): its checks hold
# for Node, not only for this server.
test/e2e/node-msgpack/node_modules/.installed: test/e2e/node-msgpack/package-lock.json
	cd test/e2e/node-msgpack && $(NPM_CI) && touch node_modules/.installed

# The chat example's socket contract (official client), its clusters (Go
# servers, and a Go with a Node one: examples/chat/node), a Socket.IO v2
# client beside a v4 one, the msgpack mode (PARSER=msgpack), the admin UI's
# protocol (against the Go chat and against the Node reference) and the
# pages, the chat's and the admin UI's, in Debian's Chromium (CHROMIUM
# overrides /usr/bin/chromium).
test-chat: examples/chat/node_modules/.installed examples/chat/test/node_modules/.installed examples/chat/node/node_modules/.installed examples/chat/test/node-admin/node_modules/.installed
	cd examples/chat && $(GO) build -o test/.bin/chat .
	cd examples/chat/test && CHAT_SERVER_BIN=$(CURDIR)/examples/chat/test/.bin/chat npm test

# Retakes the README's screenshots: two chat windows, and the admin UI.
screenshot: examples/chat/node_modules/.installed examples/chat/test/node_modules/.installed
	cd examples/chat/test && SCREENSHOT=$(CURDIR)/docs/chat.png node --test --test-force-exit browser.test.mjs
	cd examples/chat/test && SCREENSHOT=$(CURDIR)/docs/admin-ui.png node --test --test-force-exit admin-ui.test.mjs

# `make bench` measures: the Go micro-benchmarks, then the load-test suite
# in bench/ (our server, Node socket.io and zishang520/socket.io side by
# side, and a Go pair against a Node pair joined by a local redis-server;
# about 12 minutes on 2 cores, at most ~18 on a busy machine), which writes
# bench/RESULTS.md. Not part of `make test`. See bench/README.md.
bench: bench-micro bench-suite

bench-micro:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

bench-suite:
	GO=$(GO) bash bench/run.sh

# Runs each fuzzer for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzDecoder$$' -fuzztime=$(FUZZTIME) ./internal/parser/
	$(GO) test -run='^$$' -fuzz='^FuzzBinaryReassembly$$' -fuzztime=$(FUZZTIME) ./internal/parser/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeAny$$' -fuzztime=$(FUZZTIME) ./internal/parser/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodePayload$$' -fuzztime=$(FUZZTIME) ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodePayloadV3$$' -fuzztime=$(FUZZTIME) ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzFrameReader$$' -fuzztime=$(FUZZTIME) ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzReceivePath$$' -fuzztime=$(FUZZTIME) ./socketio/
	$(GO) test -run='^$$' -fuzz='^FuzzRecoveryHandshake$$' -fuzztime=$(FUZZTIME) ./socketio/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodePayload$$' -fuzztime=$(FUZZTIME) ./adapter/redis/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeEntry$$' -fuzztime=$(FUZZTIME) ./adapter/redisstreams/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodePubSub$$' -fuzztime=$(FUZZTIME) ./adapter/redisstreams/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeNotification$$' -fuzztime=$(FUZZTIME) ./adapter/postgres/
	$(GO) test -run='^$$' -fuzz='^FuzzMsgpackDecode$$' -fuzztime=$(FUZZTIME) ./parser/msgpack/
	$(GO) test -run='^$$' -fuzz='^FuzzMsgpackEncode$$' -fuzztime=$(FUZZTIME) ./parser/msgpack/

# Ten minutes of mixed load with bad clients; prints RSS, goroutines and
# fds every 10 s and fails if they grow after the warm-up. Not in CI.
SOAK ?= 10m
soak:
	$(GO) run ./internal/soak -d $(SOAK)

# With SIO_REPO, a checkout of socketio/socket.io, runs the three official
# conformance suites kept there (Engine.IO v3 and v4, Socket.IO v5) against
# the conformance server (internal/conformance/run.sh). Without it, only
# starts that server on port 3000, for suites run by hand.
conformance:
ifdef SIO_REPO
	GO=$(GO) internal/conformance/run.sh $(SIO_REPO)
else
	$(GO) run ./internal/conformance
endif
