#!/usr/bin/env bash
# bench/e2e.sh: the end-to-end benchmark (issue 5): dkimscan verify with 1 and all threads, the
# crypto bound from `openssl speed` in the same run, the Debian peers, and peak memory, on one
# generated corpus. The work is done by bench/e2e.py (Python stdlib); see bench/README.md.
#   bench/e2e.sh                                  # 5,000 messages, seed 7, 500 domains
#   bench/e2e.sh --count 20000 --domains 3000 --mbox-gb 0 --peer-subset 2000
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DKIMSCAN_BUILD:-$root/build-bench}
if [ ! -x "$build/cli/dkimscan" ]; then
  echo "e2e: no $build/cli/dkimscan; build it first:" >&2
  echo "  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDKIMSCAN_BENCH=ON -DDKIMSCAN_TESTS=OFF" >&2
  echo "  ninja -C $build dkimscan" >&2
  exit 66
fi
for tool in openssl python3; do
  command -v "$tool" >/dev/null || { echo "e2e: needs $tool" >&2; exit 69; }
done
exec python3 "$root/bench/e2e.py" --dkimscan "$build/cli/dkimscan" "$@"
