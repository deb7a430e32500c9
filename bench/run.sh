#!/usr/bin/env bash
# The benchmark suite: builds the load generator and the servers, installs
# the Node server's packages, runs every case against every server (a fresh
# server process per run, the order of the servers rotating every repeat),
# prints a table of medians with ratios to Node and writes bench/RESULTS.md.
#
#   bench/run.sh [SERVER ...]          (make bench runs it with no arguments)
#
# SERVER is sio (bench/server, this repository), node (socket.io 4.8),
# zishang (github.com/zishang520/socket.io v3), or NAME=COMMAND for any
# other server that implements the contract in bench/README.md (COMMAND
# runs with PORT and HOST=127.0.0.1 set and is exec'd, so that its PID is
# the server's). Default: sio node zishang.
#
# The cluster case runs each server as a pair of processes joined by a
# fresh local redis-server (REDIS_URL set; zishang has no Redis adapter and
# is skipped): CLUSTER_N subscribers, half on each node, the publisher on
# the first. It needs redis-server and redis-cli on the PATH. The case
# cluster runs the pairs on the classic pub/sub adapter (REDIS_ADAPTER=pubsub),
# cluster_streams on the Redis Streams adapter (REDIS_ADAPTER=streams).
#
# cluster_pg runs the pairs joined by a fresh local PostgreSQL instead
# (POSTGRES_URL set: adapter/postgres and @socket.io/postgres-adapter, over
# LISTEN/NOTIFY): initdb on a temporary directory, a free loopback port,
# run as the postgres user when run.sh runs as root; stopped and removed
# after each run. It needs Debian's PostgreSQL (initdb, postgres and psql in
# /usr/lib/postgresql/*/bin, newest first, or on the PATH).
#
# fanout_w10_csr is fanout_w10 with connection-state recovery on in the
# server (RECOVERY=1; zishang is skipped): every broadcast then carries an
# offset, which the load generator requires (-offsets). Run it with
# fanout_w10 to see what recovery costs: the summary compares the two.
#
# fanout_w10_metrics and echo_metrics are fanout_w10 and echo against sio
# with its Prometheus metrics on (METRICS=1: the collector of
# metrics/prometheus registered and scraped once a second inside the
# server); the other servers are skipped. Run them with fanout_w10 and echo
# to see what the metrics cost: the summary compares them.
#
# fanout_w10_msgpack and echo_msgpack are fanout_w10 and echo with the
# msgpack codec at both ends: the server with PARSER=msgpack (sio:
# parser/msgpack; node: socket.io-msgpack-parser; zishang is skipped), the
# load generator with -msgpack. Run them with fanout_w10 and echo: the
# summary compares each server's msgpack and JSON figures, and its ratio to
# Node in both.
#
# scaling measures each server at several connection counts
# (SCALING_COUNTS; "max" is derived from the hard limit on open files, which
# both the server and the load generator need one per connection of): a
# fresh server per (count, server), the connections opened as fast as
# possible (from several loopback source addresses when one has too few
# ephemeral ports), server RSS per connection when idle, then SCALING_M
# broadcasts to all, one at a time. It runs SCALING_REPEATS times (at most
# REPEATS); the summary tabulates each count, checks the scaling targets,
# projects to 100k and 1M connections and draws bench/scaling.svg.
#
# Knobs (environment), with their defaults:
#   REPEATS=3  CASES="idle connect fanout_w10 fanout_w10_csr fanout_w10_metrics fanout_w10_msgpack
#                     fanout_burst fanout_w1 echo echo_metrics echo_msgpack polling_echo cluster
#                     cluster_streams cluster_pg scaling"
#   IDLE_N=5000 CONNECT_N=2000 CONNECT_CONC=50 FANOUT_N=1000 FANOUT_M=200 SIZE=100
#   ECHO_K=50 ECHO_R=2000 POLL_K=50 POLL_R=500 BASE_PORT=22000
#   CLUSTER_N=1000 CLUSTER_M=200 CLUSTER_WINDOW=10 CLUSTER_WARMUP=20
#   CLUSTER_PG_M=200               cluster_pg's measured broadcasts
#   SCALING_COUNTS="1000 5000 10000 max" SCALING_M=5 SCALING_REPEATS=2 SCALING_HOLD=2s
#   SCALING_MARGIN=<max(500, hard limit / 20)>  max = hard limit - margin
#   OUT=bench/results/<UTC time>   where raw.jsonl (cluster.raw.jsonl),
#                                  table.md (cluster.md) and logs/ go
#   RESULTS_MD=bench/RESULTS.md    the report; set it empty to skip it. The
#                                  single-server cases write everything above
#                                  its "## Cluster (Redis adapter)" section,
#                                  the cluster case that section; a run keeps
#                                  the part it did not measure
#   QUIET_CORES=0.3 QUIET_BUDGET=480  before each run, wait while other
#                                  processes use more than QUIET_CORES cores,
#                                  for at most QUIET_BUDGET seconds in all
#   SIO_SERVER_ENV="..."           extra environment for the sio server,
#                                  e.g. "CPUPROFILE=/tmp/cpu.prof"
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"
export PATH="$PATH:/usr/local/go/bin"
GO=${GO:-go}

