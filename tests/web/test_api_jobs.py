"""Control-room jobs end to end: assess, verify and compare run in the engine, results in JSON, Parquet
and CZML, cached by content hash; cancelling and shutting down stop the job's processes."""

import io
import json
import os
import time

import pyarrow.parquet as pq
import pytest
from api_helpers import ENGAGE, RULES_FAIL, TINY, post_toml, wait_job
from fastapi.testclient import TestClient

from bmdcheck.web.app import Settings, create_app
from bmdcheck.web.scenes import MAX_INTERCEPTS, MAX_TRACKS

LONG = {"kind": "assess", "scenario": "epaa-2024"}     # minutes of work: long enough to stop half-way


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return tmp_path_factory.mktemp("jobs-state")


@pytest.fixture(scope="module")
def client(state):
    with TestClient(create_app(Settings(state_dir=state))) as c:
        yield c


@pytest.fixture(scope="module")
def assessed(client):
    up = post_toml(client, "scenario", TINY).json()
    r = client.post("/api/jobs", json={"kind": "assess", "scenario": up["id"]})
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running", "done")
    return r.json()["id"], wait_job(client, r.json()["id"])


def test_assess_job_runs_and_summarises_per_tier(assessed):
    jid, d = assessed
    assert d["status"] == "done", d["message"]
    assert d["progress"] == 1.0 and d["kind"] == "assess" and d["verdicts"] == []
    assert d["summary"]["tiers"] == {"cue": {"trajectories": 2, "flown": 2, "engageable": 0,
                                             "fraction_engageable": 0.0}}
    assert d["epoch"].startswith("20")


def test_assess_results_in_three_formats(client, assessed, cli, tmp_path):
    jid, d = assessed
    doc = client.get(f"/api/jobs/{jid}/result?format=json").json()
    assert doc["kind"] == "assess" and doc["summary"] == d["summary"]
    assert doc["provenance"]["scenario"] == post_toml(client, "scenario", TINY).json()["id"]   # no server path
    pq_bytes = client.get(f"/api/jobs/{jid}/result?format=parquet")
    assert pq_bytes.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(pq_bytes.content))
    assert table.num_rows == doc["provenance"]["rows"] == 2          # 2 cases x 1 site x 1 draw x 1 tier
    # the same scenario through the command line gives the same rows (the results hash)
    f = tmp_path / "tiny.toml"
    f.write_text(TINY)
    code, out, _ = cli("assess", f, "--out", tmp_path / "out", "--json")
    assert code == 0 and json.loads(out)["provenance"]["results_hash"] == doc["provenance"]["results_hash"]
    czml = client.get(f"/api/jobs/{jid}/result?format=czml")
    packets = czml.json()
    assert packets[0]["id"] == "document"
    tracks = [p for p in packets if p.get("properties", {}).get("kind") == "threat"]
    assert len(tracks) == 2 and all(len(p["position"]["cartesian"]) % 4 == 0 for p in tracks)
    assert any(p["id"] == "site-far" for p in packets)
    # Cesium's CZML reader fails on a null property value: a site without a radar has no "radar"
    assert all(v is not None for p in packets for v in p.get("properties", {}).values())
    assert "radar" not in next(p for p in packets if p["id"] == "site-far")["properties"]
    assert client.get(f"/api/jobs/{jid}/result?format=czml&tier=cue").json() == packets    # the only tier


def test_same_inputs_same_job_and_cached_result(client, assessed, state):
    jid, _ = assessed
    before = sorted(os.listdir(state / "jobs"))
    up = post_toml(client, "scenario", TINY).json()
    r = client.post("/api/jobs", json={"kind": "assess", "scenario": up["id"], "tiers": ["cue"]})
    assert r.status_code == 202 and r.json() == {"id": jid, "status": "done"}   # tiers as declared: same content
    assert sorted(os.listdir(state / "jobs")) == before


