#!/usr/bin/python3
# File: tests/cli/peer_differential.py
# Differential check of dkimscan against two independent verifiers, dkimpy and Mail::DKIM, on
# messages that were signed and then changed the way mail gets changed in transit and in storage
# (refolded or retyped header fields, added and reordered fields, whitespace, line ends, a changed
# byte, a body cut off or dropped). For every signature, dkimscan's pass or not-pass must be what a
# peer says; a peer is only asked where it follows RFC 6376 (see peer_votes()). Then the same
# messages are read back from an mboxrd and an mboxo archive, and each must get the verdicts its
# file got (the repair, ingest/repair.h, undoes the mboxo quoting); and dkimscan signs them, and
# each copy must pass in dkimscan and in the peers. Run by interop_test.cpp;
# prints each disagreement and exits 1 if there is any, or if too few signatures had a peer to
# answer for the check to mean anything.
#
#   peer_differential.py --dkimscan BIN --python PY --sample DIR --work DIR [--count N] [--seed S]
#
# DIR is a sample corpus (datasets/sample: messages/, keys.zone, expected.jsonl); its messages that
# pass are the ones changed. The same seed gives the same messages.
import argparse
import json
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------
# Messages as header fields and body

def split_message(m):
    """(fields, separator, body): the header fields (each with its folded lines and line end), the
    empty line that ends the header ('' when there is none) and the body."""
    end = re.search(rb"\r?\n\r?\n", m)
    if end is None:
        header, separator, body = m, b"", b""
    else:
        cut = end.start() + (2 if m[end.start()] == 13 else 1)  # keep the last field's line end
        header, separator, body = m[:cut], m[cut:end.end()], m[end.end():]
    fields = []
    for line in re.split(rb"(?<=\n)", header):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        elif line:
            fields.append(line)
    return fields, separator, body


def join_message(fields, separator, body):
    return b"".join(fields) + separator + body


def name_of(field):
    return field.split(b":", 1)[0]


def named(field, name):
    """Whether the field's name is name (lower case), as RFC 5322 compares names: the case and the
    WSP before the colon do not count."""
    return name_of(field).strip().lower() == name


def is_signature(field):
    return named(field, b"dkim-signature")


# ---------------------------------------------------------------------------------------------
# Changes. Each takes (fields, separator, body, rng) and returns the three, changed.

def pick(rng, fields, signature=False):
    """Index of a random field: a DKIM-Signature one, or (default) any other."""
    indexes = [i for i, f in enumerate(fields) if is_signature(f) == signature]
    return rng.choice(indexes) if indexes else None


def replace_one(rng, text, pattern, replacement):
    spots = [m.start() for m in re.finditer(pattern, text)]
    if not spots:
        return text
    at = rng.choice(spots)
    return text[:at] + replacement + text[at + len(pattern):]


def fold_field(fields, sep, body, rng):
    i = pick(rng, fields)
    colon = fields[i].find(b":")
    fields[i] = fields[i][:colon + 1] + replace_one(rng, fields[i][colon + 1:].rstrip(b"\r\n"), b" ", b"\r\n\t") + b"\r\n"
    return fields, sep, body


def space_to_tab(fields, sep, body, rng):
    i = pick(rng, fields)
    fields[i] = replace_one(rng, fields[i], b" ", b"\t")
    return fields, sep, body


def space_after_colon(fields, sep, body, rng):
    i = pick(rng, fields)
    fields[i] = fields[i].replace(b":", b":  ", 1)
    return fields, sep, body


def wsp_at_field_end(fields, sep, body, rng):
    i = pick(rng, fields)
    fields[i] = fields[i].rstrip(b"\r\n") + b" \t\r\n"
    return fields, sep, body


def name_case(fields, sep, body, rng):
    i = pick(rng, fields, rng.random() < 0.3)
    name = name_of(fields[i])
    fields[i] = name.swapcase() + fields[i][len(name):]
    return fields, sep, body


