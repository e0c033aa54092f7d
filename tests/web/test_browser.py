"""The control room in a real browser: Debian's chromium (headless, WebGL through SwiftShader)
driven by Playwright against the real server (`bmdcheck serve` in a subprocess on a random
loopback port, with a token that the page reads from the URL fragment).

The test opens the page, picks a shipped scenario, uploads a rules file, runs, and checks what a
person would look at: the per-tier summary, a FAIL verdict with a counterexample, the threat
trajectories, interceptor fly-outs, intercept points and engagement windows on the globe (entity
counts read from Cesium's data sources), and that clicking the counterexample brings its
intercept point to the middle of the view. Every request the browser makes is recorded: none
may leave 127.0.0.1 (no CDN, no Cesium Ion, no fonts). A screenshot goes to
tests/web/artifacts/ (control-room-overview.png: the salvo; control-room.png: the view after
clicking the counterexample); with BMDCHECK_UPDATE_SCREENSHOT=1 the latter also to
docs/img/control-room.png (the README's picture).

`make test` installs chromium and the CesiumJS assets and sets BMDCHECK_BROWSER_TESTS=required,
so there a missing piece fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "bmdcheck" / "web" / "static"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-default-apps", "--disable-domain-reliability",
                 "--disable-client-side-phishing-detection", "--metrics-recording-only"]
TOKEN = "browser-test-token-1"

# A rule the shipped teaching ship breaks (its SM-3 IIA engages half the salvo on the early-warning
# cue): the run must show FAIL with a counterexample.
RULES = """\
name = "browser-no-ship-engagement"
description = "Browser test: the teaching ship must not engage the Kozelsk -> New York salvo."

[parties.ship]
sites = ["teaching-ship"]

