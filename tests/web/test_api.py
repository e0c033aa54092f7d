"""The control-room API without running jobs: health, headers, token, catalogue, scenarios, uploads,
and bad input over HTTP (4xx with one clear line, never a 500, nothing stored changes)."""

import hashlib
import json

import pytest
from api_helpers import ENGAGE, TINY, post_toml, sha256, snapshot
from fastapi.testclient import TestClient

from bmdcheck.web.app import Settings, create_app
from bmdcheck.web.inputs import MAX_UPLOAD_BYTES
from bmdcheck.web.security import HEADERS, check_bind, is_loopback, token_ok

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def client(state):
    with TestClient(create_app(Settings(state_dir=state))) as c:
        yield c


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    with TestClient(create_app(Settings(state_dir=tmp_path_factory.mktemp("locked"), token=TOKEN))) as c:
        yield c


def assert_refused(r, status, *words):
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and "Traceback" not in detail
    for w in words:
        assert w.lower() in detail.lower(), detail


# ---- health, headers, CORS, documentation UI ----------------------------------------------------

def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/health", "/", "/api/jobs/" + "0" * 64, "/openapi.json", "/api/nope"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    for k, v in HEADERS.items():
        assert r.headers.get(k) == v, (path, k)
    csp = r.headers["content-security-policy"]
    assert "http:" not in csp and "https:" not in csp and "*" not in csp   # no other origin, ever


def test_cors_is_closed(client):
    r = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/api/jobs", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code >= 400 and "access-control-allow-origin" not in pre.headers


def test_docs_ui_is_off_and_openapi_lists_the_contract(client):
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    spec = client.get("/openapi.json").json()
    for path in ("/api/health", "/api/catalogue/{kind}", "/api/scenarios", "/api/scenarios/{name}", "/api/uploads",
                 "/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/result", "/api/ledger/entries"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/jobs"]["post"]["responses"].keys() >= {"202", "422", "404"}


# ---- the token ----------------------------------------------------------------------------------

def test_token_is_required_on_every_api_call(locked):
    assert_refused(locked.get("/api/health"), 401, "missing token", "Bearer")
    assert_refused(locked.get("/api/health", headers={"Authorization": "Bearer wrong"}), 401, "wrong token")
    assert_refused(locked.get("/api/health", headers={"Authorization": f"Basic {TOKEN}"}), 401)
    assert_refused(locked.get("/api/nope", headers={"Authorization": "Bearer x"}), 401)   # unknown routes too
    assert locked.get("/api/health").headers["www-authenticate"] == "Bearer"
    assert locked.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).json() == {"status": "ok"}


def test_token_refusal_stores_nothing(locked, tmp_path_factory):
    root = locked.app.state.settings.state_dir
    before = snapshot(root)
    assert locked.post("/api/uploads?kind=scenario", content=TINY.encode(),
                       headers={"content-type": "text/plain", "Authorization": "Bearer nope"}).status_code == 401
    assert locked.post("/api/jobs", json={"kind": "assess", "scenario": "teaching-single-site"}).status_code == 401
    assert snapshot(root) == before


def test_page_and_static_files_need_no_token(locked):
    assert locked.get("/").status_code == 200          # the page reads the token from the URL fragment


def test_token_compare_and_bind_rules():
    assert token_ok(None, None) and token_ok("anything", None)
    assert token_ok("Bearer abc", "abc") and token_ok("bearer abc", "abc")
    assert not token_ok("Bearer abd", "abc") and not token_ok("Bearer ", "abc") and not token_ok("abc", "abc")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
    assert check_bind("0.0.0.0", None) and check_bind("0.0.0.0", "tok") is None and check_bind("127.0.0.1", None) is None


# ---- catalogue and scenarios --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["interceptors", "sites", "sensors"])
def test_catalogue_is_what_the_cli_prints(client, cli, kind):
    code, out, _ = cli(kind, "--json")
    assert code == 0
    assert client.get(f"/api/catalogue/{kind}").json() == json.loads(out)


