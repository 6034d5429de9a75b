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
import multiprocessing
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
PEER_RUNS = 2  # runs per peer, the best counts (one when --repeat is 0, as dkimscan then gets one)


def log(text):
    print(f"e2e: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Running and measuring one command

class RssPoller(threading.Thread):
    """Samples RssAnon/RssFile of the measured process every 20 ms: a mapped archive counts in
    RSS as file pages, which the kernel can drop; heap cannot."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, collections.Counter(), threading.Event()

    def run(self):
        while not self.done.wait(0.02):
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        key, _, value = line.partition(":")
                        if key in ("RssAnon", "RssFile", "VmRSS"):
                            self.peak[key] = max(self.peak[key], int(value.split()[0]))
            except (OSError, IndexError):
                pass


def run_measured(argv, stdout_path, work):
    """Runs argv (stdout to stdout_path); wall seconds (perf_counter), and the CPU seconds and peak
    RSS of that same run from wait4(): rusage is to the microsecond (GNU time rounds CPU to 10 ms,
    as much as a 0.1 s run's differences), and ru_maxrss is the peak RSS in KiB. Called in the
    runner process (Runner): a real fork, not posix_spawn, whose child shares this process's
    memory and so would take on its peak RSS."""
    err_path = os.path.join(work, "stderr.txt")
    with open(stdout_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        poller = RssPoller(pid)  # started while the child runs: not in its wall time
        poller.start()
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
    poller.done.set()
    poller.join()
    with open(err_path, "rb") as f:
        stderr = f.read()[-2000:].decode(errors="replace")
    return {"wall_s": wall, "user_s": usage.ru_utime, "sys_s": usage.ru_stime, "max_rss_kb": usage.ru_maxrss,
            "rc": os.waitstatus_to_exitcode(status), "stderr": stderr,
            "peak_rss_anon_kb": poller.peak["RssAnon"], "peak_rss_file_kb": poller.peak["RssFile"]}


class Runner:
    """Starts and times every measured command from a small process forked at the start, before
    this script holds any corpus in memory. Why: Linux keeps, as a process's peak RSS, the peak of
    the memory it ran before exec too, and a child starts with its parent's memory; this script
    grows to hundreds of MB (the mbox entries), so every run started from it would report that as
    its peak RSS. Started from the runner, a run's ru_maxrss is its own peak, or the runner's
    10-15 MB if that is more (floor_kb: the most read for `true`, at the start and at the end).
    /usr/bin/time, a small program, had no such floor, but rounds CPU time to 10 ms."""

    def __init__(self, work):
        self.work = work
        self.pool = multiprocessing.get_context("fork").Pool(1)
        self.floor_kb = self.run(["true"], os.devnull, work)["max_rss_kb"]

    def run(self, argv, stdout_path, work):
        return self.pool.apply(run_measured, (argv, stdout_path, work))

    def close(self):
        self.floor_kb = max(self.floor_kb, self.run(["true"], os.devnull, self.work)["max_rss_kb"])
        self.pool.close()
        self.pool.join()


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
# The machine

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def git_commit():
    """The repository's commit, "-dirty" when tracked files differ from it; "unknown" without git."""
    try:
        git = lambda *argv: subprocess.run(["git", "-C", ROOT, *argv], capture_output=True, text=True,
                                           check=True).stdout.strip()
        return git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_facts():
    """What the figures were measured on, taken before the first run (load_end is added at the
    end): on a shared machine a figure means little without the CPU, the cores this process may
    use, the OpenSSL that set the bound, the source it was built from and the load around it."""
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    return {"cpu_model": cpu_model(), "cpus": len(os.sched_getaffinity(0)), "openssl": openssl or "unknown",
            "kernel": os.uname().release, "commit": git_commit(), "load_start": os.getloadavg()[0]}


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
    """The run of best wall time of `repeat` runs (default args.repeat; after one check run),
    verdicts checked every time. Its CPU time and peak RSS are that same run's."""
    repeat = args.repeat if repeat is None else repeat
    out = os.path.join(args.work, f"dkimscan-{label}-j{threads}.jsonl")
    argv = [args.dkimscan, "verify", "--keys", os.path.join(args.corpus, "keys.zone"), "--format", "jsonl",
            "--quiet", "-j", str(threads), path]
    runs = []
    for i in range(repeat + 1):
        r = args.runner.run(argv, out, args.work)
        summary = dkimscan_summary(out)
        check_counts(f"dkimscan -j{threads} on {label}", summary["message_results"], expected, args.check)
        r.update(messages=summary["messages"], bytes=nbytes, internal_s=summary.get("seconds"),
                 stage_s=summary.get("stage_seconds"))
        if i > 0 or repeat == 0:  # the first run only warms caches and checks
            runs.append(r)
    return rate(best_run(runs, tool="dkimscan", threads=threads, corpus=label))


def best_run(runs, **facts):
    """The run of least wall time, with every run's wall, CPU and peak RSS listed beside it."""
    best = dict(min(runs, key=lambda r: r["wall_s"]))
    best.update(facts, runs=[r["wall_s"] for r in runs], cpu_s_runs=[r["user_s"] + r["sys_s"] for r in runs],
                max_rss_kb_runs=[r["max_rss_kb"] for r in runs])
    return best


def fixed_cost(args):
    """Wall seconds of a run over no messages: process start, key-file load, exit (best of 3)."""
    empty = os.path.join(args.work, "empty")
    os.makedirs(empty, exist_ok=True)
    argv = [args.dkimscan, "verify", "--keys", os.path.join(args.corpus, "keys.zone"), "--quiet", "-j", "1", empty]
    return min(args.runner.run(argv, os.devnull, args.work)["wall_s"] for _ in range(3))


def rate(r):
    """Rates by wall time, and by CPU time (user + system): on a shared machine, where other work
    takes cores away, CPU time still says what one core does (`openssl speed` counts CPU time)."""
    cpu = max(1e-6, r["user_s"] + r["sys_s"])
    r["msgs_per_s"] = r["messages"] / r["wall_s"]
    r["mb_per_s"] = r["bytes"] / 1e6 / r["wall_s"]
    r["cpu_per_wall"] = cpu / r["wall_s"]
    r["msgs_per_cpu_s"] = r["messages"] / cpu
    return r


def peer_runs(args):
    """A peer gets the best of PEER_RUNS runs, with no untimed run first: a peer run takes many
    times dkimscan's, and its first run warms the caches for the second. With --repeat 0 dkimscan
    gets one run, and so does each peer."""
    return 1 if args.repeat == 0 else PEER_RUNS


def run_peer(args, name, argv, list_file, messages, nbytes, expected_pass):
    """(the peer's best run, None), or (None, why it is not measured): a run that exits non-zero or
    passes another number of messages than expected is no measurement of verifying."""
    out = os.path.join(args.work, f"peer-{name}.json")
    runs = []
    for _ in range(peer_runs(args)):
        r = args.runner.run([*argv, os.path.join(args.corpus, "keys.zone"), list_file], out, args.work)
        if r["rc"] != 0:
            last = r["stderr"].strip().splitlines()[-1:] or ["no message"]
            return None, f"{name}: exited with {r['rc']} ({last[0][:200]})"
        with open(out) as f:
            got = json.loads(f.read().strip().splitlines()[-1])
        passed = got["results"].get("pass", 0)
        if got["messages"] != messages or passed != expected_pass:
            return None, (f"{name}: passes {passed} of {expected_pass} expected, "
                          f"on {got['messages']} of {messages} messages")
        r.update(messages=got["messages"], bytes=nbytes, results=got["results"], pass_expected=expected_pass)
        runs.append(r)
    return rate(best_run(runs, tool=name, threads=1, corpus=f"subset-{messages}")), None


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
    # Debian 12's Mail::DKIM (1.20230212) has no Ed25519 (RFC 8463): a message signed with Ed25519
    # alone cannot pass there. It is still timed on the same messages, against a count that leaves
    # those out, so that any other shortfall still rejects the run.
    without_ed25519 = expected_pass - sum(1 for r in rows if r["scenario"] == "ed25519" and r["result"] == "pass")
    found, missing = [], []
    if subprocess.run(["/usr/bin/python3", "-c", "import dkim"], capture_output=True).returncode == 0:
        found.append(("dkimpy", ["/usr/bin/python3", os.path.join(PEERS, "dkimpy_verify.py")], expected_pass))
    else:
        missing.append("dkimpy (python3-dkim not installed for /usr/bin/python3)")
    if subprocess.run(["perl", "-MMail::DKIM::Verifier", "-e", "1"], capture_output=True).returncode == 0:
        found.append(("mail-dkim", ["perl", os.path.join(PEERS, "mail_dkim_verify.pl")], without_ed25519))
    else:
        missing.append("Mail::DKIM (libmail-dkim-perl not installed)")
    # opendkim: its library, libopendkim, through bench/peers/opendkim_verify.c (built here). The
    # opendkim-testmsg tool would start a process per message and needs live DNS.
    opendkim = build_opendkim_peer(args)
    if opendkim:
        found.append(("opendkim", [opendkim], expected_pass))
    else:
        missing.append("opendkim (libopendkim-dev not installed, or no C compiler)")
    results = []
    for name, argv, peer_expected_pass in found:
        log(f"peer {name} on {len(rows)} messages: {policy(peer_runs(args), False)}")
        r, failed = run_peer(args, name, argv, list_file, len(rows), nbytes, peer_expected_pass)
        if r:
            results.append(r)
        else:
            log(f"WARNING peer {failed}")
            missing.append(failed)
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


def openssl_rsa2048_verify_by_wall(processes, seconds):
    """RSA-2048 verify/s by wall time: `openssl speed -multi N` (N processes, no shared state), or
    one process with -elapsed. -multi's children divide by wall time, while a plain `openssl
    speed` divides by user CPU time, so the one-process rate for this ratio is taken with -elapsed:
    both by wall. Their ratio is the scaling the machine itself allows (turbo, SMT, shared caches),
    the ceiling against which dkimscan's own scaling is read."""
    how = ["-multi", str(processes)] if processes > 1 else ["-elapsed"]
    out = subprocess.run(["openssl", "speed", *how, "-seconds", str(seconds), "rsa2048"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+[\d.]+\s+([\d.]+)", out, re.MULTILINE)
    if not m:
        raise SystemExit(f"e2e: cannot read `openssl speed {' '.join(how)}` output")
    return float(m.group(1))


def fastest_speed(runs):
    """The fastest rate of each kind over several `openssl speed` runs. dkimscan is timed as its
    best of --repeat runs, so the bound it is read against is OpenSSL's best too; on a shared
    machine a single run of `openssl speed` moved the bound by up to 25%."""
    return {"verify_per_s": {k: max(r["verify_per_s"][k] for r in runs) for k in runs[0]["verify_per_s"]},
            "sha256_bytes_per_s": max(r["sha256_bytes_per_s"] for r in runs)}


def crypto_bound(meta, speed):
    """Seconds OpenSSL alone needs for the corpus on one core: every public-key check the verdicts
    require at its `openssl speed` rate, plus SHA-256 over the bytes hashed (datasets/generate counts
    them as RFC 6376 §3.7 defines them: the canonical body once per distinct (c, a, l), cut at l=,
    and the header hash input of each signature that passes its body hash). messages/s = count /
    seconds."""
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

def policy(runs, check_run):
    """How a figure was taken, in words: dkimscan's timed runs follow an untimed check run, a
    peer's do not (with --repeat 0 dkimscan's one run is its check run)."""
    if check_run and runs == 0:
        return "one run (the check run, timed)"
    if runs == 1:
        return "one untimed check run, then one timed run" if check_run else "one run, no untimed run first"
    return (f"one untimed check run, then the best of {runs} by wall" if check_run
            else f"the best of {runs} runs by wall, no untimed run first")


def summary_table(res):
    j1, jn, bound, machine = res["dkimscan_j1"], res["dkimscan_jn"], res["crypto_bound"], res["machine"]
    lines = [
        f"dkimscan e2e  {res['date']}  host {res['host']}  {res['cores']} cores  {res['dkimscan_version']}",
        f"machine: {machine['cpu_model']}, {machine['cpus']} CPUs usable, kernel {machine['kernel']}, "
        f"{machine['openssl']}, commit {machine['commit']}",
        f"corpus: {res['corpus']['count']} messages, {res['corpus']['bytes'] / 1e6:.1f} MB (median "
        f"{res['corpus']['size']['median']} B, max {res['corpus']['size']['max'] / 1e6:.1f} MB), seed "
        f"{res['corpus']['seed']}, {res['corpus']['domains']} domains, {res['corpus']['key_records']} key records",
        f"signatures: {res['corpus']['signatures']}; public-key checks needed: {res['corpus']['verify_ops']}",
        "",
        f"load average at start {machine['load_start']:.2f}, at end {machine['load_end']:.2f} "
        "(wall figures need an idle machine)",
        f"each dkimscan figure: {policy(res['repeat'], True)}; on the big mbox: {policy(res['big_repeat'], True)}",
        f"wall, CPU time and peak RSS come from the same run (wait4); a peak RSS up to "
        f"{res['rss_floor_kb'] / 1024:.1f} MB, the measuring process's own, shows as <= that",
        "",
        f"{'run':34} {'msgs/s':>9} {'MB/s':>8} {'wall s':>8} {'CPU/wall':>8} {'msgs/CPU-s':>10} {'peak RSS MB':>11}",
    ]
    rss = lambda kb: f"{kb / 1024:11.1f}" if kb > res["rss_floor_kb"] else f"<={res['rss_floor_kb'] / 1024:.1f}".rjust(11)
    row = lambda name, r: lines.append(f"{name:34} {r['msgs_per_s']:9.0f} {r['mb_per_s']:8.1f} {r['wall_s']:8.3f} "
                                       f"{r['cpu_per_wall']:8.2f} {r['msgs_per_cpu_s']:10.0f} {rss(r['max_rss_kb'])}")
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
        lines.append(f"hardware ceiling:                  {res['hardware_scaling']:.2f}   (openssl speed rsa2048 verify/s "
                     f"by wall, -multi {jn['threads']} / one process with -elapsed, fastest of the runs before and "
                     f"after dkimscan's)")
    if res.get("peers"):
        sub = res["dkimscan_subset_j1"]
        lines += ["", f"peers on the first {sub['messages']} messages ({sub['bytes'] / 1e6:.1f} MB), one core each; "
                      f"each peer {policy(res['peer_runs'], False)}:"]
        row("dkimscan -j1 (subset)", sub)
        for p in res["peers"]:
            row(p["tool"], p)
        for p in res["peers"]:
            lines.append(f"  {p['tool']}: dkimscan per core is {p['dkimscan_speedup']:.1f}x faster by wall time, "
                         f"{p['dkimscan_speedup_cpu']:.1f}x by CPU time (peer/dkimscan = {1 / p['dkimscan_speedup']:.3f}); "
                         f"passes {p['results'].get('pass', 0)} of {p['pass_expected']} expected"
                         + (" (Ed25519-only messages left out: it has no Ed25519)" if p["tool"] == "mail-dkim" else ""))
    if res.get("peers_missing") and not res.get("peers"):
        lines.append("")
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
                  f"peak RSS -j{bn['threads']}: {max(bn['max_rss_kb_runs']) / 1024:.0f} MB, the most of its runs (sampled peak: anon "
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
    cores = len(os.sched_getaffinity(0))  # what nproc says: the CPUs this process may run on
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--layout", choices=("files", "maildir"), default="files",
                   help="a folder of .eml files, or a Maildir (whose files dkimscan reads in parallel)")
    p.add_argument("--domains", type=int, default=500)
    p.add_argument("--corpus", help="corpus folder (default /tmp/dkimscan-e2e-<count>-<seed>-<domains>-<layout>)")
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
    # The layout is in the default path: a --layout maildir run would otherwise regenerate the
    # files corpus in place, and what else uses it (alloc_count.py, ab.py) would find another one.
    args.corpus = os.path.abspath(args.corpus or
                                  f"/tmp/dkimscan-e2e-{args.count}-{args.seed}-{args.domains}-{args.layout}")
    args.work = os.path.join(args.corpus, ".e2e")
    os.makedirs(args.work, exist_ok=True)
    host = socket.gethostname().split(".")[0]
    date = datetime.date.today().isoformat()
    out = args.out or os.path.join(ROOT, "bench", "results", f"{date}-{host}")

    machine = machine_facts()
    args.runner = Runner(args.work)  # first: this process is still small
    meta = ensure_corpus(args)
    rows = expected_rows(args.corpus)
    messages = os.path.join(args.corpus, "messages" if args.layout == "files" else "maildir")
    warm_cache(os.path.join(args.corpus, r["file"]) for r in rows)
    version = subprocess.run([args.dkimscan, "--version"], capture_output=True, text=True).stdout.strip()
    res = {"date": date, "host": host, "cores": cores, "dkimscan": args.dkimscan, "dkimscan_version": version,
           "machine": machine, "corpus": meta, "corpus_path": args.corpus, "repeat": args.repeat,
           "big_repeat": args.big_repeat, "peer_runs": peer_runs(args)}
    if machine["load_start"] > cores / 2:
        log(f"WARNING load average {machine['load_start']:.1f} on {cores} cores: wall-clock figures will be low")

    # `openssl speed` runs once before and once after dkimscan's runs; the fastest rates count.
    speed_runs, multi_runs, single_wall_runs = [], [], []

    def measure_openssl(when):
        log(f"openssl speed, {when} dkimscan's runs (about {14 * args.speed_seconds} s)")
        speed_runs.append(openssl_speed(args.speed_seconds))
        if args.threads > 1:
            multi_runs.append(openssl_rsa2048_verify_by_wall(args.threads, args.speed_seconds))
            single_wall_runs.append(openssl_rsa2048_verify_by_wall(1, args.speed_seconds))

    measure_openssl("before")
    expected = counts_of(rows)
    log(f"dkimscan -j1 and -j{args.threads} on {meta['count']} messages: {policy(args.repeat, True)}")
    res["dkimscan_j1"] = run_dkimscan(args, messages, 1, expected, meta["bytes"], "corpus")
    res["dkimscan_jn"] = run_dkimscan(args, messages, args.threads, expected, meta["bytes"], "corpus")
    if args.mbox_runs:
        mbox = corpus_mbox(args, rows)
        log(f"dkimscan -j1 and -j{args.threads} on the same messages as one mbox: {policy(args.repeat, True)}")
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
        res["openssl_elapsed_rsa2048_verify_per_s"] = max(single_wall_runs)
        res["hardware_scaling"] = res["openssl_multi_rsa2048_verify_per_s"] / res["openssl_elapsed_rsa2048_verify_per_s"]
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
        log(f"dkimscan -j1 and -j{args.threads} on the {size / 1e9:.2f} GB mbox: {policy(args.big_repeat, True)}")
        for threads, key in ((1, "big_mbox_j1"), (args.threads, "big_mbox")):
            r = run_dkimscan(args, path, threads, counts, size, "big-mbox", repeat=args.big_repeat)
            r.update(copies=copies)
            res[key] = r
            os.remove(os.path.join(args.work, f"dkimscan-big-mbox-j{threads}.jsonl"))

    args.runner.close()
    res["rss_floor_kb"] = args.runner.floor_kb
    machine["load_end"] = os.getloadavg()[0]
    res["summary"] = summary_table(res)
    write_results(res, out)
    print(res["summary"], end="")
    log(f"results in {out}")


if __name__ == "__main__":
    main()
