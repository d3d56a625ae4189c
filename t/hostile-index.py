#!/usr/bin/env python3
"""Write a hostile variant of a casync blob index, for t5000.

usage: hostile-index.py KIND IN OUT
KIND: magic, flags, unsorted, overlap, big-chunk, trailing, truncated, tail, header-max
"""
import struct
import sys

kind, src, dst = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
HEAD, TABLE, ITEM = 48, 16, 40
items = (len(data) - HEAD - TABLE - 40) // ITEM
first = HEAD + TABLE


def item_offset(i):
    return first + i * ITEM


if kind == "magic":
    data[8:16] = struct.pack("<Q", 0x1234)
elif kind == "flags":  # SHA-512/256 chunk IDs
    data[16:24] = struct.pack("<Q", 0xB000000000000000)
elif kind == "unsorted":  # the second chunk ends before the first
    b = item_offset(1)
    data[b:b + 8] = struct.pack("<Q", 1 << 19)
elif kind == "overlap":  # the second chunk ends where the first does
    a, b = item_offset(0), item_offset(1)
    data[b:b + 8] = data[a:a + 8]
elif kind == "big-chunk":  # a 2 MiB first chunk, header still says 1 MiB max
    a = item_offset(0)
    data[a:a + 8] = struct.pack("<Q", 2 << 20)
    for i in range(1, items):
        o = item_offset(i)
        data[o:o + 8] = struct.pack("<Q", (i + 2) << 20)
elif kind == "header-max":  # the header claims 2 MiB chunks
    data[40:48] = struct.pack("<Q", 2 << 20)
elif kind == "trailing":
    data += b"garbage"
elif kind == "truncated":
    data = data[:-13]
elif kind == "tail":  # a table size that disagrees with the items
    t = len(data) - 40
    data[t + 24:t + 32] = struct.pack("<Q", 12345)
else:
    sys.exit("unknown kind " + kind)
open(dst, "wb").write(data)
