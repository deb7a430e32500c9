#!/usr/bin/env bash
# Starts a local redis-server and two chat servers, on ports 3000 and 3001,
# that form one chat through the Redis Streams adapter (REDIS_ADAPTER=pubsub
# for the classic one): open one page on each port and chat across them.
# Ctrl-C stops all three. Run it with `make run-cluster`.
#
# With --mixed (`make run-mixed`), the server on 3001 is the Node one
# (node/server.mjs, its packages installed with npm ci in node/): one chat
# across a Go and a Node server, on the Redis Streams adapter.
#
# With --postgres (`make run-mixed-postgres` with --mixed), the servers
# form one chat through a local PostgreSQL instead (Debian's, on a
# temporary data directory, PG_PORT or 5440; run as root, it runs as the
# postgres user), with POSTGRES_URL: the rooms' history stays per server.
set -euo pipefail
cd "$(dirname "$0")"
mixed=""
postgres=""
for arg in "$@"; do
  case "$arg" in
    --mixed) mixed=1 ;;
    --postgres) postgres=1 ;;
    *) echo "usage: $0 [--mixed] [--postgres]" >&2; exit 2 ;;
  esac
done
if [ -n "$postgres" ]; then
  pgbin=""
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn) "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then pgbin=$d; break; fi
  done
  [ -n "$pgbin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
else
  command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
fi
if [ -n "$mixed" ]; then
  [ -n "$postgres" ] || [ -z "${REDIS_ADAPTER:-}" ] || [ "$REDIS_ADAPTER" = streams ] || { echo "--mixed: the Node server speaks only the Redis Streams adapter (REDIS_ADAPTER=streams)" >&2; exit 1; }
  command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
  [ -d node/node_modules ] || { echo "run npm ci in $(pwd)/node first (make run-mixed does)" >&2; exit 1; }
fi
go build -o .bin/chat .
pids=()
pgdir=""
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait || true
  [ -z "$pgdir" ] || rm -rf "$pgdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "$postgres" ]; then
  PG_PORT=${PG_PORT:-5440}
  pgdir=$(mktemp -d /tmp/chat-pg-XXXXXX)
  as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$pgdir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres -E UTF8 --no-sync --no-instructions >/dev/null
  "${as[@]}" "$pgbin/postgres" -D "$pgdir/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$pgdir" -c fsync=off >"$pgdir/log" 2>&1 &
  pids+=($!)
  until grep -q "ready to accept connections" "$pgdir/log" 2>/dev/null; do
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$pgdir/log" >&2; exit 1; }
    sleep 0.1
  done
  unset REDIS_URL
  export POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
else
  REDIS_PORT=${REDIS_PORT:-6390}
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
  pids+=($!)
  until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done
  unset POSTGRES_URL
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
fi
PORT=3000 ./.bin/chat &
pids+=($!)
if [ -n "$mixed" ]; then
  (cd node && PORT=3001 exec node server.mjs) &
else
  PORT=3001 ./.bin/chat &
fi
pids+=($!)
wait -n