def wsp_before_colon(fields, sep, body, rng):
    # RFC 5322 §4.5 obsolete syntax: in a signature field, in any other, or in From moved to the
    # top ("From :" first in a file once made it look like an mbox).
    r = rng.random()
    if r < 0.3:
        fields.insert(0, fields.pop(next(j for j, f in enumerate(fields) if named(f, b"from"))))
        i = 0
    else:
        i = pick(rng, fields, r < 0.6)
    name = name_of(fields[i])
    fields[i] = name + rng.choice([b" ", b"\t", b" \t "]) + fields[i][len(name):]
    return fields, sep, body


def add_unsigned_field(fields, sep, body, rng):
    fields.insert(rng.randrange(len(fields) + 1), b"X-Added: by a list\r\n")
    return fields, sep, body


def add_signed_name(fields, sep, body, rng):
    # A second instance above the signed one is not selected (§5.4.2); one below it is.
    extra = rng.choice([b"From", b"Subject", b"To", b"Date"]) + b": added\r\n"
    fields.insert(0 if rng.random() < 0.5 else len(fields), extra)
    return fields, sep, body


def delete_field(fields, sep, body, rng):
    del fields[pick(rng, fields)]
    return fields, sep, body


def swap_fields(fields, sep, body, rng):
    i, j = rng.randrange(len(fields)), rng.randrange(len(fields))
    fields[i], fields[j] = fields[j], fields[i]
    return fields, sep, body


def unfold_signature(fields, sep, body, rng):
    i = pick(rng, fields, True)
    fields[i] = re.sub(rb"\r\n[ \t]", b" ", fields[i].rstrip(b"\r\n")) + b"\r\n"
    return fields, sep, body


def space_in_signature(fields, sep, body, rng):
    i = pick(rng, fields, True)
    fields[i] = replace_one(rng, fields[i], b";", b" ;  ")
    return fields, sep, body


def fold_inside_b(fields, sep, body, rng):
    i = pick(rng, fields, True)
    b = re.search(rb"[; \t]b=", fields[i])
    at = b.end() + rng.randrange(1, 40)
    fields[i] = fields[i][:at] + b"\r\n " + fields[i][at:]
    return fields, sep, body


def body_line_wsp(fields, sep, body, rng):
    lines = body.split(b"\r\n")
    j = rng.randrange(len(lines))
    lines[j] += rng.choice([b" ", b"\t", b" \t"])
    return fields, sep, b"\r\n".join(lines)


def body_inner_wsp(fields, sep, body, rng):
    return fields, sep, replace_one(rng, body, b" ", rng.choice([b"  ", b"\t", b" \t"]))


def body_empty_lines_at_end(fields, sep, body, rng):
    return fields, sep, body + b"\r\n" * rng.randint(1, 3)


def body_without_final_line_end(fields, sep, body, rng):
    return fields, sep, body.rstrip(b"\r\n")


def body_byte(fields, sep, body, rng):
    at = rng.randrange(len(body))
    return fields, sep, body[:at] + rng.choice([b"x", b"Y", b"0"]) + body[at + 1:]


def body_appended(fields, sep, body, rng):
    return fields, sep, body + b"Appended by a list.\r\n"


def body_8bit(fields, sep, body, rng):
    at = rng.randrange(len(body))
    return fields, sep, body[:at] + b"\xc3\xa9\x00\xff" + body[at:]


def body_lone_cr(fields, sep, body, rng):
    return fields, sep, replace_one(rng, body, b"\r\n", b"\r")


def body_one_lf(fields, sep, body, rng):
    return fields, sep, replace_one(rng, body, b"\r\n", b"\n")


def all_lf(fields, sep, body, rng):
    return [f.replace(b"\r\n", b"\n") for f in fields], sep.replace(b"\r\n", b"\n"), body.replace(b"\r\n", b"\n")


def body_dropped(fields, sep, body, rng):
    return fields, sep, b""


def header_only(fields, sep, body, rng):
    # RFC 5322 §3.5: the body is optional; without it there is no empty line either.
    return fields, b"", b""