def test_verify_job_gives_counterexamples_with_places(client):
    sc = post_toml(client, "scenario", ENGAGE).json()["id"]
    ru = post_toml(client, "rules", RULES_FAIL).json()["id"]
    r = client.post("/api/jobs", json={"kind": "verify", "scenario": sc, "rules": ru, "tiers": ["cue"]})
    assert r.status_code == 202
    d = wait_job(client, r.json()["id"])
    assert d["status"] == "done", d["message"]
    assert d["summary"]["verdict"] == "FAIL" and d["summary"]["counts"] == {"PASS": 0, "FAIL": 1}
    (v,) = d["verdicts"]
    assert v["id"] == "near-cannot-engage" and v["verdict"] == "FAIL" and v["tier"] == "cue"
    assert v["site"] == "under-track" and (v["site_lat"], v["site_lon"]) == (63.0, 0.0)
    ce = v["counterexample"]
    for k in ("intercept_lat", "intercept_lon", "intercept_alt_km"):
        assert v[k] == ce[k] and v[k] is not None
    assert -90 <= v["intercept_lat"] <= 90 and 0 < v["intercept_alt_km"] < 2000
    # the verdict document is the one `bmdcheck verify --json` writes (same results hash)
    doc = client.get(f"/api/jobs/{r.json()['id']}/result?format=json").json()
    assert doc["results_hash"] == d["summary"]["results_hash"] and doc["verdict"] == "FAIL"
    assert doc["scenario"]["path"] == sc                      # names and ids, never server paths
    czml = client.get(f"/api/jobs/{r.json()['id']}/result?format=czml").json()
    marks = [p for p in czml if p.get("properties", {}).get("kind") == "intercept"]
    assert len(marks) == 1 and marks[0]["position"]["cartographicDegrees"][1] == pytest.approx(v["intercept_lat"])
    assert all(x is not None for p in czml for x in p.get("properties", {}).values())
    assert client.get(f"/api/jobs/{r.json()['id']}/result?format=parquet").status_code == 404


def test_compare_job(client):
    moved = TINY.replace('name = "web-tiny"', 'name = "web-tiny-b"')
    b = post_toml(client, "scenario", moved).json()["id"]
    a = post_toml(client, "scenario", TINY).json()["id"]
    r = client.post("/api/jobs", json={"kind": "compare", "scenario": a, "other": b})
    d = wait_job(client, r.json()["id"])
    assert d["status"] == "done", d["message"]
    assert d["summary"]["tiers"]["cue"]["a"]["trajectories"] == d["summary"]["tiers"]["cue"]["b"]["trajectories"] == 2
    (row,) = d["summary"]["rows"]
    assert row["change"] == 0.0 and row["tier"] == "cue"
    for which in ("a", "b"):
        assert client.get(f"/api/jobs/{r.json()['id']}/result?format=czml&which={which}").status_code == 200
        assert client.get(f"/api/jobs/{r.json()['id']}/result?format=parquet&which={which}").status_code == 200


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _running(client, body):
    jid = client.post("/api/jobs", json=body).json()["id"]
    for _ in range(3000):
        d = client.get(f"/api/jobs/{jid}").json()
        if d["status"] == "running":
            break
        time.sleep(0.1)
    assert d["status"] == "running", d
    return jid


def test_result_before_done_is_409_and_cancel_stops_the_process(client):
    jid = _running(client, LONG)
    r = client.get(f"/api/jobs/{jid}/result?format=json")
    assert r.status_code == 409 and "running" in r.json()["detail"]
    pid = client.app.state.jobs().jobs[jid].proc.pid
    d = client.delete(f"/api/jobs/{jid}").json()
    d = wait_job(client, jid, timeout_s=30)
    assert d["status"] == "failed" and d["message"] == "cancelled"
    assert not _pid_alive(pid)


