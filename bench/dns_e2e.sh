#!/usr/bin/env bash
# bench/dns_e2e.sh: issue 4's end-to-end measurement. The same batch (default 10,000 messages over
# about 2,000 signing domains, a Maildir) verified twice: keys from the key file, then keys from a
# loopback DNS server that delays every answer by 50 ms (bench/slow_dns_responder). Checks that
# both runs give identical per-message results, then prints the time ratio DNS / file.
#   bench/dns_e2e.sh [COUNT] [DOMAINS] [DELAY_MS] [IN_FLIGHT]     (THREADS=N: dkimscan -j N)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DKIMSCAN_BUILD:-$root/build}
count=${1:-10000} domains=${2:-2000} delay=${3:-50} in_flight=${4:-512} threads=${THREADS:-0}
corpus=/tmp/dkimscan-dns-e2e-$count-$domains
dkimscan=$build/cli/dkimscan
[ -x "$dkimscan" ] && [ -x "$build/bench/slow_dns_responder" ] || {
  echo "dns_e2e: build dkimscan and slow_dns_responder first (ninja -C $build dkimscan slow_dns_responder)" >&2
  exit 66
}
if [ ! -f "$corpus/keys.zone" ]; then
  python3 "$root/datasets/generate" --count "$count" --domains "$domains" --seed 11 --layout maildir \
    --out "$corpus" --dkimscan "$dkimscan" >&2
fi
names=$(grep -c . "$corpus/keys.zone")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() {  # wall seconds of a command, its stdout to $1
  local out=$1; shift
  local start=$EPOCHREALTIME
  "$@" > "$out" || [ $? -le 2 ]  # exit 1/2 just say some messages did not pass
  python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$start" "$EPOCHREALTIME"
}

file_s=$(seconds "$work/file.jsonl" "$dkimscan" verify -q -j "$threads" --format jsonl --keys "$corpus/keys.zone" "$corpus/maildir")

mkfifo "$work/in"
"$build/bench/slow_dns_responder" "$corpus/keys.zone" "$delay" < "$work/in" > "$work/port" 2> "$work/responder.log" &
exec 3> "$work/in"  # the responder serves until this closes
while [ ! -s "$work/port" ]; do sleep 0.05; done
port=$(cat "$work/port")
dns_s=$(seconds "$work/dns.jsonl" "$dkimscan" verify -q -j "$threads" --format jsonl --dns "127.0.0.1:$port" \
  --dns-in-flight "$in_flight" "$corpus/maildir")
exec 3>&-
wait

grep '"type":"message"' "$work/file.jsonl" > "$work/file.msgs"
grep '"type":"message"' "$work/dns.jsonl" > "$work/dns.msgs"
if ! cmp -s "$work/file.msgs" "$work/dns.msgs"; then
  echo "dns_e2e: results differ between key file and DNS:" >&2
  diff "$work/file.msgs" "$work/dns.msgs" | head -5 >&2
  exit 1
fi
echo "corpus: $count messages, $names key records, $(nproc) cores, -j $threads (0: all), DNS delay ${delay} ms, ${in_flight} queries in flight"
echo "responder: $(cat "$work/responder.log")"
echo "keys from file: ${file_s} s"
echo "keys from DNS:  ${dns_s} s"
echo "ratio DNS / file: $(python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$dns_s" "$file_s") (bar: <= 1.5)"