REPEATS=${REPEATS:-3}
DEFAULT_CASES="idle connect fanout_w10 fanout_w10_csr fanout_w10_metrics fanout_w10_msgpack fanout_burst fanout_w1 echo echo_metrics echo_msgpack polling_echo cluster cluster_streams cluster_pg"
DEFAULT_CASES="$DEFAULT_CASES scaling" # and the scaling case, at the end
CASES=${CASES:-$DEFAULT_CASES}
IDLE_N=${IDLE_N:-5000}
CONNECT_N=${CONNECT_N:-2000}
CONNECT_CONC=${CONNECT_CONC:-50}
FANOUT_N=${FANOUT_N:-1000}
FANOUT_M=${FANOUT_M:-200}
SIZE=${SIZE:-100}
ECHO_K=${ECHO_K:-50}
ECHO_R=${ECHO_R:-2000}
POLL_K=${POLL_K:-50}
POLL_R=${POLL_R:-500}
CLUSTER_N=${CLUSTER_N:-1000}
CLUSTER_M=${CLUSTER_M:-200}
CLUSTER_WINDOW=${CLUSTER_WINDOW:-10}
CLUSTER_WARMUP=${CLUSTER_WARMUP:-20}
CLUSTER_PG_M=${CLUSTER_PG_M:-200} # cluster_pg
# scaling (see the top): the counts, "max" = the hard open-files limit
# minus a margin for the descriptors that are not connections.
SCALING_COUNTS=${SCALING_COUNTS:-"1000 5000 10000 max"}
SCALING_M=${SCALING_M:-5}
SCALING_REPEATS=${SCALING_REPEATS:-2}
SCALING_HOLD=${SCALING_HOLD:-2s}
SCALING_HARD=$(ulimit -Hn)
[ "$SCALING_HARD" != unlimited ] || SCALING_HARD=$(cat /proc/sys/fs/nr_open)
SCALING_MARGIN=${SCALING_MARGIN:-$((SCALING_HARD / 20 > 500 ? SCALING_HARD / 20 : 500))}
SCALING_MAX=$((SCALING_HARD - SCALING_MARGIN))
SCALING_N=0 # the count of the scaling run in progress
BASE_PORT=${BASE_PORT:-22000} # below the ephemeral port range, so no client socket holds it
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-"$BENCH/results/$STAMP"}
RESULTS_MD=${RESULTS_MD-"$BENCH/RESULTS.md"}
SIO_SERVER_ENV=${SIO_SERVER_ENV:-}
QUIET_CORES=${QUIET_CORES:-0.3}
QUIET_BUDGET=${QUIET_BUDGET:-480}
BIN="$BENCH/.bin"
NODE_DIR="$BENCH/servers/node"
COMMAND="bench/run.sh${*:+ $*}"
[ "$CASES" = "$DEFAULT_CASES" ] || COMMAND="CASES=\"$CASES\" $COMMAND"
[ "$REPEATS" = 3 ] || COMMAND="REPEATS=$REPEATS $COMMAND"
if [ "$COMMAND" = bench/run.sh ]; then SHOWN="make bench    # runs: bench/run.sh"; else SHOWN=$COMMAND; fi

SERVERS=("$@")
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(sio node zishang)

# idle holds IDLE_N sockets at both ends, in two processes: raise the soft
# limit on open files to the hard one (children inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((IDLE_N + 1000)) ]; then
  echo "run.sh: ulimit -n is $NOFILE; idle needs at least $((IDLE_N + 1000))" >&2
  exit 1
fi
read -r EPH_LO EPH_HI </proc/sys/net/ipv4/ip_local_port_range
if [ "$BASE_PORT" -le "$EPH_HI" ] && [ $((BASE_PORT + 1000)) -ge "$EPH_LO" ]; then
  echo "run.sh: BASE_PORT=$BASE_PORT overlaps the ephemeral port range $EPH_LO-$EPH_HI" >&2
  exit 1
fi

server_cmd() { # server spec -> shell command that execs the server
  case "$1" in
    sio) echo "exec env $SIO_SERVER_ENV '$BIN/sio-server'" ;;
    node) echo "cd '$NODE_DIR' && exec node server.js" ;;
    zishang) echo "exec '$BIN/zishang-server'" ;;
    *=*) echo "exec ${1#*=}" ;;
    *) echo "run.sh: unknown server '$1' (sio, node, zishang or NAME=COMMAND)" >&2; return 1 ;;
  esac
}
case_args() { # case -> loadgen flags
  case "$1" in
    idle) echo "-scenario idle -n $IDLE_N -rate 1000 -concurrency 100 -hold 5s -settle 1s" ;;
    connect) echo "-scenario connect -n $CONNECT_N -concurrency $CONNECT_CONC" ;;
    scaling) echo "-scenario scaling -n $SCALING_N -m $SCALING_M -size $SIZE -warmup 1 -concurrency 100 -hold $SCALING_HOLD -settle 1s" ;;
    fanout_w10 | fanout_w10_metrics) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 10 -warmup 20" ;;
    fanout_w10_msgpack) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 10 -warmup 20 -msgpack" ;;
    fanout_w10_csr) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 10 -warmup 20 -offsets" ;;
    fanout_burst) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 0 -warmup 20" ;;
    fanout_w1) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 1 -warmup 20" ;;
    echo | echo_metrics) echo "-scenario echo -k $ECHO_K -r $ECHO_R -size $SIZE -warmup 100" ;;
    echo_msgpack) echo "-scenario echo -k $ECHO_K -r $ECHO_R -size $SIZE -warmup 100 -msgpack" ;;
    polling_echo) echo "-scenario polling-echo -k $POLL_K -r $POLL_R -size $SIZE -warmup 20" ;;
    cluster | cluster_streams) echo "-scenario cluster-fanout -n $CLUSTER_N -m $CLUSTER_M -size $SIZE -window $CLUSTER_WINDOW -warmup $CLUSTER_WARMUP" ;;
    cluster_pg) echo "-scenario cluster-fanout -n $CLUSTER_N -m $CLUSTER_PG_M -size $SIZE -window $CLUSTER_WINDOW -warmup $CLUSTER_WARMUP" ;;
    *) echo "run.sh: unknown case '$1'" >&2; return 1 ;;
  esac
}
case_env() { # case -> the server's extra environment (the server contract's knobs)
  case "$1" in
    fanout_w10_csr) echo "RECOVERY=1" ;;
    fanout_w10_metrics | echo_metrics) echo "METRICS=1" ;;
    fanout_w10_msgpack | echo_msgpack) echo "PARSER=msgpack" ;;
    cluster) echo "REDIS_ADAPTER=pubsub" ;;
    cluster_streams) echo "REDIS_ADAPTER=streams" ;;
  esac
}
is_cluster() { [ "$1" = cluster ] || [ "$1" = cluster_streams ] || [ "$1" = cluster_pg ]; }
is_metrics() { [ "$1" = fanout_w10_metrics ] || [ "$1" = echo_metrics ]; }
is_msgpack() { [ "$1" = fanout_w10_msgpack ] || [ "$1" = echo_msgpack ]; }
case_servers() { # case -> the servers it runs against
  local s
  for s in "${SERVERS[@]}"; do
    # zishang520/socket.io has no adapter for @socket.io/redis-adapter's
    # protocols, and its bench server reads neither RECOVERY nor PARSER.
    if [ "$s" = zishang ] && { is_cluster "$1" || [ "$1" = fanout_w10_csr ] || is_msgpack "$1"; }; then continue; fi
    # scaling compares with Node only (zishang would add minutes).
    if [ "$s" = zishang ] && [ "$1" = scaling ]; then continue; fi
    # METRICS is a knob of bench/server only.
    if is_metrics "$1" && [ "$s" != sio ]; then continue; fi
    echo "$s"
  done
}
for s in "${SERVERS[@]}"; do server_cmd "$s" >/dev/null; done
SINGLE_CASES=""
CLUSTER_CASES=""
CLUSTER_RUN=0
for c in $CASES; do
  case_args "$c" >/dev/null
  if is_cluster "$c"; then CLUSTER_RUN=1; CLUSTER_CASES="${CLUSTER_CASES:+$CLUSTER_CASES }$c"; else SINGLE_CASES="${SINGLE_CASES:+$SINGLE_CASES }$c"; fi