CHANGES = [fold_field, space_to_tab, space_after_colon, wsp_at_field_end, name_case, wsp_before_colon,
           add_unsigned_field, add_signed_name, delete_field, swap_fields, unfold_signature,
           space_in_signature, fold_inside_b, body_line_wsp, body_inner_wsp, body_empty_lines_at_end,
           body_without_final_line_end, body_byte, body_appended, body_8bit, body_lone_cr, body_one_lf,
           all_lf, body_dropped, header_only]


def change(message, rng):
    """message changed once or (one time in three) twice; the names of the changes."""
    names = []
    for _ in range(2 if rng.random() < 1 / 3 else 1):
        fn = rng.choice(CHANGES)
        fields, sep, body = split_message(message)
        if not body and fn.__name__.startswith("body_"):
            continue  # nothing to change there any more
        message = join_message(*fn(list(fields), sep, body, rng))
        names.append(fn.__name__)
    return message, "+".join(names) or "unchanged"


# ---------------------------------------------------------------------------------------------
# Where a peer's answer is not evidence

def peer_votes(message, signature_field):
    """(dkimpy, mail_dkim): whether each peer's answer on this signature counts. Each exception is
    a place where the peer departs from RFC 6376, seen in this check's own disagreements:
      dkimpy     rejects or mis-hashes fields with WSP before the colon (RFC 5322 §4.5 allows it);
                 fails every message with two From fields (a deliberate local policy, dkimpy
                 bug 644046: §8.15 leaves that to the receiver);
                 keeps WSP at the end of a body that does not end in a line end (§3.4.4 drops it).
      Mail::DKIM hashes a DKIM-Signature field with WSP before its colon differently from other
                 fields under relaxed (§3.4.2 removes that WSP from every field);
                 adds no CRLF to a simple body that does not end in one (§3.4.3 says to);
                 Debian 12's version has no Ed25519 (RFC 8463)."""
    fields, _, body = split_message(message)
    wsp_before_colon = any(re.match(rb"[^:\s]+[ \t]+:", f) for f in fields)
    from_fields = sum(1 for f in fields if named(f, b"from"))
    ends_in_line_end = body == b"" or body.endswith(b"\n")
    dkimpy = not wsp_before_colon and from_fields <= 1 and ends_in_line_end
    mail_dkim = (b"ed25519" not in signature_field and ends_in_line_end and
                 not re.match(rb"dkim-signature[ \t]+:", signature_field, re.IGNORECASE))
    return dkimpy, mail_dkim


# ---------------------------------------------------------------------------------------------
# The same messages read back from mbox archives

MBOX_WRITERS = {
    # format: (how its writer quotes a line that starts like a From_ line, --mbox-format to read it)
    "mboxrd": (re.compile(rb"(?m)^(>*From )"), "mboxrd"),  # reversible: must give the files' verdicts
    "mboxo": (re.compile(rb"(?m)^(From )"), "auto"),       # irreversible: the repair must undo it
}


def archive_disagreements(args, keys, paths, by_file):
    """Each message that ends in a line end (an mbox writer adds one to any other, which changes the
    message) is written to an archive of each format; every item must get the signature verdicts
    its file got."""
    kept = []
    for path in paths:
        with open(path, "rb") as f:
            message = f.read()
        if message.endswith(b"\n"):
            kept.append((path, message))
    out = []
    for name, (quoting, read_as) in MBOX_WRITERS.items():
        archive = os.path.join(args.work, name + ".mbox")
        with open(archive, "wb") as f:
            for _, message in kept:
                f.write(b"From sender@example.org Mon Jan  1 00:00:00 2024\n" + quoting.sub(rb">\1", message) + b"\n")
        items = [json.loads(line) for line in run_lines([args.dkimscan, "verify", "--format", "jsonl", "--quiet",
                                                          "--mbox-format", read_as, "--keys", keys, archive])]
        items = [o for o in items if o.get("type") == "message"]
        if len(items) != len(kept):
            out.append(f"{archive}: {len(items)} items for {len(kept)} messages")
            continue
        for (path, _), item in zip(kept, items):
            want = [s["result"] for s in by_file[path]["signatures"]]
            got = [s["result"] for s in item["signatures"]]
            if got != want:
                out.append(f"{item['source']} ({path} in {name}): {got}, as a file {want} {item.get('note', '')}")
    return out, len(kept)


