#!/usr/bin/env python3
"""bench/ab.py: two or more dkimscan binaries timed side by side, in alternating runs.

On a shared machine the load moves from one minute to the next, so a change is measured against
the binary from before it in the same minutes: each round runs every binary once, in turn, over
the same input, and the medians are compared. Wall time comes from perf_counter and CPU time from
wait4(), both to the microsecond (/usr/bin/time rounds to 10 ms, as much as many changes gain).
Every run's output but its summary (jsonl: the summary line; text: the summary block; authres
has none) is hashed, and every run of every binary must give the digest of the reference binary's
first run: a faster binary that gives other verdicts is reported, not ranked (exit 1). A run that
failed stops the comparison (exit 3): an exit code other than 0, 1 or 2 (a key file that cannot
be read, a bad option), or jsonl or text output without its summary.

  bench/ab.py --threads 2 --rounds 16 --keys corpus/keys.zone corpus/corpus-once.mbox old/dkimscan new/dkimscan
"""
import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
import time


def fail(message):
    print(f"ab: {message}", file=sys.stderr)
    sys.exit(3)


def run_once(binary, argv_tail, out_path, err_path):
    """Wall and CPU seconds of one run whose stdout goes to out_path; stops on a crash, or on an
    exit code that is none of dkimscan's verdicts (0, 1, 2): such a run timed no verifying."""
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        pid = os.posix_spawn(binary, [binary] + argv_tail, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        fail(f"{binary} died of signal {-code}")
    if code not in (0, 1, 2):
        with open(err_path, "rb") as f:
            said = (f.read().decode(errors="replace").strip().splitlines() or ["nothing on stderr"])[-1]
        fail(f"{binary} exited with {code}, not 0, 1 or 2: the run failed ({said})")
    return wall, usage.ru_utime + usage.ru_stime


def results_digest(path, fmt, binary):
    """SHA-256 of the output but its summary, which holds timings; stops when jsonl or text output
    has no summary (authres has none to check)."""
    with open(path, "rb") as f:
        data = f.read()
    if fmt == "jsonl":
        lines = data.splitlines()
        try:
            summary = json.loads(lines[-1]) if lines else {}
        except ValueError:
            summary = {}
        if not isinstance(summary, dict) or summary.get("type") != "summary":
            fail(f"{binary}: the jsonl output does not end with a summary line")
        data = b"\n".join(lines[:-1])
    elif fmt == "text":
        results, _, summary = data.rpartition(b"\n\n")
        if not re.match(rb"\d+ messages \(", summary):
            fail(f"{binary}: the text output does not end with a summary")
        data = results
    return hashlib.sha256(data).hexdigest()


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
    # --quiet drops the text format's summary, which is how a text run shows it finished.
    quiet = [] if args.format == "text" else ["--quiet"]
    tail = ["verify", "-j", str(args.threads), *quiet, "--format", args.format, "--keys", args.keys, args.input]
    times = {b: [] for b in args.binaries}
    differs = {}  # binary -> the rounds (from 1) whose results differ from the reference's first run
    reference = None
    with tempfile.TemporaryDirectory() as work:
        out, err = os.path.join(work, "out"), os.path.join(work, "err")
        for round_no in range(1, args.rounds + 1):
            for b in args.binaries:
                times[b].append(run_once(b, tail, out, err))
                digest = results_digest(out, args.format, b)
                reference = reference or digest
                if digest != reference:
                    differs.setdefault(b, []).append(round_no)
    base = statistics.median(w for w, _ in times[args.binaries[0]])
    print(f"{'binary':40} {'wall min':>9} {'wall med':>9} {'CPU med':>9} {'med/ref':>8}")
    for b in args.binaries:
        wall = [w for w, _ in times[b]]
        cpu = [c for _, c in times[b]]
        print(f"{b[-40:]:40} {min(wall):9.4f} {statistics.median(wall):9.4f} {statistics.median(cpu):9.4f} "
              f"{statistics.median(wall) / base:8.3f}")
    for b, rounds in differs.items():
        print(f"ab: {b} gives other results than {args.binaries[0]}'s first run, in rounds "
              f"{', '.join(map(str, rounds))}", file=sys.stderr)
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
