#!/usr/bin/env bash
# Starts a local redis-server and two chat servers, on ports 3000 and 3001,
# that form one chat through the Redis Streams adapter (REDIS_ADAPTER=pubsub
# for the classic one): open one page on each port and chat across them.
# Ctrl-C stops all three. Run it with `make run-cluster`.
set -euo pipefail
cd "$(dirname "$0")"
command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
REDIS_PORT=${REDIS_PORT:-6390}
go build -o .bin/chat .
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done
for port in 3000 3001; do
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT" PORT=$port ./.bin/chat &
  pids+=($!)
done
wait -n