# ---------------------------------------------------------------------------------------------
# The same messages signed by dkimscan

def signing_disagreements(args, paths):
    """dkimscan signs the first 150 changed messages (odd as some are: WSP before colons, bare CR
    and LF, no body) with simple and with relaxed canonicalization; every copy must pass in
    dkimscan and in each peer that follows the RFC on it (peer_votes())."""
    key, zone = os.path.join(args.work, "signer.pem"), os.path.join(args.work, "signer.zone")
    if os.path.exists(key):
        os.remove(key)  # a --work folder used before: keygen never overwrites a key
    with open(zone, "wb") as f:
        f.write(subprocess.run([args.dkimscan, "keygen", "--type", "rsa", "--bits", "2048", "--domain", "example.org",
                                "--selector", "signer", "--out", key], capture_output=True, check=True).stdout)
    signed, out = [], []
    for canon in ("simple/simple", "relaxed/relaxed"):
        out_dir = os.path.join(args.work, "signed-" + canon.replace("/", "-"))
        subprocess.run([args.dkimscan, "sign", "--key", key, "--domain", "example.org", "--selector", "signer", "-c",
                        canon, "--out", out_dir] + paths[:150], capture_output=True)
        for path in paths[:150]:
            copy = os.path.join(out_dir, os.path.basename(path))
            with open(path, "rb") as f:
                fields = split_message(f.read())[0]
            has_from = any(named(field, b"from") for field in fields)
            if os.path.exists(copy):
                signed.append(copy)
            elif has_from:  # only a message without From may be refused (RFC 6376 §5.4)
                out.append(f"{path}: dkimscan sign ({canon}) wrote no copy")
    ours = [json.loads(line) for line in run_lines([args.dkimscan, "verify", "--format", "jsonl", "--quiet",
                                                     "--keys", zone] + signed)]
    ours = [o for o in ours if o.get("type") == "message"]
    dkimpy = run_lines([args.python, os.path.join(HERE, "peer_dkimpy.py"), "verify", zone] + signed)
    mail_dkim = run_lines(["perl", os.path.join(HERE, "peer_mail_dkim.pl"), zone] + signed)
    if not len(ours) == len(dkimpy) == len(mail_dkim) == len(signed):
        return out + [f"signed copies: answers for {len(ours)}, {len(dkimpy)}, {len(mail_dkim)} of {len(signed)}"], 0
    for path, o, py, pl in zip(signed, ours, dkimpy, mail_dkim):
        with open(path, "rb") as f:
            message = f.read()
        py_counts, pl_counts = peer_votes(message, split_message(message)[0][0])  # our field is first
        results = {"dkimscan": o["result"]}
        if py_counts:
            results["dkimpy"] = py.split()[0] if py else "none"
        if pl_counts:
            results["Mail::DKIM"] = pl.split()[0] if pl else "none"
        if any(r != "pass" for r in results.values()):
            out.append(f"{path} (signed by dkimscan): {results}")
    return out, len(signed)


# ---------------------------------------------------------------------------------------------

