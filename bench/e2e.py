#!/usr/bin/env python3
"""End-to-end benchmark of dkimscan verify (called by bench/e2e.sh; Python stdlib only).

In one run on one generated corpus: dkimscan with 1 thread and with all threads (messages/s,
MB/s, scaling), over the corpus's files, over the same messages as one mbox, and over a multi-GB
mbox of whole copies of the corpus (the steady state, and peak memory on a big archive); the
crypto bound from `openssl speed` measured in the same run combined with the corpus's own mix;
the Debian peers (dkimpy, Mail::DKIM, opendkim) on a subset next to dkimscan on that same subset.
Every run's verdict counts are checked against the corpus's expected.jsonl before its time is
reported.
Writes results.json, raw.csv and summary.txt under bench/results/<date>-<host>/.
"""
import argparse
import collections
import csv
import datetime
import importlib.machinery
import importlib.util
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "bench", "peers")
TIME = os.environ.get("DKIMSCAN_TIME", "/usr/bin/time")  # GNU time, for -v (peak RSS, CPU seconds)


def log(text):
    print(f"e2e: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Running and measuring one command

def parse_time_v(path):
    """Fields of /usr/bin/time -v: peak RSS (KB), user and system CPU seconds."""
    fields = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().rpartition(": ")
            fields[key] = value
    return {"max_rss_kb": int(fields.get("Maximum resident set size (kbytes)", 0)),
            "user_s": float(fields.get("User time (seconds)", 0)),
            "sys_s": float(fields.get("System time (seconds)", 0))}


class RssPoller(threading.Thread):
    """Samples RssAnon/RssFile of the measured process (the child of /usr/bin/time) every 20 ms:
    a mapped archive counts in RSS as file pages, which the kernel can drop; heap cannot."""

    def __init__(self, time_pid):
        super().__init__(daemon=True)
        self.time_pid, self.peak, self.done = time_pid, collections.Counter(), threading.Event()

    def run(self):
        while not self.done.wait(0.02):
            try:
                with open(f"/proc/{self.time_pid}/task/{self.time_pid}/children") as f:
                    child = f.read().split()[0]
                with open(f"/proc/{child}/status") as f:
                    for line in f:
                        key, _, value = line.partition(":")
                        if key in ("RssAnon", "RssFile", "VmRSS"):
                            self.peak[key] = max(self.peak[key], int(value.split()[0]))
            except (OSError, IndexError):
                pass


def run_measured(argv, stdout_path, work):
    """Runs argv under /usr/bin/time -v; returns wall seconds (perf_counter), CPU, RSS."""
    time_file = os.path.join(work, "time-v.txt")
    with open(stdout_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([TIME, "-v", "-o", time_file, *argv], stdout=out, stderr=subprocess.PIPE)
        poller = RssPoller(proc.pid)
        poller.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - started
        poller.done.set()
        poller.join()
    result = parse_time_v(time_file)
    result.update(wall_s=wall, rc=proc.returncode, stderr=err.decode(errors="replace")[-2000:],
                  peak_rss_anon_kb=poller.peak["RssAnon"], peak_rss_file_kb=poller.peak["RssFile"])
    return result


def dkimscan_summary(path):
    """The final JSON Lines summary of a dkimscan --format jsonl run."""
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - 65536))
        last = f.read().splitlines()[-1]
    summary = json.loads(last)
    if summary.get("type") != "summary":
        raise SystemExit(f"e2e: {path} does not end with a summary line")
    return summary


# ---------------------------------------------------------------------------------------------
# Corpus

