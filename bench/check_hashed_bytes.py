#!/usr/bin/python3
"""bench/check_hashed_bytes.py CORPUS: checks the crypto bound's byte count against an independent
implementation. datasets/generate counts, for its corpus.json, the bytes RFC 6376 §3.7 hashes
(bench/README.md, "Crypto bound"); here dkimpy verifies every signature of the corpus with its
hashing recorded (dkim.HashThrough), and for each one the generator's header-hash input and
canonical body must hash as dkimpy's did, and the totals must be equal. Exit 1 on any difference.
The suite runs it on the corpus of its e2e check (bench/CMakeLists.txt)."""
import collections, hashlib, importlib.machinery, importlib.util, json, os, re, sys
import dkim

GENERATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "generate")
loader = importlib.machinery.SourceFileLoader("generate", GENERATE)
gen = importlib.util.module_from_spec(importlib.util.spec_from_loader("generate", loader)); loader.exec_module(gen)
if len(sys.argv) != 2:
    sys.exit(__doc__)
corpus = sys.argv[1]
zone = {}
for line in open(os.path.join(corpus, "keys.zone")):
    name, txt = line.rstrip("\n").split(" ", 1); zone[name.lower()] = txt.encode()
dnsfunc = lambda name, timeout=5: zone.get((name.decode() if isinstance(name, bytes) else name).lower().rstrip("."))

recorded = []
class Recording(dkim.HashThrough):
    def __init__(self, hasher, debug=False):
        super().__init__(hasher, True); recorded.append(self)
dkim.HashThrough = Recording

rows = [json.loads(l) for l in open(os.path.join(corpus, "expected.jsonl"))]
meta = json.load(open(os.path.join(corpus, "corpus.json")))
total = 0; sigs_checked = collections.Counter(); bad = 0
for r in rows:
    data = open(os.path.join(corpus, r["file"]), "rb").read()
    sc = r["scenario"]
    mine = gen.hashed_bytes(data, sc not in gen.NO_CRYPTO) if sc in gen.HASHED else 0
    if sc not in gen.HASHED:
        total += mine; continue
    crlf = re.sub(rb"(?<!\r)\n", b"\r\n", data)  # dkimscan reads bare LF as CRLF
    d = dkim.DKIM(crlf, debug_content=True)
    fields, body = gen.split_message(data)
    sig_fields = [raw for n, raw in fields if n == b"dkim-signature"]
    theirs, bodies = 0, {}
    for idx, raw in enumerate(sig_fields):
        recorded.clear()
        try:
            ok = d.verify(idx, dnsfunc)
        except dkim.ValidationError:
            ok = False
        tags = gen.signature_tags(raw)
        relaxed_body = tags.get("c", b"simple").lower().endswith(b"/relaxed")
        key = (relaxed_body, tags["a"].split(b"-")[-1], tags.get("l"))  # the engine shares one body hash per (c, hash, l)
        body_in = recorded[0].hashed()
        canon = gen.canon_body(body, relaxed_body)
        if "l" in tags: canon = canon[:int(tags["l"])]
        assert hashlib.sha256(canon).digest() == hashlib.sha256(body_in).digest(), (r, "body")
        bodies[key] = len(body_in)
        if sc in gen.NO_CRYPTO:
            assert len(recorded) == 1 and not ok, (r, "tampered body got past the body hash in dkimpy")
            continue
        head_in = recorded[1].hashed()
        mine_head = gen.header_hash_input(fields, raw, tags)
        if hashlib.sha256(mine_head).digest() != hashlib.sha256(head_in).digest():
            bad += 1; print("HEADER MISMATCH", r["file"], idx, tags.get("c")); print(repr(mine_head)); print(repr(head_in))
        theirs += len(head_in)
        assert ok == (r["result"] == "pass"), (r, ok)
        sigs_checked[(tags.get("c", b"simple/simple").decode(), tags["a"].decode(), "l" in tags, sc == "bare-lf")] += 1
    theirs += sum(bodies.values())
    if theirs != mine:
        bad += 1; print("TOTAL MISMATCH", r["file"], mine, theirs)
    total += theirs
print("signatures checked (c, a, l=, bare LF):", dict(sigs_checked))
print("dkimpy total", total, "corpus.json hashed_bytes", meta["hashed_bytes"], "mismatches", bad)
sys.exit(1 if bad or total != meta["hashed_bytes"] else 0)