done
if [ -n "$(echo " $CLUSTER_CASES " | sed 's/ cluster_pg / /g' | tr -d ' ')" ]; then # a cluster case on Redis
  for t in redis-server redis-cli; do
    command -v $t >/dev/null || { echo "run.sh: the cluster case needs $t (Debian: apt-get install redis-server)" >&2; exit 1; }
  done
fi
# --- cluster_pg: a PostgreSQL of its own per run (self-contained block) ---
PG_BIN=""
if [[ " $CLUSTER_CASES " == *" cluster_pg "* ]]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -rn); do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/psql" ]; then PG_BIN=$d; break; fi
  done
  if [ -z "$PG_BIN" ] && command -v initdb >/dev/null && command -v postgres >/dev/null && command -v psql >/dev/null; then
    PG_BIN=$(dirname "$(command -v initdb)")
  fi
  [ -n "$PG_BIN" ] || { echo "run.sh: cluster_pg needs PostgreSQL's initdb, postgres and psql (Debian: apt-get install postgresql)" >&2; exit 1; }
fi
PG_AS=() # as root, PostgreSQL runs as the postgres user (initdb refuses root)
if [ -n "$PG_BIN" ] && [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "run.sh: cluster_pg runs PostgreSQL as the postgres user when run as root; there is none" >&2; exit 1; }
  PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
PG_DIR="" PG_PID="" PG_NODES=()
PG_V="" PGX_V=""
if [ -n "$PG_BIN" ]; then
  PG_V=$("$PG_BIN/postgres" --version | awk '{ print $3 }')
  PGX_V=$(awk '$1 == "github.com/jackc/pgx/v5" { print $2 } $1 == "require" && $2 == "github.com/jackc/pgx/v5" { print $3 }' "$ROOT/go.mod" | head -1)
