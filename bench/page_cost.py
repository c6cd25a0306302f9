"""What writing a file costs on this machine: fresh memory against memory just freed.

A render writes ~1.5 GB into the page cache (the spooled bands, the products' raw pixels and
overviews, the COGs); the decode it is compared with writes nothing. On a virtual machine
whose host reclaims the guest's free memory (virtio-balloon free page reporting), the first
touch of a page the guest freed a few seconds ago costs a fault in the host, charged to the
writing process as system time. This script writes ``--size`` MB into a new file in
``--folder`` (default: the system's temporary folder, where renders spool), deletes it,
and does it again at once (the freed pages are still backed), ``--repeat`` times, after
``--idle`` seconds of rest before each first write. It prints the CPU seconds per GB of each.

Usage: ``python bench/page_cost.py [--size MB] [--repeat N] [--idle S] [--folder DIR]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def write_once(folder: str, size: int, chunk: bytes) -> float:
    """CPU seconds to write ``size`` bytes into a new file of ``folder`` (then deleted)."""
    fd, path = tempfile.mkstemp(dir=folder, prefix="page-cost-")
    try:
        start = _cpu()
        for offset in range(0, size, len(chunk)):
            os.pwrite(fd, chunk, offset)
        return _cpu() - start
    finally:
        os.close(fd)
        os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="MB per write (1024)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="rest before a first write")
    parser.add_argument("--folder", default=tempfile.gettempdir())
    args = parser.parse_args()
    size = args.size << 20
    chunk = os.urandom(8 << 20)
    gb = size / (1 << 30)
    for n in range(args.repeat):
        time.sleep(args.idle)
        fresh = write_once(args.folder, size, chunk)
        recycled = write_once(args.folder, size, chunk)
        print(
            f"run {n + 1}: after {args.idle:g} s idle {fresh / gb:.2f} CPU-s/GB, "
            f"at once again {recycled / gb:.2f} CPU-s/GB",
            flush=True,
        )


if __name__ == "__main__":
    main()
