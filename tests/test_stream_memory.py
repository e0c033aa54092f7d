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
