#!/usr/bin/env python3
"""Heap allocations per message in dkimscan verify's steady state, and where they happen.

Every allocation in a dkimscan process goes through mimalloc (it also replaces malloc, so
OpenSSL's come too). This script puts uprobes on mimalloc's entry points, runs
`dkimscan verify -j1` over a folder of messages once, then over the same folder given twice on
the command line, and reports the difference divided by the folder's message count. The second
pass verifies the very messages of the first, so every key it uses has had its first use (the
parse, OpenSSL's per-key setup) and every buffer has grown in the first: the difference is the
steady state, what one more message costs, without the start-up (key-file loading, option
parsing) and without first uses (a larger set of other messages would count the first uses of
the keys that appear only in it). The total is exact (perf stat counts every hit); the split by call site comes from call stacks
recorded with the same probes (perf record), and can lose a few events under load.

Needs root (uprobes) and perf. Usage:
  sudo bench/alloc_count.py --dkimscan build-bench/cli/dkimscan --corpus /tmp/dkimscan-e2e-5000-7-500-files
The corpus is what bench/e2e.sh generated (either layout): its subset-1000/ folder and keys.zone.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

ENTRY_POINTS = ["mi_malloc", "mi_new", "mi_calloc", "mi_realloc", "mi_zalloc", "mi_new_aligned",
                "mi_malloc_aligned"]


def mimalloc_library(dkimscan):
    out = subprocess.run(["ldd", dkimscan], capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\S*libmimalloc\.so\S*) \(", out) or re.search(r"=> (\S*libmimalloc\S*)", out)
    if not m:
        raise SystemExit("alloc_count: dkimscan does not link libmimalloc (a sanitizer build?)")
    return m.group(1)


def add_probes(library):
    events = []
    for name in ENTRY_POINTS:
        r = subprocess.run(["perf", "probe", "-q", "-x", library, "--add", name], capture_output=True, text=True)
        if r.returncode == 0 or "already exists" in r.stderr:
            events.append(f"probe_libmimalloc:{name}")
    if not events:
        raise SystemExit("alloc_count: perf probe failed (root? a kernel with uprobes?)")
    return events


def remove_probes():
    subprocess.run(["perf", "probe", "-q", "--del", "probe_libmimalloc:*"], capture_output=True)


def verify_argv(args, times):
    """dkimscan verify -j1 over the folder, given `times` times: each is verified in full, in turn."""
    return [args.dkimscan, "verify", "-j1", "-q", "--format", "jsonl", "--keys",
            os.path.join(args.corpus, "keys.zone"), *[os.path.join(args.corpus, args.folder)] * times]


def message_count(folder):
    return sum(len(files) for _, _, files in os.walk(folder))


def exact_total(events, argv):
    """Allocations of one run, every hit counted."""
    r = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(events), *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total = 0
    for line in r.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[0].isdigit():
            total += int(fields[0])
    return total


def sites(events, argv, work):
    """Allocations of one run by call site: the first frame in dkimscan's own code, else the
    first named frame in libcrypto (OpenSSL's internals are mostly unnamed)."""
    data = os.path.join(work, "perf.data")
    subprocess.run(["perf", "record", "-q", "-m", "16M", "--call-graph", "dwarf,8192", "-o", data,
                    *sum((["-e", e] for e in events), []), *argv],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"],
                            capture_output=True, text=True).stdout
    counts = collections.Counter()
    for sample in script.split("\n\n"):
        frames = []
        for line in sample.splitlines()[1:]:  # the first frame is mimalloc's entry point itself
            m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line)
            if m:
                frames.append((m.group(1), m.group(2)))
        if not frames:
            continue
        site = next((s for s, d in frames if os.path.basename(d) == os.path.basename(argv[0])
                     and not s.startswith("[unknown]")), None)
        if site is None:
            site = next(("OpenSSL: " + s for s, d in frames if "libcrypto" in d and not s.startswith("[unknown]")),
                        "(other)")
        site = site.replace("(anonymous namespace)::", "")
        counts[re.sub(r"\(.*", "", site)[:80]] += 1
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dkimscan", default=os.path.join("build-bench", "cli", "dkimscan"))
    p.add_argument("--corpus", required=True, help="a corpus made by bench/e2e.sh")
    p.add_argument("--folder", default="subset-1000",
                   help="the corpus's folder verified once, then twice (default subset-1000)")
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("alloc_count: needs root for uprobes (sudo)")

    extra = message_count(os.path.join(args.corpus, args.folder))
    if extra == 0:
        raise SystemExit(f"alloc_count: no messages in {os.path.join(args.corpus, args.folder)}")
    remove_probes()
    events = add_probes(mimalloc_library(args.dkimscan))
    try:
        once_total = exact_total(events, verify_argv(args, 1))
        twice_total = exact_total(events, verify_argv(args, 2))
        with tempfile.TemporaryDirectory() as work:
            once_sites = sites(events, verify_argv(args, 1), work)
            twice_sites = sites(events, verify_argv(args, 2), work)
    finally:
        remove_probes()

    print(f"dkimscan verify -j1 over {args.folder} ({extra} messages) twice in one run, and once")
    print(f"allocations: {twice_total} and {once_total}; per message of the second pass: "
          f"{(twice_total - once_total) / extra:.2f} (exact)")
    print("\nper message of the second pass, by call site (from call stacks; approximate):")
    diff = {k: twice_sites[k] - once_sites[k] for k in set(twice_sites) | set(once_sites)}
    for site, d in sorted(diff.items(), key=lambda kv: -kv[1]):
        if d / extra >= 0.01:
            print(f"  {d / extra:6.2f}  {site}")


if __name__ == "__main__":
    sys.exit(main())
