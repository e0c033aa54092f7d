"""Summary-only runs stream in chunks: peak memory is set by the chunk, not by N."""

import json
import subprocess
import sys


def test_streaming_memory_bounded():
    p = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "bench", "stream", "--n", "40000", "--chunk", "10000",
                        "--json"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["n"] == 40000
    assert d["peak_rss_mb"] < 2048
    assert 1000 < d["median_range_km"] < 15000


def test_peak_rss_is_the_bench_process_own_not_its_parents():
    """A bench started by a big process (a test worker) reports its own peak: ru_maxrss would carry
    the parent's 600 MB across exec (Linux), VmHWM does not."""
    import numpy as np

    big = np.ones(600 * 2**20 // 8)  # 600 MB resident in this (parent) process
    p = subprocess.run([sys.executable, "-c", "from bmdcheck.bench import _peak_rss_mb; print(_peak_rss_mb())"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert 5 < float(p.stdout) < 400, p.stdout
    assert big[-1] == 1.0
