#!/usr/bin/env bash
# Starts a local redis-server and two chat servers, on ports 3000 and 3001,
# that form one chat through the Redis Streams adapter (REDIS_ADAPTER=pubsub
# for the classic one): open one page on each port and chat across them.
# Ctrl-C stops all three. Run it with `make run-cluster`.
#
# With --mixed (`make run-mixed`), the server on 3001 is the Node one
# (node/server.mjs, its packages installed with npm ci in node/): one chat
# across a Go and a Node server, on the Redis Streams adapter.
set -euo pipefail
cd "$(dirname "$0")"
mixed=""
case "${1:-}" in
  "") ;;
  --mixed) mixed=1 ;;
  *) echo "usage: $0 [--mixed]" >&2; exit 2 ;;
esac
command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
if [ -n "$mixed" ]; then
  [ -z "${REDIS_ADAPTER:-}" ] || [ "$REDIS_ADAPTER" = streams ] || { echo "--mixed: the Node server speaks only the Redis Streams adapter (REDIS_ADAPTER=streams)" >&2; exit 1; }
  command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
  [ -d node/node_modules ] || { echo "run npm ci in $(pwd)/node first (make run-mixed does)" >&2; exit 1; }
fi
REDIS_PORT=${REDIS_PORT:-6390}
go build -o .bin/chat .
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
PORT=3000 ./.bin/chat &
pids+=($!)
if [ -n "$mixed" ]; then
  (cd node && PORT=3001 exec node server.mjs) &
else
  PORT=3001 ./.bin/chat &
fi
pids+=($!)
wait -n
