#!/usr/bin/env python3
"""Chunk IDs of files and casync indexes, computed independently of s2e, for
the store tests.

usage: store-chunks.py ids FILE...            distinct chunk IDs of the files
                                              (1 MiB pieces, SHA-256), sorted
       store-chunks.py refs INDEX...          distinct chunk IDs the .caibx
                                              indexes name, sorted
       store-chunks.py missing STORE FILE...  how many distinct chunk IDs of
                                              the files STORE/chunks lacks
       store-chunks.py stored STORE           chunk IDs in STORE/chunks, sorted
"""
import hashlib
import os
import struct
import sys

MiB = 1 << 20
HEAD, TABLE, ITEM, TAIL = 48, 16, 40, 40


def file_ids(path):
    ids = set()
    with open(path, "rb") as f:
        while True:
            piece = f.read(MiB)
            if not piece:
                break
            ids.add(hashlib.sha256(piece).hexdigest())
    return ids


def index_ids(path):
    data = open(path, "rb").read()
    (hsize, htype) = struct.unpack_from("<QQ", data, 0)
    if hsize != HEAD or htype != 0x96824D9C7B129FF9:
        sys.exit("%s: not a casync index" % path)
    n = (len(data) - HEAD - TABLE - TAIL) // ITEM
    return {data[HEAD + TABLE + i * ITEM + 8:HEAD + TABLE + (i + 1) * ITEM].hex()
            for i in range(n)}


def stored(store):
    out = set()
    for top, _, names in os.walk(os.path.join(store, "chunks")):
        for n in names:
            if n.endswith(".cacnk") and not n.startswith("."):
                out.add(n[:-len(".cacnk")])
    return out


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ids":
        ids = set().union(*(file_ids(p) for p in args))
    elif cmd == "refs":
        ids = set().union(*(index_ids(p) for p in args)) if args else set()
    elif cmd == "missing":
        have = stored(args[0])
        print(len(set().union(*(file_ids(p) for p in args[1:])) - have))
        return
    elif cmd == "stored":
        ids = stored(args[0])
    else:
        sys.exit(__doc__)
    for i in sorted(ids):
        print(i)


main()
