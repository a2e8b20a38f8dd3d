#!/usr/bin/env bash
# HTTP read throughput of one `cairn node` with wrk: starts a node in a temporary data directory (API and peer
# listener on 127.0.0.1, ports chosen by the kernel), stores BLOBS blobs of 1 KiB, then runs wrk RUNS times against
#   GET /v1/blobs/{id}/payload   (the first blob's payload, 1 KiB)
#   GET /healthz
#   POST /v1/blobs/signed        (route "ingest": INGEST_BLOBS new signed blobs of 1 KiB per run, each posted once,
#                                 made by http_ingest_blobs.py and sent by http_ingest.lua; the run ends when they
#                                 are all sent)
# and prints every run's requests/s, the node's CPU time per request, and the median per route. The node is stopped
# and the directory removed at the end.
#
# Usage: Benchmarks/mesh/http_wrk.sh [path/to/cairn]     (default: .build/release/cairn)
# Environment: RUNS (3), DURATION (10s), CONNECTIONS (16), THREADS (2), BLOBS (100), INGEST_BLOBS (40000),
#              ROUTES ("payload healthz"; add "ingest" for the POST).
set -euo pipefail

binary=${1:-.build/release/cairn}
runs=${RUNS:-3}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
blobs=${BLOBS:-100}
routes=${ROUTES:-payload healthz}
ingest_blobs=${INGEST_BLOBS:-40000}
here=$(cd "$(dirname "$0")" && pwd)

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
[ -x "$binary" ] || { echo "no cairn binary at $binary (swift build -c release --product cairn)" >&2; exit 1; }

data=$(mktemp -d /tmp/cairn-http-wrk.XXXXXX)
node_pid=""
cleanup() {
    if [ -n "$node_pid" ]; then
        kill -TERM "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

"$binary" init --data "$data" >/dev/null
"$binary" node --data "$data" --api 127.0.0.1:0 --listen 127.0.0.1:0 >"$data/node.log" 2>&1 &
node_pid=$!

api=""
for _ in $(seq 1 600); do
    if [ -s "$data/api.addr" ] && curl -fsS "http://$(cat "$data/api.addr")/healthz" >/dev/null 2>&1; then
        api=$(cat "$data/api.addr")
        break
    fi
    kill -0 "$node_pid" 2>/dev/null || { cat "$data/node.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$api" ] || { echo "the node did not start within 60 s" >&2; cat "$data/node.log" >&2; exit 1; }
token=$(cat "$data/api.token")

first=""
for i in $(seq 1 "$blobs"); do
    head -c 1024 /dev/urandom >"$data/payload"
    id=$(curl -fsS -X POST -H "Authorization: Bearer $token" --data-binary @"$data/payload" \
        "http://$api/v1/blobs?channel=bench" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
    [ -n "$id" ] || { echo "POST /v1/blobs failed" >&2; exit 1; }
    first=${first:-$id}
done

echo "node pid $node_pid, API $api, $blobs blobs of 1 KiB stored; wrk -t$threads -c$connections -d$duration, $runs runs"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# The node's user + system CPU time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$node_pid/stat"; }
ticks_per_second=$(getconf CLK_TCK)

for route in $routes; do
    case $route in
        payload) label="GET /v1/blobs/{id}/payload" ;;
        healthz) label="GET /healthz" ;;
        ingest) label="POST /v1/blobs/signed" ;;
        *) label="GET $route" ;;
    esac
    rates=()
    for run in $(seq 1 "$runs"); do
        if [ "$route" = ingest ]; then
            python3 "$here/http_ingest_blobs.py" "$data/node.key" "$ingest_blobs" "$threads" "$data/ingest-$run"
        fi
        before=$(cpu_ticks)
        case $route in
            payload) output=$(wrk -t"$threads" -c"$connections" -d"$duration" "http://$api/v1/blobs/$first/payload") ;;
            healthz) output=$(wrk -t"$threads" -c"$connections" -d"$duration" "http://$api/healthz") ;;
            ingest)
                output=$(wrk -t"$threads" -c"$connections" -d600s -s "$here/http_ingest.lua" "http://$api" \
                    -- "$data/ingest-$run" "$token")
                if ! grep -q "^not created: 0$" <<<"$output"; then
                    echo "$output" >&2
                    echo "$label: some posts were not answered 201 Created" >&2
                    exit 1
                fi
                ;;
            *) output=$(wrk -t"$threads" -c"$connections" -d"$duration" "http://$api$route") ;;
        esac
        after=$(cpu_ticks)
        if grep -q "Non-2xx" <<<"$output"; then
            echo "$output" >&2
            echo "$label answered non-2xx statuses" >&2
            exit 1
        fi
        rate=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$output")
        requests=$(awk '/requests in/ { print $1 }' <<<"$output")
        cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" \
            'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
        rates+=("$rate")
        echo "$label run $run: $rate requests/s ($requests requests, node CPU $cpu us per request)"
    done
    median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "$label median: $median requests/s"
done
