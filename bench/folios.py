#!/usr/bin/env python3
"""Folio sizes of a file's page cache: reads FILE (up to LIMIT bytes, default 256 MiB), maps it privately,
touches every page and looks each one up in /proc/self/pagemap and /proc/kpageflags (root only).
Prints how many pages sit in folios of each size (in pages): `1` only means 4 KiB folios.

  sudo bench/folios.py /var/tmp/vmcorefs-bench/raw2g.img
  sudo bench/folios.py MOUNT/dev/oldmem      (a --page-cache mount; direct_io files bypass the cache)
"""
import collections
import ctypes
import mmap
import os
import struct
import sys

COMPOUND_TAIL = 16  # a kpageflags bit: the page belongs to the folio that starts before it


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 256 << 20
    fd = os.open(path, os.O_RDONLY)
    size = min(os.fstat(fd).st_size, limit) // 4096 * 4096
    done = 0
    while done < size:
        chunk = os.read(fd, min(1 << 20, size - done))
        if not chunk:
            break
        done += len(chunk)
    mm = mmap.mmap(fd, size, access=mmap.ACCESS_COPY)
    base = ctypes.addressof(ctypes.c_char.from_buffer(mm)) // 4096
    for off in range(0, size, 4096):
        mm[off]  # fault the page in: pagemap shows only mapped pages
    sizes = collections.Counter()
    present = run = 0
    with open("/proc/self/pagemap", "rb") as pm, open("/proc/kpageflags", "rb") as kf:
        for i in range(size // 4096):
            pm.seek((base + i) * 8)
            entry, = struct.unpack("<Q", pm.read(8))
            if not entry >> 63:
                continue
            present += 1
            kf.seek((entry & ((1 << 55) - 1)) * 8)
            flags, = struct.unpack("<Q", kf.read(8))
            if flags >> COMPOUND_TAIL & 1:
                run += 1
                continue
            if run:
                sizes[run] += run
            run = 1
        if run:
            sizes[run] += run
    mm.close()
    os.close(fd)
    print(f"{path}: {present} of {size // 4096} pages present; pages in folios of N pages: "
          + ", ".join(f"{n}: {pages}" for n, pages in sorted(sizes.items())))


if __name__ == "__main__":
    main()
