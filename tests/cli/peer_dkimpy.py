#!/usr/bin/python3
# File: tests/cli/peer_dkimpy.py
# dkimpy (Debian python3-dkim, python3-nacl) as an independent DKIM peer for interop_test.cpp:
# verifies messages against a dkimscan key file, and signs messages with a key from
# `dkimscan keygen`. Output is one line per message, easy to read from C++.
#
#   peer_dkimpy.py verify KEYFILE MESSAGE...   -> "<result> <result>..." per message, one per
#                                                 DKIM-Signature top to bottom: pass, fail (signature
#                                                 or body hash mismatch) or error:<text>; a message
#                                                 dkimpy cannot parse at all is unparsed:<text>
#   peer_dkimpy.py sign KEY.pem DOMAIN SELECTOR CANONS OUT_DIR MESSAGE...
#                                              -> signs each message once per canonicalization in
#                                                 CANONS (comma-separated header/body pairs), writing
#                                                 OUT_DIR/<header>-<body>-<file name>
#   RSA keys sign rsa-sha256, Ed25519 keys ed25519-sha256. One process does a whole batch: starting
#   python3 with dkimpy costs about 0.4 s.
import base64
import os
import re
import sys

import dkim


def read_key_file(path):
    """'<selector>._domainkey.<domain> <TXT value>' lines -> {name: [values]} (cache/KEYFILE.md)."""
    zone = {}
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            line = line.rstrip(b"\r")
            if not line or line.startswith(b"#"):
                continue
            name, _, value = line.partition(b" ")
            if value.startswith(b"!"):
                continue  # !NXDOMAIN / !TEMPFAIL: no record
            zone.setdefault(name.lower().rstrip(b"."), []).append(value)
    return zone


def verify(key_file, paths):
    zone = read_key_file(key_file)

    def dnsfunc(name, timeout=5):
        if isinstance(name, str):
            name = name.encode()
        values = zone.get(name.lower().rstrip(b"."))
        return values[0] if values else None

    for path in paths:
        with open(path, "rb") as f:
            message = f.read()
        try:
            d = dkim.DKIM(message)
        except Exception as e:  # dkimpy cannot split it ("Subject :"; IndexError on odd folding): say so, go on
            print("unparsed:" + re.sub(r"\s+", "_", f"{type(e).__name__}:{e}")[:80])
            continue
        count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
        results = []
        for idx in range(count):
            try:
                ok = dkim.DKIM(message).verify(idx=idx, dnsfunc=dnsfunc)
                results.append("pass" if ok else "fail")
            except Exception as e:  # on odd input dkimpy raises more than DKIMException
                if str(e).startswith("body hash mismatch"):
                    results.append("fail")
                else:
                    results.append("error:" + re.sub(r"\s+", "_", str(e))[:80])
        print(" ".join(results) if results else "none")


def ed25519_seed(pem):
    """The 32-byte seed of a PKCS#8 Ed25519 PEM (what `dkimscan keygen --type ed25519` writes)."""
    der = base64.b64decode(b"".join(l for l in pem.splitlines() if l and not l.startswith(b"-----")))
    prefix = bytes.fromhex("302e020100300506032b657004220420")
    if len(der) != 48 or not der.startswith(prefix):
        raise SystemExit("not a PKCS#8 Ed25519 key")
    return der[16:]


def sign(key_path, domain, selector, canons, out_dir, paths):
    with open(key_path, "rb") as f:
        pem = f.read()
    if b"BEGIN PRIVATE KEY" in pem and len(pem) < 200:  # PKCS#8 Ed25519 (RSA PEMs are far longer)
        privkey, algorithm = base64.b64encode(ed25519_seed(pem)), b"ed25519-sha256"
    else:
        privkey, algorithm = pem, b"rsa-sha256"
    for path in paths:
        with open(path, "rb") as f:
            message = f.read()
        for canon in canons.split(","):
            header_canon, body_canon = canon.encode().split(b"/")
            field = dkim.sign(message, selector.encode(), domain.encode(), privkey,
                              canonicalize=(header_canon, body_canon), signature_algorithm=algorithm,
                              include_headers=[b"From", b"To", b"Subject", b"Date", b"Message-ID"])
            name = "%s-%s-%s" % (header_canon.decode(), body_canon.decode(), os.path.basename(path))
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(field + message)


def main(argv):
    if len(argv) >= 3 and argv[1] == "verify":
        verify(argv[2], argv[3:])
    elif len(argv) >= 8 and argv[1] == "sign":
        sign(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7:])
    else:
        raise SystemExit(__doc__ or "usage: peer_dkimpy.py verify|sign ...")


if __name__ == "__main__":
    main(sys.argv)