def run_lines(argv):
    return subprocess.run(argv, capture_output=True, check=False).stdout.decode("utf-8", "replace").splitlines()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dkimscan", required=True)
    ap.add_argument("--python", required=True, help="a python3 that has dkimpy")
    ap.add_argument("--sample", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    with open(os.path.join(args.sample, "expected.jsonl")) as f:
        passing = [json.loads(line)["file"] for line in f if json.loads(line)["result"] == "pass"]
    rng = random.Random(args.seed)
    os.makedirs(args.work, exist_ok=True)
    paths, changes = [], []
    for n in range(args.count):
        with open(os.path.join(args.sample, rng.choice(passing)), "rb") as f:
            message, what = change(f.read(), rng)
        paths.append(os.path.join(args.work, "%04d.eml" % n))
        changes.append(what)
        with open(paths[-1], "wb") as f:
            f.write(message)

    keys = os.path.join(args.sample, "keys.zone")
    ours = [json.loads(line) for line in run_lines([args.dkimscan, "verify", "--format", "jsonl", "--quiet",
                                                    "--keys", keys] + paths)]
    items = {}  # source → its items: a message file must be one item, never split as an mbox
    for o in ours:
        if o.get("type") == "message":
            items.setdefault(o["source"].split("#")[0], []).append(o)
    dkimpy = run_lines([args.python, os.path.join(HERE, "peer_dkimpy.py"), "verify", keys] + paths)
    mail_dkim = run_lines(["perl", os.path.join(HERE, "peer_mail_dkim.pl"), keys] + paths)
    if not len(dkimpy) == len(mail_dkim) == len(paths):
        sys.exit(f"differential: the peers answered for {len(dkimpy)} and {len(mail_dkim)} of {len(paths)} messages")

    disagreements, answered, outcomes = [], 0, {True: 0, False: 0}
    for path, what, py, pl in zip(paths, changes, dkimpy, mail_dkim):
        if len(items.get(path, [])) != 1:
            disagreements.append(f"{path} ({what}): dkimscan gave {len(items.get(path, []))} items, not 1")
            continue
        o = items[path][0]
        with open(path, "rb") as f:
            message = f.read()
        signature_fields = [f for f in split_message(message)[0] if is_signature(f)]
        results = [s["result"] == "pass" for s in o["signatures"]]
        if len(results) != len(signature_fields):
            disagreements.append(f"{path} ({what}): dkimscan checked {len(results)} of "
                                 f"{len(signature_fields)} signatures: {o.get('error') or o['result']}")
            continue
        py_words = [] if py.startswith("unparsed:") else py.split()
        pl_words = pl.split()
        for k, (field, passed) in enumerate(zip(signature_fields, results)):
            py_counts, pl_counts = peer_votes(message, field)
            votes = {}
            if py_counts and k < len(py_words):
                votes["dkimpy"] = py_words[k] == "pass"
            if pl_counts and k < len(pl_words):
                votes["Mail::DKIM"] = pl_words[k] == "pass"
            if not votes:
                continue
            answered += 1
            outcomes[passed] += 1
            if passed not in votes.values():
                disagreements.append(f"{path} ({what}), signature {k}: dkimscan {o['signatures'][k]['result']} "
                                     f"({o['signatures'][k]['reason']}), dkimpy {py}, Mail::DKIM {pl}")

    total = sum(len(o["signatures"]) for found in items.values() for o in found)
    print(f"differential: {len(paths)} changed messages, {total} signatures, {answered} with a peer's answer "
          f"({outcomes[True]} pass, {outcomes[False]} not), {len(disagreements)} disagreements")
    by_file = {path: found[0] for path, found in items.items() if len(found) == 1}
    in_archives, archived = archive_disagreements(args, keys, [p for p in paths if p in by_file], by_file)
    print(f"differential: {archived} of them read back from mboxrd and mboxo archives, "
          f"{len(in_archives)} verdicts unlike the files'")
    disagreements += in_archives
    in_signing, signed = signing_disagreements(args, paths)
    print(f"differential: {signed} copies signed by dkimscan, {len(in_signing)} that do not pass")
    disagreements += in_signing
    for d in disagreements:
        print("  " + d)
    # Not vacuous: most signatures were judged by a peer, and both outcomes occur often.
    enough = answered >= 0.7 * total and min(outcomes.values()) >= 0.15 * answered
    if not enough:
        print("differential: too few signatures had a peer's answer for the check to mean anything")
    sys.exit(0 if enough and not disagreements else 1)


if __name__ == "__main__":
    main()
