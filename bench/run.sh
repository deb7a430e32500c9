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
# Knobs (environment), with their defaults:
#   REPEATS=3  CASES="idle connect fanout_w10 fanout_burst fanout_w1 echo polling_echo"
#   IDLE_N=5000 CONNECT_N=2000 CONNECT_CONC=50 FANOUT_N=1000 FANOUT_M=200 SIZE=100
#   ECHO_K=50 ECHO_R=2000 POLL_K=50 POLL_R=500 BASE_PORT=22000
#   OUT=bench/results/<UTC time>   where raw.jsonl, table.md and logs/ go
#   RESULTS_MD=bench/RESULTS.md    the report; set it empty to skip it
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
CASES=${CASES:-"idle connect fanout_w10 fanout_burst fanout_w1 echo polling_echo"}
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
    fanout_w10) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 10 -warmup 20" ;;
    fanout_burst) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 0 -warmup 20" ;;
    fanout_w1) echo "-scenario fanout -n $FANOUT_N -m $FANOUT_M -size $SIZE -window 1 -warmup 20" ;;
    echo) echo "-scenario echo -k $ECHO_K -r $ECHO_R -size $SIZE -warmup 100" ;;
    polling_echo) echo "-scenario polling-echo -k $POLL_K -r $POLL_R -size $SIZE -warmup 20" ;;
    *) echo "run.sh: unknown case '$1'" >&2; return 1 ;;
  esac
}
for s in "${SERVERS[@]}"; do server_cmd "$s" >/dev/null; done
for c in $CASES; do case_args "$c" >/dev/null; done
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
ZS_V=$(awk '$1 == "require" && $2 ~ /servers\/socket\/v3/ { print $3 } $1 ~ /servers\/socket\/v3$/ { print $2 }' "$BENCH/servers/zishang/go.mod" | head -1)
PARAMS="REPEATS=$REPEATS IDLE_N=$IDLE_N CONNECT_N=$CONNECT_N CONNECT_CONC=$CONNECT_CONC FANOUT_N=$FANOUT_N FANOUT_M=$FANOUT_M SIZE=$SIZE ECHO_K=$ECHO_K ECHO_R=$ECHO_R POLL_K=$POLL_K POLL_R=$POLL_R"
{
  echo "machine: nproc $(nproc), $CPU_MODEL, $MEM_GIB GiB RAM, Linux $(uname -r), ulimit -n $NOFILE"
  echo "toolchains: $("$GO" version | cut -d' ' -f3), node $NODE_V; socket.io $SIO_V; zishang520/socket.io servers/socket/v3 $ZS_V"
  echo "servers: ${SERVERS[*]}"
  echo "cases: $CASES"
  echo "params: $PARAMS"
} | tee "$OUT/meta.txt" >&2

T0=$(date +%s)
port=$BASE_PORT
nserv=${#SERVERS[@]}
for ((rep = 1; rep <= REPEATS; rep++)); do
  for c in $CASES; do
    for ((j = 0; j < nserv; j++)); do
      spec=${SERVERS[$(((j + rep - 1) % nserv))]} # rotate the order every repeat
      name=${spec%%=*}
      port=$((port + 1))
      log="$OUT/logs/$c.$name.$rep"
      wait_quiet
      PORT=$port HOST=127.0.0.1 bash -c "$(server_cmd "$spec")" >"$log.server.log" 2>&1 &
      pid=$!
      ready=0
      for _ in $(seq 200); do # at most ~10 s
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
        proc_alive "$pid" || break
        sleep 0.05
      done
      line=""
      if [ $ready = 1 ]; then
        # shellcheck disable=SC2046
        line=$(timeout 180 "$BIN/loadgen" -addr "127.0.0.1:$port" -pid "$pid" -server "$name" -case "$c" \
          -repeat "$rep" -timeout 150s $(case_args "$c") 2>"$log.loadgen.log" || true)
      fi
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do proc_alive "$pid" || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      if [ -z "$line" ]; then
        line="{\"server\":\"$name\",\"case\":\"$c\",\"repeat\":$rep,\"ok\":false,\"errors\":[\"no result (server not ready or loadgen died): see $log.*\"]}"
      fi
      echo "$line" >>"$OUT/raw.jsonl"
      ok=$(echo "$line" | grep -o '"ok":[a-z]*' | cut -d: -f2)
      tput=$(echo "$line" | grep -oE '"(msgs_per_s|round_trips_per_s|handshakes_per_s|rss_per_socket_kb)":[0-9.e+]*' | head -1)
      printf '[%4ds] rep %d %-13s %-8s ok=%s %s\n' $(($(date +%s) - T0)) "$rep" "$c" "$name" "$ok" "$tput" >&2
      sleep 0.5
    done
  done
done

order=$(IFS=,; echo "${names[*]}")
ref=node
[[ " ${names[*]} " == *" node "* ]] || ref=${names[0]}
"$BIN/summarize" -ref "$ref" -order "$order" "$OUT/raw.jsonl" >"$OUT/table.md"
cat "$OUT/table.md"
ELAPSED=$(($(date +%s) - T0))

if [ -n "$RESULTS_MD" ]; then
  {
    echo "# Benchmark results"
    echo
    echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the measuring took ${ELAPSED} s."
    echo "What each case measures and how to read it: [README.md](README.md). The targets against the raw-websocket"
    echo "floor server (go-floor) come from the shared harness: see [CROSSCHECK.md](CROSSCHECK.md)."
    echo
    echo "## Machine"
    echo
    echo "- nproc: $(nproc); CPU: $CPU_MODEL; memory: $MEM_GIB GiB; Linux $(uname -r); \`ulimit -n\` $NOFILE"
    echo "- $("$GO" version | cut -d' ' -f3), Node $NODE_V"
    echo "- servers: sio = \`bench/server\` (this repository, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- socketio internal adapter room namespace 2>/dev/null || echo ', with uncommitted changes')); node = socket.io $SIO_V (\`bench/servers/node\`); zishang = github.com/zishang520/socket.io/servers/socket/v3 $ZS_V (\`bench/servers/zishang\`); all with default options"
    echo "- the load generator (\`bench/loadgen\`) and the server share the same cores; other processes on the machine: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; the runs waited ${QUIET_SPENT} s in all for other processes to go below $QUIET_CORES cores (see the \"CPU used by other processes\" row)"
    echo
    echo "## Command"
    echo
    echo "    make bench    # runs: $COMMAND"
    echo
    echo "with $PARAMS; cases: $CASES; servers, in rotating order: ${SERVERS[*]}."
    echo "One fresh server process per (repeat, case, server)."
    echo
    echo "## Results"
    echo
    cat "$OUT/table.md"
  } >"$RESULTS_MD"
  cp "$OUT/raw.jsonl" "${RESULTS_MD%.md}.raw.jsonl"
  echo "wrote $RESULTS_MD and ${RESULTS_MD%.md}.raw.jsonl" >&2
fi
echo "results in $OUT" >&2
