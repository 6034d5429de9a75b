#!/usr/bin/python3
"""dkimpy (Debian python3-dkim) as a peer: verifies every DKIM-Signature of each message named in
a list file, keys from a dkimscan --keys file through dnsfunc (no DNS). Prints one JSON line of
counts: messages, and message results (pass if any signature verifies, else fail; none if unsigned).

  /usr/bin/python3 bench/peers/dkimpy_verify.py keys.zone files.txt
"""
import collections
import json
import re
import sys

import dkim

SIGNATURE = re.compile(rb"^dkim-signature:", re.IGNORECASE | re.MULTILINE)


def load_zone(path):
    zone = {}
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, txt = line.rstrip("\n").split(" ", 1)
                zone[name.lower().rstrip(".")] = txt.encode()
    return zone


def main():
    zone = load_zone(sys.argv[1])

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return zone.get(name.lower().rstrip("."))

    with open(sys.argv[2]) as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    counts = collections.Counter()
    for path in paths:
        with open(path, "rb") as f:
            message = f.read()
        end = message.find(b"\n\n") if b"\r\n\r\n" not in message else message.find(b"\r\n\r\n")
        n = len(SIGNATURE.findall(message[:end if end >= 0 else len(message)]))
        if n == 0:
            counts["none"] += 1
            continue
        d = dkim.DKIM(message)
        ok = False
        for i in range(n):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc) or ok
            except Exception:  # dkimpy raises for malformed input; a failed check, like dkimverify
                pass
        counts["pass" if ok else "fail"] += 1
    print(json.dumps({"messages": len(paths), "results": dict(counts)}))


if __name__ == "__main__":
    main()
