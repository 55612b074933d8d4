#!/usr/bin/env python3
"""Writes tally.json: test vectors for yiyi's verifiable tallies
(protocol/src/tally.rs), computed here independently, with nothing but
Python's standard library, from the formats as DESIGN and tally.rs state
them:

  receipt = SHA-256("yiyi/code/v1\\n" || salt || code)
  leaf    = "yiyi/ballot/v1\\n" || round || "\\n" || receipt || choice (u32 BE)
  issued  = "yiyi/issued/v1\\n" || round || "\\n" || receipt
  roots and inclusion proofs: RFC 6962 over the leaves sorted by receipt.

Run: python3 protocol/tests/vectors/tally.py > protocol/tests/vectors/tally.json
"""
import hashlib
import json

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def sha(data):
    return hashlib.sha256(data).digest()


def leaf_hash(data):
    return sha(b"\x00" + data)


def node_hash(left, right):
    return sha(b"\x01" + left + right)


def split(n):
    """The largest power of two smaller than n (RFC 6962's k)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(hashes):
    if not hashes:
        return sha(b"")
    if len(hashes) == 1:
        return hashes[0]
    k = split(len(hashes))
    return node_hash(root(hashes[:k]), root(hashes[k:]))


def path(index, hashes):
    """RFC 6962 PATH(m, D[n]), leaf to root."""
    if len(hashes) <= 1:
        return []
    k = split(len(hashes))
    if index < k:
        return path(index, hashes[:k]) + [root(hashes[k:])]
    return path(index - k, hashes[k:]) + [root(hashes[:k])]


def shown(code):
    value = int.from_bytes(code, "big")
    digits = "".join(ALPHABET[(value >> (5 * (15 - i))) & 31] for i in range(16))
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


round_id = "R-舜玉-1"
salt = sha(b"the round's salt, for the vectors")
options = 3
# Codes derived from their number, so the file says where each comes from.
codes = [sha(b"code %d" % i)[:10] for i in range(12)]
# Ten of the twelve codes cast a ballot; the last two were never used.
choices = [0, 1, 0, 2, 0, 0, 1, 0, 2, 0]
receipts = [sha(b"yiyi/code/v1\n" + salt + c) for c in codes]
ballots = sorted(zip(receipts[:10], choices))
leaves = [
    b"yiyi/ballot/v1\n" + round_id.encode() + b"\n" + r + c.to_bytes(4, "big")
    for r, c in ballots
]
hashes = [leaf_hash(l) for l in leaves]
counts = [sum(1 for _, c in ballots if c == o) for o in range(options)]
issued = [
    leaf_hash(b"yiyi/issued/v1\n" + round_id.encode() + b"\n" + r)
    for r in sorted(receipts)
]
print(json.dumps({
    "source": "protocol/tests/vectors/tally.py (Python's hashlib; independent of tally.rs)",
    "round": round_id,
    "salt": salt.hex(),
    "options": options,
    "codes": [{"bytes": c.hex(), "shown": shown(c)} for c in codes],
    "receipts": [r.hex() for r in receipts],
    "ballots": [{"receipt": r.hex(), "choice": c} for r, c in ballots],
    "leaves": [l.hex() for l in leaves],
    "counts": counts,
    "root": root(hashes).hex(),
    "codes_root": root(issued).hex(),
    "proofs": [
        {"index": i, "hashes": [h.hex() for h in path(i, hashes)]}
        for i in range(len(hashes))
    ],
}, indent=1, ensure_ascii=False))
