#!/usr/bin/env python3
"""bench/ab.py: two or more dkimscan binaries timed side by side, in alternating runs.

On a shared machine the load moves from one minute to the next, so a change is measured against
the binary from before it in the same minutes: each round runs every binary once, in turn, over
the same input, and the medians are compared. Wall time comes from perf_counter and CPU time from
wait4(), both to the microsecond (/usr/bin/time rounds to 10 ms, as much as many changes gain).
Every run's output is checked to be identical across the binaries but for the summary line, so a
faster binary that gives other verdicts is reported, not ranked.

  bench/ab.py --threads 2 --rounds 16 --keys corpus/keys.zone corpus/corpus-once.mbox old/dkimscan new/dkimscan
"""
import argparse
import os
import statistics
import sys
import tempfile
import time


def run_once(binary, argv_tail, out_path):
    """Wall and CPU seconds of one run whose stdout goes to out_path; exits on a crash."""
    with open(out_path, "wb") as out, open(os.devnull, "wb") as err:
        start = time.perf_counter()
        pid = os.posix_spawn(binary, [binary] + argv_tail, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        sys.exit(f"ab: {binary} died of signal {-code}")
    return wall, usage.ru_utime + usage.ru_stime


def results_without_summary(path):
    """The output but its last line (jsonl's summary, which holds timings; for authres, one result less)."""
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    return lines[:-1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=12, help="runs of each binary (default 12)")
    p.add_argument("--keys", required=True, help="the corpus's key file")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "authres", "text"],
                   help="output format (default jsonl); authres compares binaries whose jsonl gained a field")
    p.add_argument("input", help="a folder, Maildir or mbox")
    p.add_argument("binaries", nargs="+", help="dkimscan binaries; the first is the reference")
    args = p.parse_args()
    tail = ["verify", "-j", str(args.threads), "--quiet", "--format", args.format, "--keys", args.keys, args.input]
    times = {b: [] for b in args.binaries}
    with tempfile.TemporaryDirectory() as work:
        outputs = {b: os.path.join(work, f"{i}.jsonl") for i, b in enumerate(args.binaries)}
        for _ in range(args.rounds):
            for b in args.binaries:
                times[b].append(run_once(b, tail, outputs[b]))
        reference = results_without_summary(outputs[args.binaries[0]])
        differs = [b for b in args.binaries[1:] if results_without_summary(outputs[b]) != reference]
    base = statistics.median(w for w, _ in times[args.binaries[0]])
    print(f"{'binary':40} {'wall min':>9} {'wall med':>9} {'CPU med':>9} {'med/ref':>8}")
    for b in args.binaries:
        wall = [w for w, _ in times[b]]
        cpu = [c for _, c in times[b]]
        print(f"{b[-40:]:40} {min(wall):9.4f} {statistics.median(wall):9.4f} {statistics.median(cpu):9.4f} "
              f"{statistics.median(wall) / base:8.3f}")
    for b in differs:
        print(f"ab: {b} gives other results than {args.binaries[0]}", file=sys.stderr)
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