[[rule]]
id = "ship-cannot-engage"
kind = "engagement"
statement = "The teaching ship cannot engage an ICBM from Kozelsk to New York."
party = "ship"
missile_class = "icbm"
launch = "kozelsk"
aim = "new-york"
"""


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"Debian chromium is not installed ({CHROMIUM}; `make test` installs it with apt-get)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (it is in the test extra: pip install -e '.[test]')"
    if not (STATIC / "cesium" / "Cesium.js").is_file():
        return "CesiumJS is not vendored into src/bmdcheck/web/static/cesium/ (run `make web-assets`)"
    return None


@pytest.fixture(scope="module")
def browser_ready():
    why = _missing()
    if why:
        if os.environ.get("BMDCHECK_BROWSER_TESTS") == "required":
            pytest.fail(why)
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(browser_ready, tmp_path_factory):
    """`bmdcheck serve` on 127.0.0.1 with a token; yields its base URL."""
    state = tmp_path_factory.mktemp("serve-state")
    env = dict(os.environ, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")),
               BMDCHECK_PASSPHRASE="browser-test-passphrase")
    code = "import sys; from bmdcheck.cli.main import main; sys.exit(main(sys.argv[1:]))"
    # a ledger with one signed declaration, for the ledger panel
    ledger, key = state / "ledger.db", state / "usa.key"
    scenario = ROOT / "src" / "bmdcheck" / "data" / "scenarios" / "teaching-ship-vs-icbm.toml"
    for args in (["ledger", "init", ledger], ["ledger", "keygen", "--party", "usa", "--out", key],
                 ["ledger", "declare", ledger, scenario, "--key", key]):
        subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, check=True, capture_output=True)
    proc = None
    for _ in range(3):                       # the random port may be taken between probe and bind
        port = _free_port()
        log = open(state / "server.log", "w")
        proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--token", TOKEN, "--state-dir", str(state / "jobs"), "--ledger", str(ledger)],
                                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        t_end = time.monotonic() + 60
        while time.monotonic() < t_end and proc.poll() is None:
            try:
                req = urllib.request.Request(base + "/api/health", headers={"Authorization": f"Bearer {TOKEN}"})
                with urllib.request.urlopen(req, timeout=2) as r:
                    if json.load(r).get("status") == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        if proc.poll() is None:
            break
    else:
        pytest.fail("bmdcheck serve did not start: " + (state / "server.log").read_text()[-2000:])
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser(browser_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _on_globe(page) -> dict:
    """What Cesium holds: entities per kind in the results, windows, marks; the scenario layer."""
    return page.evaluate("""() => {
      const v = window.bmd.viewer, t = v.clock.currentTime, out = {kinds: {}, windows: 0, marks: 0, scenario: 0};
      for (let i = 0; i < v.dataSources.length; i++) {
        const ds = v.dataSources.get(i);
        if (ds.name === 'windows') out.windows = ds.entities.values.length;
        if (ds.name === 'marks') out.marks = ds.entities.values.length;
        if (ds.name === 'scenario') out.scenario = ds.entities.values.length;
        if (ds !== window.bmd.results) continue;
        out.czml = ds.entities.values.length;
        for (const e of ds.entities.values) {
          const k = e.properties && e.properties.kind ? e.properties.kind.getValue(t) : 'other';
          out.kinds[k] = (out.kinds[k] || 0) + 1;
          if (k === 'threat') out.threatSampled = (out.threatSampled || 0) + (e.position instanceof Cesium.SampledPositionProperty ? 1 : 0);
        }
      }
      out.webgl2 = v.scene.context.webgl2;
      out.imagery = v.imageryLayers.length;
      return out;
    }""")


def test_control_room_runs_a_shipped_scenario_offline(server, browser):
    t_start = time.monotonic()
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
    requests, page_errors, console_errors = [], [], []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{server}/#token={TOKEN}")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert page.locator("#health").inner_text() == "server ok"
        # shipped lists came through the token-protected API
        assert page.locator("#scenario option[value='teaching-ship-vs-icbm']").count() == 1
        assert page.locator("#rules option[value='epaa-no-russian-icbm']").count() == 1
        entry = page.locator("#ledger .ledger-entry[data-seq='1']").inner_text()
        assert "declaration" in entry and "teaching-ship-vs-icbm" in entry and "by usa" in entry, entry

        page.select_option("#scenario", "teaching-ship-vs-icbm")
        page.wait_for_function("() => window.bmd.scenarioLayer.entities.values.length >= 4", timeout=30_000)
        page.set_input_files("#upload-rules", files=[{"name": "no-ship.toml", "mimeType": "application/toml",
                                                      "buffer": RULES.encode()}])
        page.wait_for_function("() => document.getElementById('rules').value.length === 64", timeout=30_000)
        page.fill("#draws", "1")                               # nominal draw only: a quick run
        t_run = time.monotonic()
        page.click("#run")
        page.wait_for_function("() => window.bmd.ready === true || document.getElementById('message')"
                               ".classList.contains('error')", timeout=240_000)
        assert page.evaluate("window.bmd.ready"), page.locator("#message").inner_text()
        print(f"page ready {t_run - t_start:.1f} s; assess + verify {time.monotonic() - t_run:.1f} s")
        page.evaluate("window.bmd.viewer.clock.shouldAnimate = false")    # a still globe: no CPU for frames

        # the summary per sensor tier: the ship engages on the cue only (2 of 4 trajectories)
        cue = page.locator("#summary tr[data-tier='cue'] td").nth(1).inner_text()
        assert cue.startswith("2 / 4"), cue
        assert page.locator("#summary tr[data-tier='local'] td").nth(1).inner_text().startswith("0 / 4")
        # the verdict: FAIL, with a counterexample to click
        card = page.locator(".verdict[data-verdict='FAIL']")
        assert card.count() == 1 and "ship-cannot-engage" in card.inner_text()
        assert page.locator(".verdict-total .badge").inner_text() == "FAIL"

        g = _on_globe(page)
        assert g["imagery"] >= 1 and g["scenario"] >= 4
        assert g["kinds"].get("threat") == 4 and g["threatSampled"] == 4, g      # animated trajectories
        assert page.evaluate("window.bmd.globeTier") == "local"               # the scenario's declared mode
        assert g["marks"] >= 1, g                                                  # the counterexample

        # Draw the cue tier (the one that engages) on the globe: click its summary row.
        page.locator("#summary tr[data-tier='cue']").click()
        page.wait_for_function("() => window.bmd.globeTier === 'cue' && !window.bmd.busy", timeout=120_000)
        print(f"cue tier drawn at {time.monotonic() - t_start:.1f} s")
        assert "on-globe" in page.locator("#summary tr[data-tier='cue']").get_attribute("class")
        g = _on_globe(page)
        assert g["kinds"].get("threat") == 4 and g["threatSampled"] == 4, g
        assert g["kinds"].get("interceptor", 0) >= 1, g                            # fly-outs
        assert g["kinds"].get("intercept", 0) >= 1, g
        assert g["windows"] >= 1, g                                                # engagement windows

        # The whole salvo, mid-flight.
        page.evaluate("""() => { const v = window.bmd.viewer, c = v.clock; c.shouldAnimate = false;
            c.currentTime = Cesium.JulianDate.addSeconds(c.startTime, 1500, new Cesium.JulianDate());
            v.camera.setView({destination: Cesium.Cartesian3.fromDegrees(-22, 50, 8.5e6)}); }""")
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "control-room-overview.png"), timeout=120_000)

        # Clicking the counterexample brings its intercept point to the middle of the view.
        page.locator(".cx").first.click()
        page.wait_for_function("() => window.bmd.lastFlight && window.bmd.lastFlight.done", timeout=120_000)
        where = page.evaluate("""() => {
            const v = window.bmd.viewer, f = window.bmd.lastFlight;
            const p = Cesium.Cartesian3.fromDegrees(f.lon, f.lat, f.alt_km * 1e3);
            const w = Cesium.SceneTransforms.worldToWindowCoordinates(v.scene, p);
            const c = v.scene.canvas;
            return {x: w.x / c.clientWidth, y: w.y / c.clientHeight, alt: v.camera.positionCartographic.height / 1e3};
        }""")
        assert abs(where["x"] - 0.5) < 0.1 and abs(where["y"] - 0.5) < 0.1, where
        assert where["alt"] < 5000, where
        _settle(page)
        shot = ARTIFACTS / "control-room.png"
        page.screenshot(path=str(shot), timeout=120_000)
        if os.environ.get("BMDCHECK_UPDATE_SCREENSHOT") == "1":      # 256 colours: ~170 KB, not ~850
            from PIL import Image

            img = Image.open(shot).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                                           dither=Image.Dither.NONE)
            img.save(ROOT / "docs" / "img" / "control-room.png", optimize=True)

        # Two scenarios compared (the early-warning cue tier, nominal draw): the table per tier, then
        # the second one's trajectories on the globe with its own sites.
        page.uncheck("#tiers input[value='local']")
        page.uncheck("#tiers input[value='remote']")
        page.select_option("#cmp-a", "teaching-single-site")
        page.select_option("#cmp-b", "teaching-ship-vs-icbm")
        page.click("#compare")
        page.wait_for_selector("#comparison table tr[data-tier='cue']", timeout=240_000)
        cells = page.locator("#comparison tr[data-tier='cue'] td").all_inner_texts()
        assert cells[1:] == ["0 / 1", "2 / 4", "+2"], cells
        page.locator("#comparison button").nth(1).click()
        page.wait_for_function("() => window.bmd.drawnScenario === 'teaching-ship-vs-icbm' && window.bmd.results"
                               " && window.bmd.results.entities.values.some(e => e.id === 'threat-3')", timeout=60_000)
        print(f"compared at {time.monotonic() - t_start:.1f} s")
    finally:
        ctx.close()

    assert not page_errors, page_errors
    assert not [m for m in console_errors if "Content Security Policy" in m or "Refused" in m], console_errors
    assert requests, "no request recorded"
    off = []
    for url in requests:
        u = urllib.parse.urlsplit(url)
        if u.scheme in ("data", "blob"):
            continue                                           # in-page, never on the network
        if u.scheme not in ("http", "https", "ws", "wss") or u.hostname != "127.0.0.1":
            off.append(url)
    assert not off, f"requests left 127.0.0.1: {off[:10]}"
    assert any("/cesium/Assets/Textures/NaturalEarthII" in r for r in requests)   # the bundled imagery
    assert time.monotonic() - t_start < 480


def _settle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the globe's tiles are loaded (on a loaded machine, SwiftShader and the image
    decoders can take a minute; then go on with what is there) and a few frames have rendered."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => { const s = window.bmd.viewer.scene; s.requestRender(); return s.globe.tilesLoaded; }",
                               timeout=timeout_ms, polling=500)
    except PlaywrightTimeout:
        pass
    page.evaluate("""() => new Promise(res => { let n = 0; const v = window.bmd.viewer;
        const f = () => { v.scene.requestRender(); if (++n >= 4) res(); else requestAnimationFrame(f); };
        requestAnimationFrame(f); })""")