def load_generator():
    """datasets/generate as a module (it has no .py suffix), for its mboxrd writer."""
    loader = importlib.machinery.SourceFileLoader("generate", os.path.join(ROOT, "datasets", "generate"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("generate", loader))
    loader.exec_module(module)
    return module


def ensure_corpus(args):
    meta = os.path.join(args.corpus, "corpus.json")
    want = {"count": args.count, "seed": args.seed, "domains": args.domains, "layout": args.layout}
    if os.path.exists(meta) and not args.regenerate:
        with open(meta) as f:
            have = json.load(f)
        if all(have.get(k) == v for k, v in want.items()):
            log(f"reusing the corpus in {args.corpus}")
            return have
    log(f"generating {args.count} messages (seed {args.seed}, {args.domains} domains) in {args.corpus}")
    subprocess.run([sys.executable, os.path.join(ROOT, "datasets", "generate"), "--count", str(args.count),
                    "--seed", str(args.seed), "--domains", str(args.domains), "--out", args.corpus,
                    "--layout", args.layout,
                    "--dkimscan", args.dkimscan], check=True)
    with open(meta) as f:
        return json.load(f)


def expected_rows(corpus):
    with open(os.path.join(corpus, "expected.jsonl")) as f:
        return [json.loads(line) for line in f]


def counts_of(rows):
    return dict(collections.Counter(r["result"] for r in rows))


def made_from_this_corpus(path, args):
    """Whether path (a subset or a big mbox) was made after the corpus was last generated: each
    generation makes new keys, so one made from an older corpus would no longer verify."""
    corpus_made = os.path.getmtime(os.path.join(args.corpus, "corpus.json"))
    return os.path.exists(path) and os.path.getmtime(path) >= corpus_made


def subset_dir(args, rows):
    """Hard links of the first rows' files in one folder, for dkimscan on the peers' subset."""
    folder = os.path.join(args.corpus, f"subset-{len(rows)}")
    if not made_from_this_corpus(folder, args) or len(os.listdir(folder)) != len(rows):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for r in rows:
            os.link(os.path.join(args.corpus, r["file"]), os.path.join(folder, os.path.basename(r["file"])))
    return folder


def warm_cache(paths):
    for path in paths:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


# ---------------------------------------------------------------------------------------------
# dkimscan and the peers

def check_counts(what, got, expected, strict):
    got = {k: v for k, v in got.items() if v}
    if got != expected:
        message = f"{what}: verdicts {got} differ from the expected {expected}"
        if strict:
            raise SystemExit(f"e2e: {message} (a benchmark of wrong answers is no benchmark; --no-check skips this)")
        log("WARNING " + message)
    return got == expected


def run_dkimscan(args, path, threads, expected, nbytes, label, repeat=None):
    """Best wall time of `repeat` runs (default args.repeat; after one check run), verdicts checked
    every time."""
    repeat = args.repeat if repeat is None else repeat
    out = os.path.join(args.work, f"dkimscan-{label}-j{threads}.jsonl")
    argv = [args.dkimscan, "verify", "--keys", os.path.join(args.corpus, "keys.zone"), "--format", "jsonl",
            "--quiet", "-j", str(threads), path]
    runs = []
    for i in range(repeat + 1):
        r = run_measured(argv, out, args.work)
        summary = dkimscan_summary(out)
        check_counts(f"dkimscan -j{threads} on {label}", summary["message_results"], expected, args.check)
        r.update(messages=summary["messages"], bytes=nbytes, internal_s=summary.get("seconds"),
                 stage_s=summary.get("stage_seconds"))
        if i > 0 or repeat == 0:  # the first run only warms caches and checks
            runs.append(r)
    best = dict(min(runs, key=lambda r: r["wall_s"]))
    least_cpu = min(runs, key=lambda r: r["user_s"] + r["sys_s"])  # may be another run: less disturbed
    best.update(tool="dkimscan", threads=threads, corpus=label, runs=[r["wall_s"] for r in runs],
                max_rss_kb=max(r["max_rss_kb"] for r in runs), user_s=least_cpu["user_s"], sys_s=least_cpu["sys_s"])
    return rate(best)


def fixed_cost(args):
    """Wall seconds of a run over no messages: process start, key-file load, exit (best of 3)."""
    empty = os.path.join(args.work, "empty")
    os.makedirs(empty, exist_ok=True)
    argv = [args.dkimscan, "verify", "--keys", os.path.join(args.corpus, "keys.zone"), "--quiet", "-j", "1", empty]
    return min(run_measured(argv, os.devnull, args.work)["wall_s"] for _ in range(3))


def rate(r):
    """Rates by wall time, and by CPU time (user + system): on a shared machine, where other work
    takes cores away, CPU time still says what one core does (`openssl speed` counts CPU time)."""
    cpu = max(1e-3, r["user_s"] + r["sys_s"])
    r["msgs_per_s"] = r["messages"] / r["wall_s"]
    r["mb_per_s"] = r["bytes"] / 1e6 / r["wall_s"]
    r["cpu_per_wall"] = cpu / r["wall_s"]
    r["msgs_per_cpu_s"] = r["messages"] / cpu
    return r


def run_peer(args, name, argv, list_file, messages, nbytes, expected_pass):
    out = os.path.join(args.work, f"peer-{name}.json")
    r = run_measured([*argv, os.path.join(args.corpus, "keys.zone"), list_file], out, args.work)
    if r["rc"] != 0:
        log(f"{name} failed (rc {r['rc']}): {r['stderr']}")
        return None
    with open(out) as f:
        got = json.loads(f.read().strip().splitlines()[-1])
    r.update(tool=name, threads=1, corpus=f"subset-{messages}", messages=got["messages"], bytes=nbytes,
             results=got["results"], pass_expected=expected_pass)
    return rate(r)


def build_opendkim_peer(args):
    """Compiles bench/peers/opendkim_verify.c against libopendkim; its path, or None."""
    if not os.path.exists("/usr/include/opendkim/dkim.h") or not shutil.which("cc"):
        return None
    binary = os.path.join(args.work, "opendkim_verify")
    done = subprocess.run(["cc", "-O2", os.path.join(PEERS, "opendkim_verify.c"), "-o", binary, "-lopendkim"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        log(f"opendkim peer does not build: {done.stderr.strip()}")
        return None
    return binary


def peers(args, rows, nbytes):
    """dkimpy, Mail::DKIM and opendkim (libopendkim) where installed, each on the same file list."""
    list_file = os.path.join(args.work, "subset.txt")
    with open(list_file, "w") as f:
        f.writelines(os.path.join(args.corpus, r["file"]) + "\n" for r in rows)
    expected_pass = counts_of(rows).get("pass", 0)
    found, missing = [], []
    if subprocess.run(["/usr/bin/python3", "-c", "import dkim"], capture_output=True).returncode == 0:
        found.append(("dkimpy", ["/usr/bin/python3", os.path.join(PEERS, "dkimpy_verify.py")]))
    else:
        missing.append("dkimpy (python3-dkim not installed for /usr/bin/python3)")
    if subprocess.run(["perl", "-MMail::DKIM::Verifier", "-e", "1"], capture_output=True).returncode == 0:
        found.append(("mail-dkim", ["perl", os.path.join(PEERS, "mail_dkim_verify.pl")]))
    else:
        missing.append("Mail::DKIM (libmail-dkim-perl not installed)")
    # opendkim: its library, libopendkim, through bench/peers/opendkim_verify.c (built here). The
    # opendkim-testmsg tool would start a process per message and needs live DNS.
    opendkim = build_opendkim_peer(args)
    if opendkim:
        found.append(("opendkim", [opendkim]))
    else:
        missing.append("opendkim (libopendkim-dev not installed, or no C compiler)")
    results = []
    for name, argv in found:
        log(f"peer {name} on {len(rows)} messages")
        r = run_peer(args, name, argv, list_file, len(rows), nbytes, expected_pass)
        if r:
            results.append(r)
    return results, missing


# ---------------------------------------------------------------------------------------------
# The crypto bound

def openssl_speed(seconds):
    """verify/s per key type and SHA-256 bytes/s on one core, measured now."""
    out = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "rsa2048", "rsa1024", "rsa4096", "ed25519"],
                         capture_output=True, text=True, check=True).stdout
    rates = {}
    for bits, verify in re.findall(r"^rsa\s+(\d+) bits\s+\S+s\s+\S+s\s+[\d.]+\s+([\d.]+)", out, re.MULTILINE):
        rates[f"rsa{bits}"] = float(verify)
    m = re.search(r"EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+[\d.]+\s+([\d.]+)", out)
    if m:
        rates["ed25519"] = float(m.group(1))
    out = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "-bytes", "16384", "-evp", "sha256"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"^sha256\s+([\d.]+)k", out, re.MULTILINE)
    if not m or len(rates) != 4:
        raise SystemExit("e2e: cannot read `openssl speed` output")
    return {"verify_per_s": rates, "sha256_bytes_per_s": float(m.group(1)) * 1000}


