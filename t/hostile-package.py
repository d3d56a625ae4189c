#!/usr/bin/env python3
"""Write one hostile package for t/t3300-hostile.sh.

usage: hostile-package.py KIND OUT [ARG]

Each KIND is a tar (gzip-compressed unless said otherwise) that s2e-unpack
and `s2e vm import` must refuse.  ARG is a path used by the kinds that try
to write outside the staging directory.
"""
import gzip
import io
import os
import sys
import tarfile

DISK = b"\x01" * 4096 + b"\x00" * 4096


def reg(name, data, **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    for k, v in kw.items():
        setattr(info, k, v)
    return info, io.BytesIO(data)


def write(out, members, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, data)
    with open(out, "wb") as f:
        f.write(gzip.compress(buf.getvalue()))


def special(name, kind, **kw):
    info = tarfile.TarInfo(name)
    info.type = kind
    for k, v in kw.items():
        setattr(info, k, v)
    return info, None


def manifest(size, digest=None):
    text = "[package]\n\tversion = 1\n\tname = \"Bad\"\n[member \"disk.s2e\"]\n\tsize = %d\n" % size
    if digest:
        text += "\tdigest = %s\n" % digest
    return reg("s2e-package.conf", text.encode())


def main():
    kind, out = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else "/tmp/s2e-hostile-target"
    disk = reg("disk.s2e", DISK)
    if kind == "dotdot":
        write(out, [disk, reg("../x", b"escaped\n")])
    elif kind == "dotdot-disk":
        write(out, [reg("../disk.s2e", DISK)])
    elif kind == "absolute":
        write(out, [disk, reg(arg, b"escaped\n")])
    elif kind == "symlink":
        write(out, [special("disk.s2e", tarfile.SYMTYPE, linkname=arg)])
    elif kind == "hardlink":
        write(out, [reg("disk.s2e.a", DISK), special("disk.s2e", tarfile.LNKTYPE, linkname="disk.s2e.a")])
    elif kind == "device":
        write(out, [disk, special("disk.s2e.dev", tarfile.CHRTYPE, devmajor=1, devminor=3)])
    elif kind == "device-disk":
        write(out, [special("disk.s2e", tarfile.BLKTYPE, devmajor=8, devminor=0)])
    elif kind == "fifo":
        write(out, [disk, special("disk.s2e.fifo", tarfile.FIFOTYPE)])
    elif kind == "duplicate":
        write(out, [disk, reg("disk.s2e", b"\x02" * 512)])
    elif kind == "longer":
        write(out, [disk, manifest(len(DISK) - 512)])
    elif kind == "shorter":
        write(out, [disk, manifest(len(DISK) + 512)])
    elif kind == "digest":
        write(out, [disk, manifest(len(DISK), "sha256-1m:" + "0" * 64)])
    elif kind == "missing":
        # the manifest lists a file the package does not hold
        m = manifest(len(DISK))
        text = m[1].getvalue() + b"[member \"disk.s2e.ready\"]\n\tsize = 1\n"
        write(out, [disk, reg("s2e-package.conf", text)])
    elif kind == "empty-snap":
        write(out, [disk, reg("disk.s2e.", b"x" * 512)])
    elif kind == "bad-snap":
        write(out, [disk, reg("disk.s2e.a\nb", b"x" * 512)])
    elif kind == "nested":
        write(out, [reg("a/b/disk.s2e", DISK)])
    elif kind == "two-dirs":
        write(out, [reg("A/disk.s2e", DISK), reg("B/disk.s2e.x", DISK)])
    elif kind == "no-disk":
        write(out, [reg("disk.s2e.ready", DISK)])
    elif kind == "petabyte":
        # A pax (GNU 0.1) sparse member: 512 bytes of data, 1 PiB apparent.
        info, data = reg("disk.s2e", b"\x01" * 512)
        info.pax_headers = {
            "GNU.sparse.size": str(1 << 50),
            "GNU.sparse.numblocks": "1",
            "GNU.sparse.map": "0,512",
        }
        write(out, [(info, data)])
    elif kind == "huge":
        # A plain member whose header claims 1 PiB (the data is not there).
        buf = io.BytesIO()
        info = tarfile.TarInfo("disk.s2e")
        info.size = 1 << 50
        buf.write(info.tobuf(format=tarfile.GNU_FORMAT))
        buf.write(b"\x01" * 4096)
        with open(out, "wb") as f:
            f.write(gzip.compress(buf.getvalue()))
    elif kind == "garbage":
        with open(out, "wb") as f:
            f.write(os.urandom(100000))
    elif kind == "gzip-garbage":
        with open(out, "wb") as f:
            f.write(gzip.compress(os.urandom(100000)))
    elif kind == "empty":
        open(out, "wb").close()
    elif kind == "bad-manifest":
        write(out, [disk, reg("s2e-package.conf", b"[package\n\tversion = 1\n")])
    elif kind == "include-manifest":
        write(out, [disk, reg("s2e-package.conf", b"[package]\n\tversion = 1\n[include]\n\tpath = /etc/passwd\n")])
    elif kind == "include-bypass":
        # issue 11 item 2: text after ']' once hid the include from the check
        text = b"[package]\n\tversion = 1\n[x][include]\n\tpath = " + arg.encode() + b"\n"
        write(out, [disk, reg("s2e-package.conf", text)])
    elif kind == "sparse-bomb":
        # issue 11 item 8: 4 M zero-length entries in a GNU 1.0 sparse map
        # (16 MB of map, some 16 KB compressed) once made import use 328 MB.
        n = 4 * 1024 * 1024
        data = b"%d\n" % n + b"0\n0\n" * n
        data += b"\0" * (-len(data) % 512)
        info = tarfile.TarInfo("GNUSparseFile.0/disk.s2e")
        info.size = len(data)
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                            "GNU.sparse.name": "disk.s2e", "GNU.sparse.realsize": "1048576"}
        write(out, [(info, io.BytesIO(data))])
    elif kind == "many-snapshots":
        # issue 11 item 14: more snapshots than the default bound (1024)
        write(out, [disk] + [reg("disk.s2e.s%04d" % i, b"") for i in range(1025)])
    elif kind == "apparent-total":
        # issue 11 item 14: 17 snapshots of 4 TiB apparent size each (68 TiB
        # in all, one block of data each): within --max-size, not --max-total.
        members = [disk]
        for i in range(17):
            info, data = reg("disk.s2e.big%02d" % i, b"\x01" * 512)
            info.pax_headers = {"GNU.sparse.size": str(4 << 40), "GNU.sparse.numblocks": "1",
                                "GNU.sparse.map": "0,512"}
            members.append((info, data))
        write(out, members)
    elif kind == "forged-status":
        # Not refused: a skipped member whose name is longer than an 8 KiB
        # line buffer, with what reads as a status record after 8191 bytes
        # ("skipped " + name), and a newline-forged one too.
        forged = "extracted 7 - disk.s2e.phantom"
        name = "n" * (8191 - len("skipped ")) + forged + "\n" + forged
        write(out, [disk, reg(name, b"not a VM file\n")])
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