def test_shutdown_stops_running_jobs_and_restart_keeps_finished_ones(tmp_path):
    with TestClient(create_app(Settings(state_dir=tmp_path))) as c:
        up = post_toml(c, "scenario", TINY).json()["id"]
        done = c.post("/api/jobs", json={"kind": "assess", "scenario": up}).json()["id"]
        assert wait_job(c, done)["status"] == "done"
        jid = _running(c, LONG)
        pid = c.app.state.jobs().jobs[jid].proc.pid
    assert not _pid_alive(pid)                                   # the server's exit ended the job's processes
    with TestClient(create_app(Settings(state_dir=tmp_path))) as c:
        d = c.get(f"/api/jobs/{jid}").json()
        assert d["status"] == "failed" and "interrupted" in d["message"]
        again = c.post("/api/jobs", json={"kind": "assess", "scenario": up}).json()
        assert again == {"id": done, "status": "done"}            # served from the state directory
        assert c.get(f"/api/jobs/{done}/result?format=czml").status_code == 200
        c.delete(f"/api/jobs/{jid}")


def test_scene_limits_keep_the_globe_animatable():
    assert MAX_TRACKS + MAX_INTERCEPTS + 10 < 1000


def test_the_job_id_is_the_content_not_the_name(client):
    # an upload that only includes a shipped scenario resolves to the same scenario: the same job
    up = post_toml(client, "scenario", 'include = ["teaching-single-site"]\n').json()["id"]
    body = {"kind": "assess", "draws": 1, "tiers": ["cue"]}
    a = client.post("/api/jobs", json={**body, "scenario": "teaching-single-site"}).json()["id"]
    b = client.post("/api/jobs", json={**body, "scenario": up}).json()["id"]
    c = client.post("/api/jobs", json={**body, "scenario": up, "draws": 2}).json()["id"]
    client.delete(f"/api/jobs/{a}")
    client.delete(f"/api/jobs/{c}")
    assert a == b and c != a


def test_jobs_run_on_dask_when_configured(assessed, tmp_path):
    # the same inputs on a Dask LocalCluster (serve --dask local:1) give the same results hash
    _, local = assessed
    with TestClient(create_app(Settings(state_dir=tmp_path, dask="local:1"))) as c:
        up = post_toml(c, "scenario", TINY).json()["id"]
        d = wait_job(c, c.post("/api/jobs", json={"kind": "assess", "scenario": up}).json()["id"])
        assert d["status"] == "done", d["message"]
        doc = c.get(f"/api/jobs/{d['id']}/result?format=json").json()
    assert doc["provenance"]["dask"] is True
    assert d["summary"]["results_hash"] == local["summary"]["results_hash"]


def test_an_assessment_over_several_tiers_has_a_scene_per_tier(client):
    # the GBI ship under the track engages on the early-warning cue, never with a radar of its own
    sc = post_toml(client, "scenario", ENGAGE).json()["id"]
    jid = client.post("/api/jobs", json={"kind": "assess", "scenario": sc, "tiers": ["local", "cue"]}).json()["id"]
    d = wait_job(client, jid)
    assert d["status"] == "done", d["message"]
    t = d["summary"]["tiers"]
    assert t["cue"]["engageable"] == 1 and t["local"]["engageable"] == 0
    ct = d["summary"]["czml_tiers"]
    assert set(ct) == {"local", "cue"} and ct["cue"]["tier"] == "cue"
    assert d["summary"]["czml"]["tier"] == "cue"               # early-warning-only mode: the cue tier by default

    def intercepts(q):
        r = client.get(f"/api/jobs/{jid}/result?format=czml{q}")
        assert r.status_code == 200
        return [p for p in r.json() if p.get("properties", {}).get("kind") == "intercept"]
    assert len(intercepts("&tier=cue")) == ct["cue"]["intercepts_shown"] >= 1
    assert intercepts("&tier=local") == []
    assert len(intercepts("")) == len(intercepts("&tier=cue"))
    r = client.get(f"/api/jobs/{jid}/result?format=czml&tier=remote")
    assert r.status_code == 404 and "local, cue" in r.json()["detail"]