def openssl_multi_verify(processes, seconds):
    """RSA-2048 verify/s of `openssl speed -multi N`: N processes, no shared state. Divided by the
    one-core rate it is the scaling the machine itself allows (turbo, SMT, shared caches), the
    ceiling against which dkimscan's own scaling is read."""
    out = subprocess.run(["openssl", "speed", "-multi", str(processes), "-seconds", str(seconds), "rsa2048"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+[\d.]+\s+([\d.]+)", out, re.MULTILINE)
    if not m:
        raise SystemExit("e2e: cannot read `openssl speed -multi` output")
    return float(m.group(1))


def fastest_speed(runs):
    """The fastest rate of each kind over several `openssl speed` runs. dkimscan is timed as its
    best of --repeat runs, so the bound it is read against is OpenSSL's best too; on a shared
    machine a single run of `openssl speed` moved the bound by up to 25%."""
    return {"verify_per_s": {k: max(r["verify_per_s"][k] for r in runs) for k in runs[0]["verify_per_s"]},
            "sha256_bytes_per_s": max(r["sha256_bytes_per_s"] for r in runs)}


def crypto_bound(meta, speed):
    """Seconds OpenSSL alone needs for the corpus on one core: every public-key check the verdicts
    require at its `openssl speed` rate, plus SHA-256 over the bytes hashed (one body hash per
    distinct (c, a, l), one header hash per signature). messages/s = count / seconds."""
    verify_s = sum(n / speed["verify_per_s"][k] for k, n in meta["verify_ops"].items())
    hash_s = meta["hashed_bytes"] / speed["sha256_bytes_per_s"]
    return {"verify_s": verify_s, "sha256_s": hash_s, "seconds": verify_s + hash_s,
            "msgs_per_s": meta["count"] / (verify_s + hash_s), "mb_per_s": meta["bytes"] / 1e6 / (verify_s + hash_s)}


def read_floor(path):
    """Best of 3 wall seconds to read() the file once, from the page cache, into one reused 1 MiB
    buffer (what `dd bs=1M` does): the least any reader of this archive pays on this machine
    before it looks at a byte. Not part of the issue's bound; it says how much of the gap to that
    bound is the machine's."""
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with open(path, "rb", buffering=0) as f:
            while f.readinto(view):
                pass
        best = min(best, time.perf_counter() - start)
    return best


# ---------------------------------------------------------------------------------------------
# A multi-GB mbox made of the corpus (peak memory on a big archive)

def mbox_entries(args, rows):
    """The corpus's messages as mboxrd entries (bytes, expected result), in corpus order."""
    generate = load_generator()
    entries = []
    for r in rows:
        with open(os.path.join(args.corpus, r["file"]), "rb") as f:
            data = f.read()
        entries.append((generate.mbox_entry(data, generate.envelope_sender(data)), r["result"]))
    return entries


def corpus_mbox(args, rows):
    """corpus/corpus-once.mbox: every message of the corpus once, as an mboxrd archive, for the
    runs over the same messages read from one archive."""
    path = os.path.join(args.corpus, "corpus-once.mbox")
    if not made_from_this_corpus(path, args):
        with open(path + ".tmp", "wb") as f:
            for entry, _ in mbox_entries(args, rows):
                f.write(entry)
        os.replace(path + ".tmp", path)
    return path


def big_mbox(args, rows, gigabytes):
    """corpus/big-<N>g.mbox: the corpus's messages as mboxrd entries, repeated in whole copies
    until the archive holds at least N GB, so that its crypto bound per message is the corpus's.
    Returns its path, size, number of copies and expected verdict counts."""
    entries = mbox_entries(args, rows)
    once = sum(len(entry) for entry, _ in entries)
    copies = max(1, math.ceil(gigabytes * 1e9 / once))
    size = copies * once
    counts = {result: n * copies for result, n in counts_of(rows).items()}
    path = os.path.join(args.corpus, f"big-{gigabytes:g}g.mbox")
    if not made_from_this_corpus(path, args) or os.path.getsize(path) != size:
        log(f"writing {size / 1e9:.2f} GB mbox {path} ({copies} copies of the corpus)")
        with open(path + ".tmp", "wb") as f:
            for _ in range(copies):
                for entry, _ in entries:
                    f.write(entry)
        os.replace(path + ".tmp", path)
    return path, size, copies, counts


# ---------------------------------------------------------------------------------------------
# Report

def summary_table(res):
    j1, jn, bound = res["dkimscan_j1"], res["dkimscan_jn"], res["crypto_bound"]
    lines = [
        f"dkimscan e2e  {res['date']}  host {res['host']}  {res['cores']} cores  {res['dkimscan_version']}",
        f"corpus: {res['corpus']['count']} messages, {res['corpus']['bytes'] / 1e6:.1f} MB (median "
        f"{res['corpus']['size']['median']} B, max {res['corpus']['size']['max'] / 1e6:.1f} MB), seed "
        f"{res['corpus']['seed']}, {res['corpus']['domains']} domains, {res['corpus']['key_records']} key records",
        f"signatures: {res['corpus']['signatures']}; public-key checks needed: {res['corpus']['verify_ops']}",
        "",
        f"load average at start {res['load_start']:.2f}, at end {res['load_end']:.2f} (wall figures need an idle machine)",
        "",
        f"{'run':34} {'msgs/s':>9} {'MB/s':>8} {'wall s':>8} {'CPU/wall':>8} {'msgs/CPU-s':>10} {'peak RSS MB':>11}",
    ]
    row = lambda name, r: lines.append(f"{name:34} {r['msgs_per_s']:9.0f} {r['mb_per_s']:8.1f} {r['wall_s']:8.3f} "
                                       f"{r['cpu_per_wall']:8.2f} {r['msgs_per_cpu_s']:10.0f} {r['max_rss_kb'] / 1024:11.1f}")
    row("dkimscan -j1", j1)
    row(f"dkimscan -j{jn['threads']}", jn)
    lines.append(f"{'crypto bound (OpenSSL, 1 core)':34} {bound['msgs_per_s']:9.0f} {bound['mb_per_s']:8.1f} "
                 f"{bound['seconds']:8.3f}   (verify {bound['verify_s']:.3f} s + SHA-256 {bound['sha256_s']:.3f} s)")
    if len(res.get("crypto_bound_runs", [])) > 1:
        runs = " and ".join(f"{b['msgs_per_s']:.0f}" for b in res["crypto_bound_runs"])
        lines.append(f"{'':34} (fastest rates of 2 `openssl speed` runs, before and after dkimscan's: {runs} msgs/s alone)")
    own = lambda r: r["messages"] / r["internal_s"] if r.get("internal_s") else float("nan")
    lines += [f"{'dkimscan -j1, own timer':34} {own(j1):9.0f}   (pipeline only: no process start, no key-file load)",
              f"{'dkimscan -j' + str(jn['threads']) + ', own timer':34} {own(jn):9.0f}",
              f"fixed cost per run (start, load {res['corpus']['key_records']} keys, exit; empty input): "
              f"{res['fixed_cost_s']:.3f} s"]
    lines += ["", f"single thread / crypto bound:      {res['fraction_of_bound']:.2f}   (bar: >= 0.80; by CPU time "
                  f"{res['fraction_of_bound_cpu']:.2f}, by dkimscan's own timer {own(j1) / bound['msgs_per_s']:.2f})",
              f"scaling -j{jn['threads']} / -j1:                 {res['scaling']:.2f}   "
              f"(bar: >= {0.9 * jn['threads']:.2f} = 0.9 x {jn['threads']} threads; by own timer {own(jn) / own(j1):.2f})"]
    if res.get("dkimscan_mbox_j1"):
        m1, mn = res["dkimscan_mbox_j1"], res["dkimscan_mbox_jn"]
        lines += ["", "the same messages as one mboxrd archive:"]
        row("dkimscan -j1, mbox", m1)
        row(f"dkimscan -j{mn['threads']}, mbox", mn)
        lines += [f"single thread / crypto bound:      {m1['msgs_per_s'] / bound['msgs_per_s']:.2f}   (by CPU time "
                  f"{m1['msgs_per_cpu_s'] / bound['msgs_per_s']:.2f}, by own timer {own(m1) / bound['msgs_per_s']:.2f})",
                  f"scaling -j{mn['threads']} / -j1:                 {mn['msgs_per_s'] / m1['msgs_per_s']:.2f}   "
                  f"(by own timer {own(mn) / own(m1):.2f})"]
        if res.get("mbox_read_floor_s"):
            floor_s = bound["seconds"] + res["mbox_read_floor_s"] + res["fixed_cost_s"]
            lines += [f"reading the mbox once (read(), one reused 1 MiB buffer): {res['mbox_read_floor_s']:.3f} s",
                      f"crypto bound + that read + fixed cost: {floor_s:.3f} s; dkimscan -j1 on the mbox takes "
                      f"{m1['wall_s'] / floor_s:.2f}x that"]
    if res.get("hardware_scaling"):
        lines.append(f"hardware ceiling:                  {res['hardware_scaling']:.2f}   (openssl speed rsa2048 verify/s, "
                     f"-multi {jn['threads']} / one process, fastest of the runs before and after dkimscan's)")
    if res.get("peers"):
        sub = res["dkimscan_subset_j1"]
        lines += ["", f"peers on the first {sub['messages']} messages ({sub['bytes'] / 1e6:.1f} MB), one core each:"]
        row("dkimscan -j1 (subset)", sub)
        for p in res["peers"]:
            row(p["tool"], p)
        for p in res["peers"]:
            lines.append(f"  {p['tool']}: dkimscan per core is {p['dkimscan_speedup']:.1f}x faster by wall time, "
                         f"{p['dkimscan_speedup_cpu']:.1f}x by CPU time (peer/dkimscan = {1 / p['dkimscan_speedup']:.3f}); "
                         f"passes {p['results'].get('pass', 0)} of {p['pass_expected']} expected")
    for m in res.get("peers_missing", []):
        lines.append(f"  not measured: {m}")
    if res.get("big_mbox"):
        b1, bn = res["big_mbox_j1"], res["big_mbox"]
        lines += ["", f"the corpus {bn['copies']} times as one {bn['bytes'] / 1e9:.2f} GB mboxrd archive (steady state: "
                      f"start, key load and first key uses spread over {bn['messages']} messages):"]
        row("dkimscan -j1, big mbox", b1)
        row(f"dkimscan -j{bn['threads']}, big mbox", bn)
        lines += [f"single thread / crypto bound:      {b1['msgs_per_s'] / bound['msgs_per_s']:.2f}   (by CPU time "
                  f"{b1['msgs_per_cpu_s'] / bound['msgs_per_s']:.2f}, by own timer {own(b1) / bound['msgs_per_s']:.2f})",
                  f"scaling -j{bn['threads']} / -j1:                 {bn['msgs_per_s'] / b1['msgs_per_s']:.2f}   "
                  f"(by own timer {own(bn) / own(b1):.2f})",
                  f"peak RSS -j{bn['threads']}: {bn['max_rss_kb'] / 1024:.0f} MB (sampled peak: anon "
                  f"{bn['peak_rss_anon_kb'] / 1024:.0f} MB, file-backed {bn['peak_rss_file_kb'] / 1024:.0f} MB; "
                  f"bar: < 300 MB)"]
    return "\n".join(lines) + "\n"


def write_results(res, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    runs = [res["dkimscan_j1"], res["dkimscan_jn"], res.get("dkimscan_mbox_j1"), res.get("dkimscan_mbox_jn"),
            res.get("dkimscan_subset_j1"), *res.get("peers", []), res.get("big_mbox_j1"), res.get("big_mbox")]
    fields = ["tool", "threads", "corpus", "messages", "bytes", "wall_s", "user_s", "sys_s", "max_rss_kb",
              "peak_rss_anon_kb", "peak_rss_file_kb", "msgs_per_s", "mb_per_s", "msgs_per_cpu_s"]
    with open(os.path.join(folder, "raw.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(r for r in runs if r)
    with open(os.path.join(folder, "summary.txt"), "w") as f:
        f.write(res["summary"])


def main():
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--layout", choices=("files", "maildir"), default="files",
                   help="a folder of .eml files, or a Maildir (whose files dkimscan reads in parallel)")
    p.add_argument("--domains", type=int, default=500)
    p.add_argument("--corpus", help="corpus folder (default /tmp/dkimscan-e2e-<count>-<seed>-<domains>)")
    p.add_argument("--regenerate", action="store_true", help="make the corpus again even if it exists")
    p.add_argument("--dkimscan", default=os.path.join(ROOT, "build-bench", "cli", "dkimscan"))
    p.add_argument("--threads", type=int, default=cores, help="the all-threads run (default: nproc)")
    p.add_argument("--repeat", type=int, default=5, help="timed dkimscan runs; the best is reported")
    p.add_argument("--peer-subset", type=int, default=1000, help="messages the peers verify (0: skip peers)")
    p.add_argument("--mbox-gb", type=float, default=2.0,
                   help="the big mbox: whole copies of the corpus up to at least this many GB (0: skip)")
    p.add_argument("--big-repeat", type=int, default=2, help="timed runs on the big mbox at each thread count")
    p.add_argument("--no-mbox-runs", dest="mbox_runs", action="store_false",
                   help="skip -j1 and -jN over the same messages as one mbox archive")
    p.add_argument("--speed-seconds", type=int, default=2,
                   help="seconds per `openssl speed` measurement (default 2; 1 for a quick check of the script)")
    p.add_argument("--no-check", dest="check", action="store_false", help="warn instead of stopping on wrong verdicts")
    p.add_argument("--out", help="results folder (default bench/results/<date>-<host>)")
    args = p.parse_args()
    args.dkimscan = os.path.abspath(args.dkimscan)
    args.corpus = os.path.abspath(args.corpus or f"/tmp/dkimscan-e2e-{args.count}-{args.seed}-{args.domains}")
    args.work = os.path.join(args.corpus, ".e2e")
    os.makedirs(args.work, exist_ok=True)
    host = socket.gethostname().split(".")[0]
    date = datetime.date.today().isoformat()
    out = args.out or os.path.join(ROOT, "bench", "results", f"{date}-{host}")

    meta = ensure_corpus(args)
    rows = expected_rows(args.corpus)
    messages = os.path.join(args.corpus, "messages" if args.layout == "files" else "maildir")
    warm_cache(os.path.join(args.corpus, r["file"]) for r in rows)
    version = subprocess.run([args.dkimscan, "--version"], capture_output=True, text=True).stdout.strip()
    res = {"date": date, "host": host, "cores": cores, "dkimscan": args.dkimscan, "dkimscan_version": version,
           "corpus": meta, "corpus_path": args.corpus, "repeat": args.repeat, "load_start": os.getloadavg()[0]}
    if res["load_start"] > cores / 2:
        log(f"WARNING load average {res['load_start']:.1f} on {cores} cores: wall-clock figures will be low")

    # `openssl speed` runs once before and once after dkimscan's runs; the fastest rates count.
    speed_runs, multi_runs = [], []

    def measure_openssl(when):
        log(f"openssl speed, {when} dkimscan's runs (about {12 * args.speed_seconds} s)")
        speed_runs.append(openssl_speed(args.speed_seconds))
        if args.threads > 1:
            multi_runs.append(openssl_multi_verify(args.threads, args.speed_seconds))

    measure_openssl("before")
    expected = counts_of(rows)
    log(f"dkimscan -j1 and -j{args.threads} on {meta['count']} messages, best of {args.repeat}")
    res["dkimscan_j1"] = run_dkimscan(args, messages, 1, expected, meta["bytes"], "corpus")
    res["dkimscan_jn"] = run_dkimscan(args, messages, args.threads, expected, meta["bytes"], "corpus")
    if args.mbox_runs:
        mbox = corpus_mbox(args, rows)
        log(f"dkimscan -j1 and -j{args.threads} on the same messages as one mbox, best of {args.repeat}")
        res["dkimscan_mbox_j1"] = run_dkimscan(args, mbox, 1, expected, meta["bytes"], "corpus-mbox")
        res["dkimscan_mbox_jn"] = run_dkimscan(args, mbox, args.threads, expected, meta["bytes"], "corpus-mbox")
        res["mbox_read_floor_s"] = read_floor(mbox)
    measure_openssl("after")
    res["openssl_speed_runs"] = speed_runs
    res["crypto_bound_runs"] = [crypto_bound(meta, run) for run in speed_runs]
    res["openssl_speed"] = fastest_speed(speed_runs)
    res["crypto_bound"] = crypto_bound(meta, res["openssl_speed"])
    if multi_runs:
        res["openssl_multi_rsa2048_verify_per_s"] = max(multi_runs)
        res["hardware_scaling"] = (res["openssl_multi_rsa2048_verify_per_s"]
                                   / res["openssl_speed"]["verify_per_s"]["rsa2048"])
    res["fixed_cost_s"] = fixed_cost(args)
    res["fraction_of_bound"] = res["dkimscan_j1"]["msgs_per_s"] / res["crypto_bound"]["msgs_per_s"]
    res["fraction_of_bound_cpu"] = res["dkimscan_j1"]["msgs_per_cpu_s"] / res["crypto_bound"]["msgs_per_s"]
    res["scaling"] = res["dkimscan_jn"]["msgs_per_s"] / res["dkimscan_j1"]["msgs_per_s"]

    if args.peer_subset > 0:
        sub = rows[:args.peer_subset]
        sub_bytes = sum(os.path.getsize(os.path.join(args.corpus, r["file"])) for r in sub)
        res["dkimscan_subset_j1"] = run_dkimscan(args, subset_dir(args, sub), 1, counts_of(sub), sub_bytes,
                                                 f"subset-{len(sub)}")
        res["peers"], res["peers_missing"] = peers(args, sub, sub_bytes)
        for peer in res["peers"]:
            peer["dkimscan_speedup"] = res["dkimscan_subset_j1"]["msgs_per_s"] / peer["msgs_per_s"]
            peer["dkimscan_speedup_cpu"] = res["dkimscan_subset_j1"]["msgs_per_cpu_s"] / peer["msgs_per_cpu_s"]

    if args.mbox_gb > 0:
        # The same corpus many times over: process start, the key-file load and each key's first
        # use (its parse, OpenSSL's per-key setup) are spread over many messages, as in a real
        # archive; -j1 and -jN here give the steady state, and the peak memory of a big archive.
        path, size, copies, counts = big_mbox(args, rows, args.mbox_gb)
        log(f"dkimscan -j1 and -j{args.threads} on the {size / 1e9:.2f} GB mbox, best of {args.big_repeat}")
        for threads, key in ((1, "big_mbox_j1"), (args.threads, "big_mbox")):
            r = run_dkimscan(args, path, threads, counts, size, "big-mbox", repeat=args.big_repeat)
            r.update(copies=copies)
            res[key] = r
            os.remove(os.path.join(args.work, f"dkimscan-big-mbox-j{threads}.jsonl"))

    res["load_end"] = os.getloadavg()[0]
    res["summary"] = summary_table(res)
    write_results(res, out)
    print(res["summary"], end="")
    log(f"results in {out}")


if __name__ == "__main__":
    main()
