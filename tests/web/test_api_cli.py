"""`bmdcheck serve` on the command line: refusals (one line, exit 2), a real server on loopback that
prints its URL, answers with the token, and stops cleanly; the ledger read-only; the missile catalogue."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from bmdcheck.web.app import CESIUM_DIR, Settings, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args,words", [
    (["--host", "0.0.0.0"], ["not a loopback address", "--token"]),
    (["--host", "192.168.77.1"], ["not a loopback address"]),
    (["--port", "0"], ["--port"]),
    (["--port", "70000"], ["--port"]),
    (["--token", "short"], ["at least 8"]),
    (["--ledger", "/nonexistent/ledger.db"], ["ledger not found"]),
    (["--dask", "local:x"], ["--dask"]),
])
def test_serve_refusals_are_one_line_exit_2(cli, args, words):
    code, out, err = cli("serve", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err


def test_serve_refuses_a_state_dir_that_is_a_file(cli, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    code, _, err = cli("serve", "--state-dir", f)
    assert code == 2 and "not a directory" in err and f.read_text() == "x"


def test_serve_refuses_a_port_in_use(cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        code, _, err = cli("serve", "--port", s.getsockname()[1])
    assert code == 2 and "cannot serve on 127.0.0.1" in err


def test_serve_for_real_prints_its_url_and_stops_cleanly(tmp_path):
    port, token = free_port(), "tok-" + "x" * 20
    env = {**os.environ, "BMDCHECK_TOKEN": token}
    p = subprocess.Popen([sys.executable, "-m", "bmdcheck.cli", "serve", "--port", str(port), "--state-dir",
                          str(tmp_path / "st")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        assert f"http://127.0.0.1:{port}/#token={token}" in line
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                r = httpx.get(f"{base}/api/health", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.json() == {"status": "ok"}
        assert httpx.get(f"{base}/api/health").status_code == 401
        assert httpx.get(f"{base}/").status_code == 200
        cesium = httpx.get(f"{base}/cesium/Cesium.js")
        assert cesium.status_code == (200 if (CESIUM_DIR / "Cesium.js").is_file() else 404)
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert ("make web-assets" in err) == (not (CESIUM_DIR / "Cesium.js").is_file())
    assert "Traceback" not in err


def test_ledger_entries_read_only(tmp_path):
    from bmdcheck import ledger as L

    L.generate_key("alice", tmp_path / "a.key", "pass phrase here", log2n=10)
    led = L.init_ledger(tmp_path / "l.db")
    led.declare(L.load_signing_key(tmp_path / "a.key", "pass phrase here"), {"name": "declared-thing", "x": 1},
                verdict="PASS", results_hash="ab" * 32)
    before = (tmp_path / "l.db").read_bytes()
    with TestClient(create_app(Settings(state_dir=tmp_path / "st", ledger=tmp_path / "l.db"))) as c:
        rows = c.get("/api/ledger/entries").json()
    assert [r["seq"] for r in rows] == [1] and rows[0]["party"] == "alice" and rows[0]["verdict"] == "PASS"
    assert rows[0]["document"] == {"name": "declared-thing", "x": 1}
    assert (tmp_path / "l.db").read_bytes() == before


def test_missile_catalogue_is_what_the_cli_prints(cli, tmp_path):
    code, out, _ = cli("missiles", "--json")
    with TestClient(create_app(Settings(state_dir=tmp_path))) as c:
        assert c.get("/api/catalogue/missiles").json() == json.loads(out)


def test_cli_start_up_does_not_import_the_web_stack():
    out = subprocess.run([sys.executable, "-c", "import sys, bmdcheck.cli.main; "
                          "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
                          "('fastapi', 'uvicorn', 'starlette', 'httpx'))))"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == []
