"""The Content-Security-Policy lets CesiumJS run, and nothing more: a minimal page of our own (not the
control-room page) builds a Cesium Viewer with the bundled imagery and loads a job's CZML under the
server's headers in Debian's Chromium; no policy violation, no request off 127.0.0.1. Each source
the policy adds for Cesium is then left out in turn, and the page must break: the policy is no wider
than Cesium needs.

Skipped when Playwright, /usr/bin/chromium or the vendored Cesium (``make web-assets``) is missing.
"""

import socket
import threading
import time
from pathlib import Path

import pytest
from api_helpers import ENGAGE

import bmdcheck.web.security as S
from bmdcheck.web.app import CESIUM_DIR, Settings, create_app

sync_api = pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists() or not (CESIUM_DIR / "Cesium.js").is_file():
    pytest.skip("needs /usr/bin/chromium and the vendored Cesium (make web-assets)", allow_module_level=True)

CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<link rel="stylesheet" href="/cesium/Widgets/widgets.css">
<script src="/static/boot.js"></script><script src="/cesium/Cesium.js"></script>
<script src="/static/t.js" defer></script></head>
<body style="margin:0"><div id="c" style="width:800px;height:500px"></div></body></html>"""
BOOT = 'window.CESIUM_BASE_URL = "/cesium/";'
SCRIPT = """(async () => {
  try {
    Cesium.Ion.defaultAccessToken = "";
    const imagery = await Cesium.TileMapServiceImageryProvider.fromUrl(
      Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"));
    const viewer = new Cesium.Viewer("c", { baseLayer: new Cesium.ImageryLayer(imagery), baseLayerPicker: false,
      geocoder: false, homeButton: false, sceneModePicker: false, navigationHelpButton: false,
      terrainProvider: new Cesium.EllipsoidTerrainProvider() });
    const job = new URLSearchParams(location.search).get("job");
    const ds = await Cesium.CzmlDataSource.load(`/api/jobs/${job}/result?format=czml`);
    await viewer.dataSources.add(ds);
    viewer.clock.shouldAnimate = true;
    window.entities = ds.entities.values.length;
    document.title = "ready";
  } catch (e) { document.title = "error: " + e; }
})();"""

CESIUM_NEEDS = [  # what the policy adds for Cesium; without each, the page must break
    ("script-src 'self' 'unsafe-eval' blob:", "script-src 'self' blob:"),
    ("script-src 'self' 'unsafe-eval' blob:", "script-src 'self' 'unsafe-eval'"),
    ("worker-src 'self' blob:", "worker-src 'self'"),
    ("style-src 'self' 'unsafe-inline'", "style-src 'self'"),
    ("img-src 'self' data:", "img-src 'self'"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    static = tmp_path_factory.mktemp("static")
    (static / "index.html").write_text(PAGE)
    (static / "boot.js").write_text(BOOT)
    (static / "t.js").write_text(SCRIPT)
    import uvicorn

    app = create_app(Settings(state_dir=tmp_path_factory.mktemp("state"), static_dir=static))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    import httpx

    base = f"http://127.0.0.1:{port}"
    up = httpx.post(f"{base}/api/uploads?kind=scenario", content=ENGAGE, headers={"content-type": "text/plain"})
    jid = httpx.post(f"{base}/api/jobs", json={"kind": "assess", "scenario": up.json()["id"], "tiers": ["cue"]},
                     timeout=300).json()["id"]
    for _ in range(9000):
        if httpx.get(f"{base}/api/jobs/{jid}").json()["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    yield base, jid
    srv.should_exit = True
    th.join(30)


def _open(base: str, jid: str) -> dict:
    seen = {"violations": [], "errors": [], "requests": []}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.add_init_script("document.addEventListener('securitypolicyviolation', "
                             "e => console.error('CSP violation: ' + e.violatedDirective))")
        page.goto(f"{base}/?job={jid}")
        try:
            page.wait_for_function("document.title !== 'csp'", timeout=60_000)
        except sync_api.TimeoutError:
            pass
        page.wait_for_timeout(3000)               # imagery tiles and workers after the first frame
        seen["title"] = page.title()
        seen["entities"] = page.evaluate("window.entities || 0")
        browser.close()
    seen["violations"] = [e for e in seen["errors"] if "Content Security Policy" in e or "CSP violation" in e]
    return seen


def test_cesium_runs_under_the_policy_and_stays_on_loopback(server):
    base, jid = server
    seen = _open(base, jid)
    assert seen["title"] == "ready", seen["errors"][:5]
    assert seen["entities"] >= 4                          # threat, interceptor, sites, intercept point
    assert seen["violations"] == [] and seen["errors"] == []
    off = [u for u in seen["requests"] if not u.startswith(base) and not u.startswith(("data:", "blob:"))]
    assert off == []


@pytest.mark.parametrize("full,narrower", CESIUM_NEEDS)
def test_each_source_the_policy_adds_is_needed(server, monkeypatch, full, narrower):
    base, jid = server
    assert full in S.CSP
    monkeypatch.setitem(S.HEADERS, "Content-Security-Policy", S.CSP.replace(full, narrower))
    seen = _open(base, jid)
    # refused by the policy, or broken inside Cesium (a worker that cannot import its code)
    assert seen["violations"] or seen["errors"] or seen["title"] != "ready", narrower