def test_unknown_catalogue_kind(client):
    assert_refused(client.get("/api/catalogue/tanks"), 422, "kind")


def test_scenario_list_and_summary(client, cli):
    items = client.get("/api/scenarios").json()
    names = {i["name"] for i in items if i["path_kind"] == "shipped"}
    assert {"teaching-single-site", "epaa-phase3", "us-gmd-2013"} <= names
    assert all(i["title"] for i in items)
    d = client.get("/api/scenarios/teaching-single-site").json()
    assert d["name"] == "teaching-single-site" and 'site = "aegis-ashore-redzikowo"' in d["toml"]
    s = d["summary"]
    # places checked against the catalogue listings the CLI prints (an independent path to the same data)
    sites = {r["name"]: r for r in json.loads(cli("sites", "--json")[1])}
    radars = {r["name"]: r for r in json.loads(cli("sensors", "--json")[1]) if r["kind"] == "radar"}
    (site,) = s["sites"]
    assert site["name"] == "aegis-ashore-redzikowo"
    assert (site["lat"], site["lon"]) == (sites[site["name"]]["lat"], sites[site["name"]]["lon"])
    assert site["interceptors"] == {"sm-3-iia": 24}
    for r in s["radars"]:
        assert r["range_km"] == radars[r["name"]]["range_km"]
        ring = r["coverage_ring"]
        assert len(ring) > 10 and ring[0] == ring[-1]
    assert s["areas"]["kozelsk"]["points"] == [[54.038, 35.772]]
    assert s["areas"]["washington"]["kind"] == "point"
    assert s["threats"] == [{"missile": "topol-m", "launch": "kozelsk", "aim": "washington", "shapes": ["min-energy"],
                             "launch_times_s": [0.0]}]


def test_rules_list(client):
    names = {i["name"] for i in client.get("/api/rules").json()}
    assert {"speed-caps", "epaa-no-russian-icbm"} <= names


@pytest.mark.parametrize("name", ["nope", "../../etc/passwd", "%2Fetc%2Fpasswd", "0" * 64, "epaa-phase3.toml"])
def test_unknown_scenario_is_404(client, name):
    assert_refused(client.get(f"/api/scenarios/{name}"), 404)


# ---- uploads ------------------------------------------------------------------------------------

def test_upload_is_validated_and_stored_by_content_hash(client, state):
    r = post_toml(client, "scenario", TINY)
    assert r.status_code == 201, r.text
    assert r.json() == {"id": sha256(TINY), "kind": "scenario", "name": "web-tiny"}
    before = snapshot(state)
    again = post_toml(client, "scenario", TINY, ctype="text/plain; charset=utf-8")
    assert again.json()["id"] == sha256(TINY) and snapshot(state) == before      # same bytes: same id, no write
    listed = [i for i in client.get("/api/scenarios").json() if i["path_kind"] == "upload"]
    assert {"name": sha256(TINY), "title": "web-tiny", "path_kind": "upload"} in listed
    d = client.get(f"/api/scenarios/{sha256(TINY)}").json()
    assert d["toml"] == TINY and d["summary"]["sites"][0]["name"] == "far"


def test_upload_may_include_shipped_scenarios(client):
    text = 'include = ["epaa-phase3.toml"]\nname = "p3-copy"\n'
    r = post_toml(client, "scenario", text)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "p3-copy"
    s = client.get(f"/api/scenarios/{r.json()['id']}").json()["summary"]
    p3 = client.get("/api/scenarios/epaa-phase3").json()["summary"]
    assert s["sites"] == p3["sites"] and s["threat_cases"] == p3["threat_cases"]


def test_rules_upload(client):
    r = post_toml(client, "rules", 'name = "mini"\n[[rule]]\nid = "cap"\nkind = "burnout-speed"\n'
                                   'statement = "cap"\nparty = "p"\ninterceptors = ["sm-3-iia"]\nmax_mps = 5500.0\n'
                                   '[parties.p]\ncatalogue_party = ["US"]\n')
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "rules" and r.json()["name"] == "mini"


BAD_UPLOADS = [
    ("scenario", "name = \n", 422, ["upload:1: invalid TOML"]),                         # syntax, named "upload"
    ("scenario", TINY.replace('"topol-m"', '"topol-x"'), 422, ["missile", "topol-x"]),  # schema: unknown missile
    ("scenario", TINY.replace("lat_deg = -60.0", "lat_deg = -99.0"), 422, ["lat_deg"]),
    ("scenario", 'include = ["/etc/passwd"]\n' + TINY, 422, ["include", "shipped"]),    # no server paths, ever
    ("scenario", 'include = ["../../../../etc/hosts"]\n' + TINY, 422, ["include", ".."]),
    ("scenario", 'include = ["common/../../rules/speed-caps.toml"]\n' + TINY, 422, ["include"]),
    ("scenario", "", 422, []),
    ("rules", "[[rule]]\nid = 3\n", 422, ["rule"]),
]


@pytest.mark.parametrize("kind,text,status,words", BAD_UPLOADS)
def test_bad_upload_is_refused_and_nothing_changes(client, state, kind, text, status, words):
    before = snapshot(state)
    assert_refused(post_toml(client, kind, text), status, *words)
    assert snapshot(state) == before


def test_oversized_upload_is_413_and_nothing_changes(client, state):
    before = snapshot(state)
    big = TINY + "#" * (MAX_UPLOAD_BYTES + 1)
    assert_refused(post_toml(client, "scenario", big), 413, "too large", f"{MAX_UPLOAD_BYTES:,}")

    def chunks():          # no content-length: the limit holds while the body streams in
        for _ in range(300):
            yield b"#" * 1024
    r = client.post("/api/uploads?kind=scenario", content=chunks(), headers={"content-type": "text/plain"})
    assert_refused(r, 413, "too large")
    assert snapshot(state) == before


@pytest.mark.parametrize("headers,body,status", [
    ({"content-type": "application/json"}, b'{"a": 1}', 415),
    ({}, TINY.encode(), 415),
    ({"content-type": "text/plain"}, b"name = \"\xff\xfe\"\n", 422),
    ({"content-type": "text/plain"}, b"name = \"a\x00b\"\n", 422),
])
def test_upload_content_checks(client, state, headers, body, status):
    before = snapshot(state)
    r = client.post("/api/uploads?kind=scenario", content=body, headers=headers)
    assert_refused(r, status)
    assert snapshot(state) == before


def test_a_full_upload_store_is_429_and_nothing_changes(client, state, monkeypatch):
    import bmdcheck.web.inputs as I

    monkeypatch.setattr(I, "MAX_UPLOADS", 0)
    before = snapshot(state)
    assert_refused(post_toml(client, "scenario", TINY.replace("web-tiny", "web-tiny-full")), 429, "at most 0")
    assert snapshot(state) == before
    assert post_toml(client, "scenario", TINY).status_code == 201      # a stored upload is still found by content


@pytest.mark.parametrize("query", ["", "?kind=toml", "?kind=../x"])
def test_upload_kind_is_checked(client, state, query):
    before = snapshot(state)
    r = client.post(f"/api/uploads{query}", content=TINY.encode(), headers={"content-type": "text/plain"})
    assert_refused(r, 422, "kind")
    assert snapshot(state) == before


# ---- refused jobs and unknown ids ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/jobs/" + "a" * 64, "/api/jobs/" + "a" * 64 + "/result",
                                  "/api/jobs/not-an-id", "/api/jobs/../../etc/passwd/result"])
def test_unknown_job_is_404(client, path):
    assert client.get(path).status_code == 404
    assert "detail" in client.get(path).json()


def test_cancel_unknown_job_is_404(client):
    assert_refused(client.delete("/api/jobs/" + "b" * 64), 404, "no job")


