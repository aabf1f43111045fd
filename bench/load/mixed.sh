#!/usr/bin/env bash
# Mixed-media load on PostgreSQL and NATS JetStream: NODES `parley serve` nodes and WORKERS
# `parley worker` processes reading check photos and voice notes, CONVS conversations for DURATION.
#   bench/load/mixed.sh [NODES=2] [CONVS=1000] [DURATION=5m] [WORKERS=2]
# Needs PostgreSQL's server binaries and espeak-ng; run as root (PostgreSQL runs as user postgres)
# or as a user that may run initdb. Extra arguments for bench/load go in LOAD_ARGS.
set -euo pipefail
NODES=${1:-2} CONVS=${2:-1000} DURATION=${3:-5m} WORKERS=${4:-2}
here=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/parley-load.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${PGBIN:-}" ] && run_pg "$PGBIN/pg_ctl" -D "$T/pg/data" stop -m fast >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
[ -n "$PGBIN" ] || { echo "no PostgreSQL server installed" >&2; exit 1; }
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
mkdir -p "$T/pg" && chmod 755 "$T" && { [ "$(id -u)" != 0 ] || chown postgres "$T/pg"; }
run_pg "$PGBIN/initdb -D $T/pg/data -U postgres -A trust --no-sync" >/dev/null
run_pg "$PGBIN/pg_ctl -D $T/pg/data -o '-k $T/pg -c listen_addresses= -c max_connections=300 -c fsync=on' -l $T/pg/log start" >/dev/null
sleep 1
run_pg "$PGBIN/createdb -h $T/pg parley"
export PARLEY_STORE_DRIVER=postgres PARLEY_STORE_DSN="postgres://postgres@/parley?host=$T/pg"
# One load generator stands in for many customers: no per-address or per-key rate limit.
export PARLEY_RATE_ADDRESS=off PARLEY_RATE_KEY=off
export PARLEY_MODELS=${PARLEY_MODELS:-$here/models}

cd "$here"
go build -o "$T/parley" ./cmd/parley
go build -o "$T/natsd" ./bench/load/natsd
go build -o "$T/load" ./bench/load
"$T/natsd" --addr 127.0.0.1:14222 --dir "$T/js" >"$T/natsd.log" 2>&1 & pids+=($!)
sleep 1
cat >"$T/parley.yaml" <<YAML
queue:
  driver: nats
  url: nats://127.0.0.1:14222
  stages: [image.check, audio.asr]
  wait: 20s
  ack_wait: 60s
YAML
wait_up() { for _ in $(seq 1 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "$1 did not come up" >&2; exit 1; }
servers=() workers=()
for i in $(seq 1 "$NODES"); do
	"$T/parley" serve --config "$T/parley.yaml" --addr "127.0.0.1:$((18100 + i))" --data "$T/node$i" >"$T/node$i.log" 2>&1 & pids+=($!)
	servers+=("http://127.0.0.1:$((18100 + i))")
done
for i in $(seq 1 "$WORKERS"); do
	"$T/parley" worker --config "$T/parley.yaml" --data "$T/worker$i" --metrics "127.0.0.1:$((19100 + i))" >"$T/worker$i.log" 2>&1 & pids+=($!)
	workers+=("http://127.0.0.1:$((19100 + i))")
done
for s in "${servers[@]}"; do wait_up "$s/healthz"; done
for w in "${workers[@]}"; do wait_up "$w/metrics"; done
"$T/parley" gen checks --n 1 --seed 11 --degrade photo --out "$T/chk" >/dev/null 2>&1
espeak-ng -v en-us -s 140 -w "$T/yes.wav" "yes, that is right"
srv=$(IFS=,; echo "${servers[*]}") wrk=$(IFS=,; echo "${workers[*]}")
# shellcheck disable=SC2086
"$T/load" --server "$srv" --worker-metrics "$wrk" --conversations "$CONVS" --duration "$DURATION" \
	--think 1s --voice "$T/yes.wav" --photo "$T/chk/check_0000_photo.jpg" ${LOAD_ARGS:-}
echo "jobs run by workers: $(cat "$T"/worker*.log | grep -c 'perception job done')"
echo "parts read by a node after no worker answered: $(cat "$T"/node*.log | grep -c 'reading here' || true)"
