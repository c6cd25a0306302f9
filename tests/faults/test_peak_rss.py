"""The fault tests' memory measure (tests/support/peak_rss.py) reports the command's own peak,
not the size of the pytest worker that started it (CI failed four hostile-archive tests at
"1,012 MB": the worker's size, carried into every child by fork and exec)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import peak_rss

HOLD = 'import sys; b = bytearray(int(sys.argv[1]) << 20); b[::4096] = b"\\1" * len(b[::4096])'


def test_a_large_parent_does_not_count_and_the_child_does():
    ballast = bytearray(600 << 20)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # 600 MB resident in this worker
    small = peak_rss.run([sys.executable, "-c", "pass"])
    large = peak_rss.run([sys.executable, "-c", HOLD, "300"])
    del ballast
    assert small.returncode == 0 and small.rss_mb < 100, small
    assert large.returncode == 0 and 300 < large.rss_mb < 400, large
    assert large.cpu > 0 and large.wall >= large.cpu / 2


def test_exit_code_file_limit_and_timeout(tmp_path):
    failed = peak_rss.run([sys.executable, "-c", "raise SystemExit(3)"])
    assert failed.returncode == 3
    big = tmp_path / "big"
    capped = peak_rss.run(
        [sys.executable, "-c", f"open({str(big)!r}, 'wb').write(bytes(2 << 20))"],
        fsize=1 << 20,
        stderr=subprocess.DEVNULL,
    )
    assert capped.returncode != 0 and big.stat().st_size <= 1 << 20
    slow = peak_rss.run([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
    assert slow.returncode == -9 and slow.wall < 10