BAD_JOBS = [
    ({"kind": "assess", "scenario": "no-such-scenario"}, 404, ["no-such-scenario", "shipped"]),
    ({"kind": "assess", "scenario": "/etc/passwd"}, 404, ["neither"]),
    ({"kind": "assess", "scenario": "c" * 64}, 404, ["upload"]),
    ({"kind": "verify", "scenario": "teaching-single-site"}, 422, ["rules"]),
    ({"kind": "verify", "scenario": "teaching-single-site", "rules": "nope"}, 404, ["rules"]),
    ({"kind": "compare", "scenario": "teaching-single-site"}, 422, ["other"]),
    ({"kind": "assess", "scenario": "teaching-single-site", "rules": "speed-caps"}, 422, ["verify"]),
    ({"kind": "assess", "scenario": "teaching-single-site", "path": "/tmp/x"}, 422, ["path"]),     # extra field
    ({"kind": "fly", "scenario": "teaching-single-site"}, 422, ["kind"]),
    ({"kind": "assess", "scenario": "teaching-single-site", "tiers": ["orbit"]}, 422, ["tiers"]),
    ({"kind": "assess", "scenario": "teaching-single-site", "tiers": []}, 422, ["tiers"]),
    ({"kind": "assess", "scenario": "teaching-single-site", "draws": 0}, 422, ["draws"]),
    ({"kind": "assess", "scenario": "teaching-single-site", "draws": 10**6}, 422, ["draws"]),
    ({"kind": "assess"}, 422, ["scenario"]),
]


@pytest.mark.parametrize("body,status,words", BAD_JOBS)
def test_bad_job_is_refused_and_nothing_changes(client, state, body, status, words):
    before = snapshot(state)
    assert_refused(client.post("/api/jobs", json=body), status, *words)
    assert snapshot(state) == before


def test_too_many_waiting_jobs_is_429_and_nothing_changes(client, state, monkeypatch):
    import bmdcheck.web.jobs as J

    monkeypatch.setattr(J, "MAX_WAITING", 0)
    before = snapshot(state)
    r = client.post("/api/jobs", json={"kind": "assess", "scenario": "teaching-single-site"})
    assert_refused(r, 429, "queued or running")
    assert r.headers["retry-after"] == "10"
    assert snapshot(state) == before


def test_job_body_must_be_json(client, state):
    before = snapshot(state)
    assert client.post("/api/jobs", content=b"kind=assess", headers={"content-type": "text/plain"}).status_code == 422
    assert_refused(client.post("/api/jobs", content=b"{", headers={"content-type": "application/json"}), 422,
                   "not valid JSON")
    assert snapshot(state) == before


def test_a_scenario_the_engine_refuses_is_422_before_anything_is_stored(client, state):
    # valid for the schema, refused by the engine's plan: a draw that scales an SM-3 IIA past any booster
    text = ENGAGE.replace('name = "web-engage"', 'name = "web-too-fast"') + (
        '\n[uncertainty]\ndraws = 3\nburnout_speed_scale = { dist = "uniform", low = 1.0, high = 4.0 }\n')
    up = post_toml(client, "scenario", text)
    assert up.status_code == 201, up.text
    before = snapshot(state)
    assert_refused(client.post("/api/jobs", json={"kind": "assess", "scenario": up.json()["id"]}), 422,
                   "burnout_speed_scale")
    assert snapshot(state) == before


def test_ledger_without_a_ledger_is_empty(client):
    assert client.get("/api/ledger/entries").json() == []


def test_job_ids_are_content_hashes():
    from bmdcheck.web.jobs import job_key

    a = job_key("assess", "0" * 64, None, None)
    assert a == job_key("assess", "0" * 64, None, None) and len(a) == 64
    assert a != job_key("verify", "0" * 64, None, None) and a != job_key("assess", "1" * 64, None, None)
    assert int(hashlib.sha256(b"x").hexdigest(), 16) >= 0