fi
pg_adapter_v() { # once npm ci ran
  (cd "$NODE_DIR" && node -p 'require("@socket.io/postgres-adapter/package.json").version + " on pg " + require("pg/package.json").version' 2>/dev/null) || echo "?"
}
# pg_start LOG: initdb on a fresh temporary directory and postgres on a
# free loopback port (no fsync, trust auth, unix socket in that directory);
# sets PG_DIR, PG_PORT and PG_PID (the postmaster, whose process tree the
# load generator measures); false if it did not accept connections within
# ~20 s.
pg_start() {
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sio-bench-pg.XXXXXX")
  [ ${#PG_AS[@]} = 0 ] || chown postgres: "$PG_DIR"
  (cd "$PG_DIR" && LC_ALL=C "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 \
    --no-sync --no-instructions) >"$1" 2>&1 || return 1
  free_port
  PG_PORT=$PORT_OUT
  (cd "$PG_DIR" && LC_ALL=C exec "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG_DIR" -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=100) >>"$1" 2>&1 &
  PG_PID=$! # the subshell execs setpriv, which execs postgres: the postmaster's PID
  for _ in $(seq 200); do
    [ "$(pg_sql "SELECT 1")" = 1 ] && return 0
    proc_alive "$PG_PID" || return 1
    sleep 0.1
  done
  return 1
}
pg_sql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -XAtqc "$1" 2>/dev/null; }
# pg_stop: fast shutdown (SIGINT), SIGKILL after 10 s, and the data go.
pg_stop() {
  if [ -n "$PG_PID" ]; then
    kill -INT "$PG_PID" 2>/dev/null || true
    for _ in $(seq 100); do proc_alive "$PG_PID" || break; sleep 0.1; done
    kill -KILL "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
  fi
  [ -z "$PG_DIR" ] || rm -rf "$PG_DIR"
  PG_PID="" PG_DIR=""
}
# pg_listening: both nodes' listening connections have run their LISTEN
# (the last statement of a backend that waits for notifications; a
# notification sent before a node listens never reaches it).
pg_listening() {
  local n
  n=$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle' AND query LIKE 'LISTEN %'") || true
  [ "${n:-0}" -ge 2 ]
}
# run_cluster_pg CASE SPEC NAME REP LOG: run_cluster with a fresh
# PostgreSQL instead of Redis (POSTGRES_URL set for both nodes).
run_cluster_pg() {
  local c=$1 spec=$2 name=$3 rep=$4 log=$5 apid="" bpid="" line="" ok=1 url
  PG_NODES=()
  trap '[ ${#PG_NODES[@]} = 0 ] || stop "${PG_NODES[@]}"; pg_stop' EXIT # run.sh interrupted
  pg_start "$log.postgres.log" || { ok=0; echo "run.sh: PostgreSQL did not start: see $log.postgres.log" >>"$log.loadgen.log"; }
  url="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
  free_port
  local ap=$PORT_OUT
  free_port
  local bp=$PORT_OUT
  if [ $ok = 1 ]; then
    # shellcheck disable=SC2046
    env $(case_env "$c") POSTGRES_URL="$url" PORT=$ap HOST=127.0.0.1 bash -c "$(server_cmd "$spec")" >"$log.a.server.log" 2>&1 &
    apid=$!
    # shellcheck disable=SC2046
    env $(case_env "$c") POSTGRES_URL="$url" PORT=$bp HOST=127.0.0.1 bash -c "$(server_cmd "$spec")" >"$log.b.server.log" 2>&1 &
    bpid=$!
    PG_NODES=("$apid" "$bpid")
    wait_port "$ap" "$apid" && wait_port "$bp" "$bpid" || ok=0
  fi
  if [ $ok = 1 ]; then
    ok=0
    for _ in $(seq 100); do # at most ~10 s
      if pg_listening; then ok=1; break; fi
      sleep 0.1
    done
    [ $ok = 1 ] || echo "run.sh: the pair did not LISTEN within 10 s" >>"$log.loadgen.log"
  fi
  if [ $ok = 1 ]; then
    # shellcheck disable=SC2046
    line=$(timeout 180 "$BIN/loadgen" -addrs "127.0.0.1:$ap,127.0.0.1:$bp" -pid "$apid,$bpid" -db-pid "$PG_PID" \
      -server "$name" -case "$c" -repeat "$rep" -timeout 150s $(case_args "$c") 2>>"$log.loadgen.log" || true)
  fi
  [ -z "$apid" ] || stop "$apid" "$bpid"
  PG_NODES=()
  pg_stop
  trap - EXIT
  RUN_LINE=$line
}
# --- end of cluster_pg block ---

for c in $CASES; do
  if [ -z "$(case_servers "$c")" ]; then
    echo "run.sh: none of the servers ($*) takes part in the case $c" >&2
    exit 1
  fi
done
names=()
for s in "${SERVERS[@]}"; do names+=("${s%%=*}"); done

echo "== building (bench/.bin)" >&2
mkdir -p "$BIN" "$OUT/logs"
"$GO" build -o "$BIN/sio-server" ./bench/server
"$GO" build -o "$BIN/loadgen" ./bench/loadgen
"$GO" build -o "$BIN/summarize" ./bench/summarize
if [[ " ${names[*]} " == *" zishang "* ]]; then
  (cd "$BENCH/servers/zishang" && "$GO" build -o "$BIN/zishang-server" .)
fi
if [[ " ${names[*]} " == *" node "* ]]; then
  if [ ! -f "$NODE_DIR/node_modules/.installed" ] || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.installed" ]; then
    echo "== npm ci (bench/servers/node)" >&2
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
  fi
fi

proc_alive() { # running and not a zombie
  local st
  st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# The machine may be shared: before each run, wait (within a budget) until
# other processes leave the cores alone. Each run also reports the CPU that
# other processes used while it measured (other_cpu_cores).
busy_total() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }
QUIET_SPENT=0
BUSY_WAITS=0
wait_quiet() {
  local b0 t0 b1 t1 used
  for _ in $(seq 1000); do
    read -r b0 t0 < <(busy_total)
    sleep 1
    read -r b1 t1 < <(busy_total)
    used=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v n="$(nproc)" 'BEGIN { printf "%.2f", (t > 0 ? n * b / t : 0) }')
    if awk -v u="$used" -v m="$QUIET_CORES" 'BEGIN { exit !(u <= m) }'; then return 0; fi
    if [ "$QUIET_SPENT" -ge "$QUIET_BUDGET" ]; then
      echo "run.sh: other processes use $used cores; wait budget spent, measuring anyway" >&2
      return 0
    fi
    echo "run.sh: other processes use $used cores; waiting" >&2
    BUSY_WAITS=$((BUSY_WAITS + 1))
    sleep 2
    QUIET_SPENT=$((QUIET_SPENT + 3))
  done
}

MEM_GIB=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
NODE_V=$(node --version 2>/dev/null || echo none)
SIO_V=$(cd "$NODE_DIR" && node -p 'require("socket.io/package.json").version' 2>/dev/null || echo "?")
REDIS_V=$(redis-server --version 2>/dev/null | grep -o 'v=[0-9.]*' | cut -d= -f2 || true)
REDIS_ADAPTER_V=$(cd "$NODE_DIR" && node -p 'require("@socket.io/redis-adapter/package.json").version + " on redis " + require("redis/package.json").version' 2>/dev/null || echo "?")
STREAMS_ADAPTER_V=$(cd "$NODE_DIR" && node -p 'require("@socket.io/redis-streams-adapter/package.json").version' 2>/dev/null || echo "?")
GO_REDIS_V=$(awk '$1 == "github.com/redis/go-redis/v9" { print $2 } $1 == "require" && $2 == "github.com/redis/go-redis/v9" { print $3 }' "$ROOT/go.mod" | head -1)
ZS_V=$(awk '$1 == "require" && $2 ~ /servers\/socket\/v3/ { print $3 } $1 ~ /servers\/socket\/v3$/ { print $2 }' "$BENCH/servers/zishang/go.mod" | head -1)
PARAMS="REPEATS=$REPEATS IDLE_N=$IDLE_N CONNECT_N=$CONNECT_N CONNECT_CONC=$CONNECT_CONC FANOUT_N=$FANOUT_N FANOUT_M=$FANOUT_M SIZE=$SIZE ECHO_K=$ECHO_K ECHO_R=$ECHO_R POLL_K=$POLL_K POLL_R=$POLL_R"
CLUSTER_PARAMS="REPEATS=$REPEATS CLUSTER_N=$CLUSTER_N CLUSTER_M=$CLUSTER_M CLUSTER_WINDOW=$CLUSTER_WINDOW CLUSTER_WARMUP=$CLUSTER_WARMUP SIZE=$SIZE"
[[ " $CLUSTER_CASES " != *" cluster_pg "* ]] || CLUSTER_PARAMS="$CLUSTER_PARAMS CLUSTER_PG_M=$CLUSTER_PG_M"
{
  echo "machine: nproc $(nproc), $CPU_MODEL, $MEM_GIB GiB RAM, Linux $(uname -r), ulimit -n $NOFILE"
  echo "toolchains: $("$GO" version | cut -d' ' -f3), node $NODE_V; socket.io $SIO_V; zishang520/socket.io servers/socket/v3 $ZS_V"
  if [ $CLUSTER_RUN = 1 ]; then
    echo "cluster: redis-server $REDIS_V; go-redis $GO_REDIS_V; @socket.io/redis-adapter $REDIS_ADAPTER_V; @socket.io/redis-streams-adapter $STREAMS_ADAPTER_V"
  fi
  [ -z "$PG_BIN" ] || echo "cluster_pg: PostgreSQL $PG_V ($PG_BIN); pgx $PGX_V; @socket.io/postgres-adapter $(pg_adapter_v)"
  echo "servers: ${SERVERS[*]}"
  echo "cases: $CASES"
  [ -z "$SINGLE_CASES" ] || echo "params: $PARAMS"
  [ $CLUSTER_RUN = 0 ] || echo "cluster params: $CLUSTER_PARAMS"
} | tee "$OUT/meta.txt" >&2

# free_port prints the next port after $port that nothing listens on and
# advances $port past it (call it without a subshell: free_port; p=$PORT_OUT).
port=$BASE_PORT
free_port() {
  for _ in $(seq 200); do
    port=$((port + 1))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then PORT_OUT=$port; return 0; fi
  done
  echo "run.sh: no free port above $BASE_PORT" >&2
  exit 1
}
# wait_port PORT PID: until PORT accepts connections (at most ~10 s) or
# PID dies.
wait_port() {
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    proc_alive "$2" || return 1
    sleep 0.05
  done
  return 1
}
# stop PID...: SIGTERM, then SIGKILL after 5 s.
stop() {
  local pid
  kill -TERM "$@" 2>/dev/null || true
  for pid in "$@"; do
    for _ in $(seq 50); do proc_alive "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
# cluster_formed CASE PORT: every node of the pair listens to the Redis at
# PORT. cluster (pub/sub): subscribed to the channels of the main namespace
# that both implementations use (the broadcast pattern socket.io#/#* and the
# request channel socket.io-request#/#). cluster_streams: subscribed to the
# request channel socket.io#/#, and two readers blocked in XREAD on the
# stream (a reader starts at the stream's end, so an entry added before
# both wait would not reach one of them).
cluster_formed() {
  local psub numsub xread
  if [ "$1" = cluster_streams ]; then
    numsub=$(redis-cli -p "$2" PUBSUB NUMSUB 'socket.io#/#' 2>/dev/null | sed -n 2p) || true
    xread=$(redis-cli -p "$2" CLIENT LIST 2>/dev/null | grep -c ' cmd=xread') || true
    [ "${numsub:-0}" -ge 2 ] && [ "${xread:-0}" -ge 2 ]
    return
  fi
  psub=$(redis-cli -p "$2" CLIENT LIST 2>/dev/null | grep -c ' psub=[1-9]') || true
  numsub=$(redis-cli -p "$2" PUBSUB NUMSUB 'socket.io-request#/#' 2>/dev/null | sed -n 2p) || true
  [ "${psub:-0}" -ge 2 ] && [ "${numsub:-0}" -ge 2 ]
}

# run_single CASE SPEC NAME REP LOG: one server process, one loadgen run.
run_single() {
  local c=$1 spec=$2 name=$3 rep=$4 log=$5 pid line=""
  free_port
  local p=$PORT_OUT
  # shellcheck disable=SC2046
  env $(case_env "$c") PORT=$p HOST=127.0.0.1 bash -c "$(server_cmd "$spec")" >"$log.server.log" 2>&1 &
  pid=$!
  if wait_port "$p" "$pid"; then
    # shellcheck disable=SC2046
    line=$(timeout 180 "$BIN/loadgen" -addr "127.0.0.1:$p" -pid "$pid" -server "$name" -case "$c" \
      -repeat "$rep" -timeout 150s $(case_args "$c") 2>"$log.loadgen.log" || true)
  fi
  stop "$pid"
  RUN_LINE=$line
}

# run_cluster CASE SPEC NAME REP LOG: a fresh redis-server and two server
# processes of SPEC with REDIS_URL (and the case's REDIS_ADAPTER); the load
# generator spreads the subscribers over both and measures the CPU of both
# (and of Redis).
run_cluster() {
  if [ "$1" = cluster_pg ]; then run_cluster_pg "$@"; return; fi
  local c=$1 spec=$2 name=$3 rep=$4 log=$5 rpid apid bpid line="" ok=1
  free_port
  local rp=$PORT_OUT
  redis-server --port "$rp" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    --protected-mode yes >"$log.redis.log" 2>&1 &
  rpid=$!
  wait_port "$rp" "$rpid" || ok=0
  free_port
  local ap=$PORT_OUT
  free_port
  local bp=$PORT_OUT
  # shellcheck disable=SC2046
  env $(case_env "$c") REDIS_URL="redis://127.0.0.1:$rp" PORT=$ap HOST=127.0.0.1 bash -c "$(server_cmd "$spec")" >"$log.a.server.log" 2>&1 &
  apid=$!
  # shellcheck disable=SC2046
  env $(case_env "$c") REDIS_URL="redis://127.0.0.1:$rp" PORT=$bp HOST=127.0.0.1 bash -c "$(server_cmd "$spec")" >"$log.b.server.log" 2>&1 &
  bpid=$!
  [ $ok = 1 ] && wait_port "$ap" "$apid" && wait_port "$bp" "$bpid" || ok=0
  if [ $ok = 1 ]; then
    ok=0
    for _ in $(seq 100); do # at most ~10 s
      if cluster_formed "$c" "$rp"; then ok=1; break; fi
      sleep 0.1
    done
    [ $ok = 1 ] || echo "run.sh: the pair did not listen to Redis within 10 s" >>"$log.loadgen.log"
  fi
  if [ $ok = 1 ]; then
    # shellcheck disable=SC2046
    line=$(timeout 180 "$BIN/loadgen" -addrs "127.0.0.1:$ap,127.0.0.1:$bp" -pid "$apid,$bpid" -redis-pid "$rpid" \
      -server "$name" -case "$c" -repeat "$rep" -timeout 150s $(case_args "$c") 2>>"$log.loadgen.log" || true)
  fi
  stop "$apid" "$bpid"
  stop "$rpid"
  RUN_LINE=$line
}

# The scaling case: its counts ("max" resolved, those above it dropped,
# sorted), and one repeat of it: every count against every server (the
# order rotating with the repeat), a fresh server process each.
SCALING_LIST=""
if [[ " $CASES " == *" scaling "* ]]; then
  SCALING_LIST=$(for n in $SCALING_COUNTS; do
    [ "$n" != max ] || n=$SCALING_MAX
    if [ "$n" -ge 2 ] && [ "$n" -le "$SCALING_MAX" ]; then echo "$n"; fi
  done | sort -nu | xargs)
  if [ -z "$SCALING_LIST" ]; then
    echo "run.sh: no count of SCALING_COUNTS=\"$SCALING_COUNTS\" fits under $SCALING_MAX (open files: hard limit $SCALING_HARD - margin $SCALING_MARGIN)" >&2
    exit 1
  fi
  echo "scaling: counts $SCALING_LIST (max = hard limit on open files $SCALING_HARD - margin $SCALING_MARGIN); $SCALING_M broadcasts each; $((SCALING_REPEATS < REPEATS ? SCALING_REPEATS : REPEATS)) repeats" | tee -a "$OUT/meta.txt" >&2
fi
run_scaling_rep() { # REP
  local rep=$1 n j spec name log line ok nserv
  local -a servers
  mapfile -t servers < <(case_servers scaling)
  nserv=${#servers[@]}
  for n in $SCALING_LIST; do
    for ((j = 0; j < nserv; j++)); do
      spec=${servers[$(((j + rep - 1) % nserv))]}
      name=${spec%%=*}
      log="$OUT/logs/scaling.$n.$name.$rep"
      wait_quiet
      t1=$(date +%s)
      SCALING_N=$n
      run_single scaling "$spec" "$name" "$rep" "$log"
      SINGLE_SECS=$((SINGLE_SECS + $(date +%s) - t1))
      SCALING_SECS=$((SCALING_SECS + $(date +%s) - t1))
      line=$RUN_LINE
      if [ -z "$line" ]; then
        line="{\"server\":\"$name\",\"case\":\"scaling\",\"connections\":$n,\"repeat\":$rep,\"ok\":false,\"errors\":[\"no result (server not ready or loadgen died): see $log.*\"]}"
      fi
      echo "$line" >>"$OUT/raw.jsonl"
      ok=$(echo "$line" | grep -o '"ok":[a-z]*' | cut -d: -f2)
      printf '[%4ds] rep %d %-15s %-8s ok=%s %s %s %s\n' $(($(date +%s) - T0)) "$rep" "scaling $n" "$name" "$ok" \
        "$(echo "$line" | grep -oE '"rss_per_conn_kb":[0-9.e+-]*')" "$(echo "$line" | grep -oE '"all_received_p50_ms":[0-9.e+-]*')" \
        "$(echo "$line" | grep -oE '"handshakes_per_s":[0-9.e+-]*')" >&2
      sleep 0.5
    done
  done
}
SCALING_SECS=0

T0=$(date +%s)
SINGLE_SECS=0  # time spent in the runs of each part, for the report
CLUSTER_SECS=0
for ((rep = 1; rep <= REPEATS; rep++)); do
  for c in $CASES; do
    if [ "$c" = scaling ]; then # its own loop over the counts, SCALING_REPEATS times
      [ "$rep" -gt "$SCALING_REPEATS" ] || run_scaling_rep "$rep"
      continue
    fi
    mapfile -t servers < <(case_servers "$c")
    nserv=${#servers[@]}
    raw="$OUT/raw.jsonl"
    ! is_cluster "$c" || raw="$OUT/cluster.raw.jsonl"
    for ((j = 0; j < nserv; j++)); do
      spec=${servers[$(((j + rep - 1) % nserv))]} # rotate the order every repeat
      name=${spec%%=*}
      log="$OUT/logs/$c.$name.$rep"
      wait_quiet
      t1=$(date +%s)
      if is_cluster "$c"; then
        run_cluster "$c" "$spec" "$name" "$rep" "$log"
        CLUSTER_SECS=$((CLUSTER_SECS + $(date +%s) - t1))
      else
        run_single "$c" "$spec" "$name" "$rep" "$log"
        SINGLE_SECS=$((SINGLE_SECS + $(date +%s) - t1))
      fi
      line=$RUN_LINE
      if [ -z "$line" ]; then
        line="{\"server\":\"$name\",\"case\":\"$c\",\"repeat\":$rep,\"ok\":false,\"errors\":[\"no result (server not ready or loadgen died): see $log.*\"]}"
      fi
      echo "$line" >>"$raw"
      ok=$(echo "$line" | grep -o '"ok":[a-z]*' | cut -d: -f2)
      tput=$(echo "$line" | grep -oE '"(msgs_per_s|round_trips_per_s|handshakes_per_s|rss_per_socket_kb)":[0-9.e+]*' | head -1)
      printf '[%4ds] rep %d %-15s %-8s ok=%s %s\n' $(($(date +%s) - T0)) "$rep" "$c" "$name" "$ok" "$tput" >&2
      sleep 0.5
    done
  done
done

order=$(IFS=,; echo "${names[*]}")
ref=node
[[ " ${names[*]} " == *" node "* ]] || ref=${names[0]}
if [ -n "$SINGLE_CASES" ]; then
  SCALING_SVG_ARGS=() # scaling: the plot, next to the raw data
  [ -z "$SCALING_LIST" ] || SCALING_SVG_ARGS=(-svg "$OUT/scaling.svg" -svg-link scaling.svg)
  "$BIN/summarize" -ref "$ref" -order "$order" "${SCALING_SVG_ARGS[@]}" "$OUT/raw.jsonl" >"$OUT/table.md"
  cat "$OUT/table.md"
fi
if [ $CLUSTER_RUN = 1 ]; then
  corder=$(case_servers cluster | sed 's/=.*//' | paste -sd,)
  cref=node
  [[ ",$corder," == *",node,"* ]] || cref=${corder%%,*}
  "$BIN/summarize" -ref "$cref" -order "$corder" "$OUT/cluster.raw.jsonl" >"$OUT/cluster.md"
  echo
  echo "Cluster (Redis and Postgres adapters): pairs of server processes joined by one redis-server or PostgreSQL"
  echo
  cat "$OUT/cluster.md"
fi
ELAPSED=$(($(date +%s) - T0))

REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- socketio internal adapter room namespace metrics 2>/dev/null || echo ', with uncommitted changes')"
CLUSTER_HEADING="## Cluster (Redis adapter)"

# The single-server part of the report (everything above the cluster section).
single_report() {
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the measuring took ${SINGLE_SECS} s."
  echo "What each case measures and how to read it: [README.md](README.md). The targets against the raw-websocket"
  echo "floor server (go-floor) come from the shared harness: see [CROSSCHECK.md](CROSSCHECK.md). Two servers of"
  echo "each kind joined by Redis: [the cluster section](#cluster-redis-adapter) below."
  echo
  echo "## Machine"
  echo
  echo "- nproc: $(nproc); CPU: $CPU_MODEL; memory: $MEM_GIB GiB; Linux $(uname -r); \`ulimit -n\` $NOFILE"
  echo "- $("$GO" version | cut -d' ' -f3), Node $NODE_V"
  echo "- servers: sio = \`bench/server\` (this repository, $REV); node = socket.io $SIO_V (\`bench/servers/node\`); zishang = github.com/zishang520/socket.io/servers/socket/v3 $ZS_V (\`bench/servers/zishang\`); all with default options"
  if [[ " $SINGLE_CASES " == *" fanout_w10_csr "* ]]; then
    echo "- \`fanout_w10_csr\`: the same servers with connection-state recovery on (\`RECOVERY=1\`: sio with \`Options.ConnectionStateRecovery\` and the in-memory \`adapter.NewSessionAware\`, node with \`connectionStateRecovery: {}\`; zishang skipped), each broadcast carrying its offset"
  fi
  if [[ " $SINGLE_CASES " == *" fanout_w10_metrics "* || " $SINGLE_CASES " == *" echo_metrics "* ]]; then
    echo "- \`fanout_w10_metrics\`, \`echo_metrics\`: sio only, with its Prometheus metrics on (\`METRICS=1\`: the collector of \`metrics/prometheus\` with the Go and process collectors, scraped once a second inside the server)"
  fi
  if [[ " $SINGLE_CASES " == *" fanout_w10_msgpack "* || " $SINGLE_CASES " == *" echo_msgpack "* ]]; then
    MP_V=$(cd "$NODE_DIR" && node -p 'require("socket.io-msgpack-parser/package.json").version' 2>/dev/null || echo "?")
    echo "- \`fanout_w10_msgpack\`, \`echo_msgpack\`: the same servers with the msgpack codec (\`PARSER=msgpack\`: sio with \`Options.Parser = msgpack.Parser{}\`, node with socket.io-msgpack-parser $MP_V; zishang skipped) and the load generator with \`-msgpack\`"
  fi
  if [ -n "$SCALING_LIST" ]; then
    echo "- \`scaling\`: sio and node at $SCALING_LIST connections (\`SCALING_COUNTS=\"$SCALING_COUNTS\"\`, max = the hard limit on open files, $SCALING_HARD, minus $SCALING_MARGIN = $SCALING_MAX), a fresh server per count, $((SCALING_REPEATS < REPEATS ? SCALING_REPEATS : REPEATS)) repeat(s), $SCALING_M broadcasts one at a time per run (\`SCALING_M\`), idle RSS after \`SCALING_HOLD\`=$SCALING_HOLD; the case took ${SCALING_SECS} s"
  fi
  echo "- the load generator (\`bench/loadgen\`) and the server share the same cores; other processes on the machine: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; the runs waited ${QUIET_SPENT} s in all for other processes to go below $QUIET_CORES cores (see the \"CPU used by other processes\" row)"
  echo
  echo "## Command"
  echo
  echo "    $SHOWN"
  echo
  echo "with $PARAMS; cases: $SINGLE_CASES; servers, in rotating order: ${SERVERS[*]}."
  echo "One fresh server process per (repeat, case, server)."
  echo
  echo "## Results"
  echo
  cat "$OUT/table.md"
}

# The cluster section.
cluster_report() {
  local na=$((CLUSTER_N - CLUSTER_N / 2)) nb=$((CLUSTER_N / 2)) # as loadgen: subscriber i on node i mod 2
  echo "$CLUSTER_HEADING"
  echo
  echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the cluster runs took ${CLUSTER_SECS} s"
  echo "(each: start Redis and two servers, wait until both subscribed, connect, measure, stop)."
  echo
  echo "Each run starts a fresh \`redis-server\` $REDIS_V on a free loopback port (\`--save \"\" --appendonly no\`) and two"
  echo "processes of one server kind with \`REDIS_URL\` pointing at it. Case \`cluster\` (pub/sub, \`REDIS_ADAPTER=pubsub\`):"
  echo "**sio pair** = two \`bench/server\` (this repository, $REV; \`adapter/redis\` \`NewAdapter\` with default options on"
  echo "go-redis $GO_REDIS_V), **node pair** = two \`bench/servers/node\` (socket.io $SIO_V, @socket.io/redis-adapter $REDIS_ADAPTER_V,"
  echo "\`createAdapter(pub, sub)\` with default options). Case \`cluster_streams\` (Redis Streams, \`REDIS_ADAPTER=streams\`):"
  echo "the same processes on \`adapter/redisstreams\` \`NewAdapter\` and on @socket.io/redis-streams-adapter $STREAMS_ADAPTER_V"
  echo "(\`createAdapter(client)\`), both with default options (stream \`socket.io\`, \`MAXLEN ~ 10000\`)."
  if [[ " $CLUSTER_CASES " == *" cluster_pg "* ]]; then
    echo "Case \`cluster_pg\` (PostgreSQL, \`POSTGRES_URL\`): a fresh PostgreSQL $PG_V instead of Redis (\`initdb\` on a temporary"
    echo "directory, a free loopback port, \`fsync=off\`, \`synchronous_commit=off\`; removed after the run), the same processes"
    echo "on \`adapter/postgres\` \`NewAdapter\` (default options, a pgxpool with its defaults, pgx $PGX_V) and on"
    echo "@socket.io/postgres-adapter $(pg_adapter_v) (\`createAdapter(pool)\`, default options): every broadcast is one"
    echo "\`pg_notify\` on channel \`socket.io#/\`, which B LISTENs to; $CLUSTER_PG_M measured broadcasts (\`CLUSTER_PG_M\`). The"
    echo "\"PostgreSQL CPU\" row is the postmaster and every process below it (backends, background workers)."
  fi
  echo "The load generator connects $na subscribers to node A and $nb to node B, and the publisher to node A: every"
  echo "\`broadcast\` enters at A, which emits \`msg\` to all $((CLUSTER_N + 1)) sockets of the cluster (its own $((na + 1))"
  echo "directly, B's $nb through one Redis message, pub/sub or stream entry, or one Postgres notification, that B delivers). $CLUSTER_WARMUP warm-up then $CLUSTER_M measured"
  echo "broadcasts of a $SIZE-byte string, at most $CLUSTER_WINDOW not yet received by every socket (as fan-out w10); every"
  echo "receiver must get every broadcast exactly once. Delivered msgs/s = deliveries to all $((CLUSTER_N + 1)) sockets / time from"
  echo "the first send to the last delivery; server CPU is the sum of both nodes (redis-server's and PostgreSQL's are shown apart); all"
  echo "of it shares the machine's $(nproc) cores with the load generator. Node: $NODE_V, $("$GO" version | cut -d' ' -f3)."
  echo
  echo "    $SHOWN"
  echo
  echo "with $CLUSTER_PARAMS; cases: $CLUSTER_CASES; servers (pairs), in rotating order: $(case_servers cluster | sed 's/=.*//' | paste -sd' '). The runs waited"
  echo "for other processes as above (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)."
  echo
  cat "$OUT/cluster.md"
}

if [ -n "$RESULTS_MD" ]; then
  old_single="" old_cluster=""
  if [ -f "$RESULTS_MD" ]; then
    old_single=$(awk -v h="$CLUSTER_HEADING" '$0 == h { exit } { print }' "$RESULTS_MD")
    old_cluster=$(awk -v h="$CLUSTER_HEADING" '$0 == h { on = 1 } on { print }' "$RESULTS_MD")
  fi
  {
    if [ -n "$SINGLE_CASES" ]; then
      single_report
      echo
    elif [ -n "$old_single" ]; then
      printf '%s\n\n' "$old_single"
    else
      printf '# Benchmark results\n\nWhat each case measures and how to read it: [README.md](README.md).\n\n'
    fi
    if [ $CLUSTER_RUN = 1 ]; then
      cluster_report
    elif [ -n "$old_cluster" ]; then
      printf '%s\n' "$old_cluster"
    fi
  } >"$RESULTS_MD.tmp"
  mv "$RESULTS_MD.tmp" "$RESULTS_MD"
  wrote="$RESULTS_MD"
  if [ -n "$SINGLE_CASES" ]; then
    cp "$OUT/raw.jsonl" "${RESULTS_MD%.md}.raw.jsonl"
    wrote="$wrote, ${RESULTS_MD%.md}.raw.jsonl"
  fi
  if [ -n "$SCALING_LIST" ] && [ -f "$OUT/scaling.svg" ]; then # the plot, linked from the report
    cp "$OUT/scaling.svg" "$(dirname "$RESULTS_MD")/scaling.svg"
    wrote="$wrote, $(dirname "$RESULTS_MD")/scaling.svg"
  fi
  if [ $CLUSTER_RUN = 1 ]; then
    cp "$OUT/cluster.raw.jsonl" "${RESULTS_MD%.md}.cluster.raw.jsonl"
    wrote="$wrote, ${RESULTS_MD%.md}.cluster.raw.jsonl"
  fi
  echo "wrote $wrote" >&2
fi
echo "results in $OUT" >&2
