#!/usr/bin/env bash
# Runs the three official conformance suites (Engine.IO v3, Engine.IO v4,
# Socket.IO v5) against the conformance server, on port 3000 as they
# expect. $1 is a checkout of socketio/socket.io, where the suites live
# (docs/engine.io-protocol/v3-test-suite, v4-test-suite and
# docs/socket.io-protocol/v5-test-suite); they are not part of this
# repository. Each suite's npm packages are installed in that checkout on
# first use.
#
# The v3 suite's client waits for the websocket's "open" before it listens
# for the first message; with the ws release its ^8.21.0 resolves to today,
# a message that arrives in the same read as the 101 answer (our server
# writes them together) is emitted before the test listens for it. Its
# local install is pinned to ws 8.16.0, which emits it later; the server is
# not slowed down for it.
set -euo pipefail
repo=${1:?usage: run.sh <checkout of socketio/socket.io>}
repo=$(cd "$repo" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/internal/conformance/.bin/conformance
${GO:-go} build -o "$bin" "$root/internal/conformance"
PORT=3000 "$bin" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null && break
  sleep 0.1
done
status=0
for suite in engine.io-protocol/v3-test-suite engine.io-protocol/v4-test-suite socket.io-protocol/v5-test-suite; do
  dir=$repo/docs/$suite
  echo "== $suite"
  if [ ! -d "$dir/node_modules" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    if [ "$suite" = engine.io-protocol/v3-test-suite ]; then
      (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error ws@8.16.0)
    fi
  fi
  (cd "$dir" && npx mocha test-suite.js) || status=1
done
exit $status
