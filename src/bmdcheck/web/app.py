"""The control room's HTTP API (FastAPI): the engine behind ``bmdcheck serve`` (docs/CONTROL-ROOM.md).

Every answer is JSON (or a file); every bad request a 4xx with ``{"detail": "one line"}``; nothing
stored changes on a refused request. ``create_app(Settings(...))`` builds an independent app (its
own state directory and job worker), so tests can run several side by side.
"""

from __future__ import annotations

import json
import tempfile
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal, Optional

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..catalogues import LISTINGS
from ..scenario.schema import TIERS
from ..errors import BmdcheckError
from . import inputs as I
from .runner import _finite  # NaN/inf -> null, the job runner's JSON rule (Starlette refuses them)
from .security import HEADERS, token_ok

STATIC_DIR = Path(__file__).parent / "static"
CESIUM_DIR = STATIC_DIR / "cesium"
API_PREFIX = "/api"


@dataclass
class Settings:
    """What ``bmdcheck serve`` passes to the app."""

    token: str | None = None
    state_dir: Path | None = None          # default: a fresh temporary directory
    ledger: Path | None = None
    dask: str | None = None
    static_dir: Path = STATIC_DIR
    cesium_dir: Path = CESIUM_DIR
    _tmp: object = field(default=None, repr=False)

    def state(self) -> Path:
        if self.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="bmdcheck-serve-")
            self.state_dir = Path(self._tmp.name)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir


# ---- request and response models (the OpenAPI contract) ------------------------------------------

CatalogueKind = Enum("CatalogueKind", {k: k for k in LISTINGS}, type=str)
"""The catalogue listings (``bmdcheck.catalogues.LISTINGS``)."""


class UploadKind(str, Enum):
    scenario = "scenario"
    rules = "rules"


class ResultFormat(str, Enum):
    json = "json"
    parquet = "parquet"
    czml = "czml"


Tier = Enum("Tier", {t: t for t in TIERS}, type=str)
"""The engagement sensor tiers (``scenario.schema.TIERS``)."""


class JobRequest(BaseModel):
    """A job: ``scenario`` (and ``other``, ``rules``) are shipped names or upload ids, never paths."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["assess", "verify", "compare"]
    scenario: str = Field(min_length=1, max_length=200, description="shipped scenario name or upload id")
    rules: Optional[str] = Field(None, min_length=1, max_length=200,
                                 description="verify: shipped rules name or upload id")
    other: Optional[str] = Field(None, min_length=1, max_length=200,
                                 description="compare: the second scenario (shipped name or upload id)")
    tiers: Optional[list[Tier]] = Field(None, min_length=1, max_length=3,
                                        description="sensor tiers to assess (default: the scenario's)")
    draws: Optional[int] = Field(None, ge=1, le=100_000, description="Monte-Carlo draws (default: the scenario's)")


class Health(BaseModel):
    status: Literal["ok"]


class ScenarioItem(BaseModel):
    name: str
    title: str
    path_kind: Literal["shipped", "upload"]


class ScenarioDoc(BaseModel):
    name: str
    toml: str
    summary: dict


class UploadDoc(BaseModel):
    id: str
    kind: Literal["scenario", "rules"]
    name: str


class JobAccepted(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]


class JobDoc(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0.0, le=1.0)
    message: str
    request: dict
    summary: dict
    verdicts: list[dict]
    created: float
    finished: Optional[float] = None
    epoch: str = Field(description="UTC time of t = 0 in the job's CZML (a fixed label)")


class JobBrief(BaseModel):
    id: str
    kind: str
    status: str
    progress: float
    message: str
    request: dict
    created: float


class Problem(BaseModel):
    detail: str


ERRORS = {k: {"model": Problem} for k in (401, 404, 409, 413, 415, 422)}


def _problem(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": " ".join(str(detail).split())[:2000]}, status_code=status, headers=headers)


# ---- middleware ------------------------------------------------------------------------------------

class Guard:
    """ASGI middleware: security headers on every response; the bearer token on every /api call."""

    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                raw = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message["headers"] = list(message.get("headers", [])) + [h for h in raw if h[0] not in have]
            await send(message)

        path = scope.get("path", "")
        if (path == API_PREFIX or path.startswith(API_PREFIX + "/")) and self.token:
            auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1") or None
            if not token_ok(auth, self.token):
                why = "missing" if auth is None else "wrong"
                resp = _problem(401, f"{why} token: every /api call needs the header 'Authorization: Bearer TOKEN' "
                                     f"(the token bmdcheck serve was started with)",
                                {"WWW-Authenticate": "Bearer"})
                return await resp(scope, receive, send_with_headers)
        return await self.app(scope, receive, send_with_headers)


# ---- the app ---------------------------------------------------------------------------------------

def create_app(settings: Settings | None = None) -> FastAPI:
    """The control-room app (routes: docs/CONTROL-ROOM.md)."""
    from .jobs import Busy, JobManager

    st = settings or Settings()
    state = st.state()
    uploads = I.Uploads(state)
    holder: dict = {}
    lock = threading.Lock()

    def jobs() -> JobManager:
        """The job manager, started on first use (also without a lifespan, e.g. under schemathesis)."""
        with lock:
            if "jobs" not in holder:
                holder["jobs"] = JobManager(state, uploads, st.dask)
            return holder["jobs"]

    @asynccontextmanager
    async def lifespan(app):
        jobs()
        try:
            yield
        finally:
            with lock:
                m = holder.pop("jobs", None)
            if m is not None:
                m.close()

    app = FastAPI(title="bmdcheck control room", version=__version__, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None, lifespan=lifespan,
                  description="The bmdcheck engine over HTTP (docs/CONTROL-ROOM.md). With a token, every /api "
                              "call needs 'Authorization: Bearer TOKEN'. Names are shipped names or upload "
                              "ids (SHA-256), never file paths.")
    app.state.settings = st
    app.state.jobs = jobs

    # -- errors: one line, 4xx for bad input --
    @app.exception_handler(I.NotFound)
    async def _nf(request, exc):
        return _problem(404, str(exc))

    @app.exception_handler(I.Full)
    @app.exception_handler(Busy)
    async def _busy(request, exc):
        return _problem(429, str(exc), {"Retry-After": "10"})

    @app.exception_handler(BmdcheckError)
    async def _bad(request, exc):
        return _problem(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc):
        parts = []
        for e in exc.errors()[:5]:
            if e.get("type") == "json_invalid":
                why = (e.get("ctx") or {}).get("error", "")
                parts.append(f"request body: not valid JSON ({why}); expected a JSON object as in /openapi.json")
                continue
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
        return _problem(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request, exc):
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            path = request.url.path
            detail = (f"no API route {path} (see /openapi.json)" if path.startswith(API_PREFIX + "/")
                      else f"not found: {path}")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400:      # FastAPI's "error parsing the body": malformed input, like any other
            return _problem(422, f"the request body could not be read ({detail}); expected JSON as in /openapi.json")
        if exc.status_code == 405:
            detail = f"method {request.method} not allowed on {request.url.path} (see /openapi.json)"
            headers["Allow"] = ", ".join(_allowed(app, request.scope))   # every route of the path, not the first
        return _problem(exc.status_code, detail, headers or None)

    # -- API --
    @app.get("/api/health", response_model=Health, tags=["api"])
    async def health():
        """Liveness: ``{"status": "ok"}``."""
        return {"status": "ok"}

    @app.get("/api/catalogue/{kind}", response_model=list[dict], responses=ERRORS, tags=["catalogue"])
    def catalogue(kind: CatalogueKind):
        """Catalogue entries, as ``bmdcheck missiles|interceptors|sites|sensors --json`` prints them."""
        from .catalogue import rows

        return _finite(list(rows(kind.value)))

    @app.get("/api/scenarios", response_model=list[ScenarioItem], tags=["scenarios"])
    def scenarios():
        """Shipped scenarios, then uploaded ones (``name`` is the upload id)."""
        out = [{"name": n, "title": _title(p), "path_kind": "shipped"} for n, p in I.shipped_scenarios().items()]
        out += [{"name": u["id"], "title": u["name"], "path_kind": "upload"} for u in uploads.listing("scenario")]
        return out

    @app.get("/api/scenarios/{name}", response_model=ScenarioDoc, responses=ERRORS, tags=["scenarios"])
    def scenario(name: str):
        """A scenario's TOML text and what the globe draws of it (sites, radars with range and coverage,
        launch and aim areas, threats)."""
        from .scenes import scenario_summary

        s, (how, content) = I.resolve_scenario(name, uploads)
        text = Path(content).read_text(encoding="utf-8") if how == "shipped" else content
        return {"name": name, "toml": text, "summary": _finite(scenario_summary(s))}

    @app.get("/api/rules", response_model=list[ScenarioItem], tags=["scenarios"])
    def rules_list():
        """Shipped rules files (for verify jobs), then uploaded ones."""
        out = [{"name": n, "title": _title(p), "path_kind": "shipped"} for n, p in I.shipped_rules().items()]
        out += [{"name": u["id"], "title": u["name"], "path_kind": "upload"} for u in uploads.listing("rules")]
        return out

    @app.post("/api/uploads", response_model=UploadDoc, status_code=201, responses={**ERRORS, 429: {"model": Problem}},
              tags=["uploads"],
              openapi_extra={"requestBody": {"required": True, "description": (
                  f"TOML text, at most {I.MAX_UPLOAD_BYTES:,} bytes (UTF-8)"),
                  "content": {"text/plain": {"schema": {"type": "string"}},
                              "application/toml": {"schema": {"type": "string"}}}}})
    async def upload(request: Request, kind: UploadKind = Query(..., description="scenario or rules")):
        """Validate a scenario or rules file with the command line's loaders and store it by content hash
        (the id is the SHA-256 of the bytes). 413 above the size limit; 422 with the loader's message."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("text/plain", "application/toml"):
            return _problem(415, f"content-type must be text/plain or application/toml (TOML text), got "
                                 f"{ctype or 'none'!r}")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > I.MAX_UPLOAD_BYTES:
            return _problem(413, f"upload too large: {int(declared):,} bytes; at most {I.MAX_UPLOAD_BYTES:,}")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > I.MAX_UPLOAD_BYTES:
                return _problem(413, f"upload too large: more than {I.MAX_UPLOAD_BYTES:,} bytes")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(uploads.add, kind.value, bytes(body))

    @app.post("/api/jobs", response_model=JobAccepted, status_code=202, responses={**ERRORS, 429: {"model": Problem}},
              tags=["jobs"])
    def submit(req: JobRequest):
        """Start an assess, verify or compare job (validated first: 422 / 404 before anything is stored).
        The same inputs give the same id; a finished job is not run again."""
        body = req.model_dump(mode="json")
        job = jobs().submit(body)
        return {"id": job.id, "status": job.status}

    @app.get("/api/jobs", response_model=list[JobBrief], tags=["jobs"])
    async def job_list():
        """All jobs of this server, newest first."""
        return sorted((j.brief() for j in jobs().jobs.values()), key=lambda d: -d["created"])

    @app.get("/api/jobs/{job_id}", response_model=JobDoc, responses=ERRORS, tags=["jobs"])
    async def job_status(job_id: str):
        """Status, progress (0..1), per-tier summary and rule verdicts of a job."""
        return _finite(_with_epoch(jobs().get(job_id).public()))

    @app.delete("/api/jobs/{job_id}", response_model=JobDoc, responses=ERRORS, tags=["jobs"])
    def job_cancel(job_id: str):
        """Cancel a queued or running job (it ends failed, message "cancelled"); a finished job is unchanged."""
        return _finite(_with_epoch(jobs().cancel(job_id).public()))

    @app.get("/api/jobs/{job_id}/result", responses={**ERRORS, 200: {"content": {
        "application/json": {}, "application/vnd.apache.parquet": {}, "application/czml+json": {}}}},
        tags=["jobs"])
    async def job_result(job_id: str, format: ResultFormat = ResultFormat.json,
                         which: Literal["a", "b"] = Query("a", description="compare jobs: scenario a or b"),
                         tier: Optional[Tier] = Query(None, description="assess jobs, format=czml: the scene of "
                                                                        "this sensor tier (default: the scenario's)")):
        """The result of a finished job: ``json`` (the result document), ``parquet`` (the results rows of
        assess and compare jobs), ``czml`` (the scene for the globe; an assess job over several tiers
        has one per tier)."""
        job = jobs().get(job_id)
        if job.status != "done":
            return _problem(409, f"job {job_id[:12]}… is {job.status}; its result is there when the status is done"
                            + (f" ({job.message})" if job.status == "failed" else ""))
        b = which == "b" and job.kind == "compare"
        if format == ResultFormat.json:
            name, media = "result.json", "application/json"
        elif format == ResultFormat.czml and tier is not None:
            if job.kind != "assess" or not (job.summary.get("czml_tiers") or {}).get(tier.value):
                have = ", ".join(job.summary.get("czml_tiers") or {}) or "none"
                return _problem(404, f"job {job_id[:12]}… has no CZML scene of the {tier.value} tier (tier scenes: "
                                     f"{have}; assess jobs over several tiers have one per tier)")
            name, media = f"result-{tier.value}.czml", "application/czml+json"
        elif format == ResultFormat.czml:
            name, media = ("result-b.czml" if b else "result.czml"), "application/czml+json"
        else:
            if job.kind == "verify":
                return _problem(404, "a verify job has no Parquet result (format=json or czml)")
            name = ("B" if b else "A") + "/results.parquet" if job.kind == "compare" else "results/results.parquet"
            media = "application/vnd.apache.parquet"
        p = jobs().result_path(job.id, name)
        if not p.is_file():
            return _problem(404, f"job {job_id[:12]}… has no {format.value} result")
        fname = f"{job.kind}-{job.id[:12]}{'-b' if b else ''}{'-' + tier.value if tier and format == ResultFormat.czml else ''}"
        fname += f".{format.value}"
        return FileResponse(p, media_type=media, filename=fname)

    @app.get("/api/ledger/entries", response_model=list[dict], responses=ERRORS, tags=["ledger"])
    def ledger_entries():
        """The ledger's entries, oldest first (read-only; empty without ``serve --ledger``)."""
        if st.ledger is None:
            return []
        from ..ledger import Ledger

        entries, _ = Ledger(st.ledger).snapshot()
        out = []
        for e in entries:
            d = e.to_dict()
            payload = d.pop("payload")
            try:
                d["document"] = json.loads(payload)
            except (TypeError, ValueError):
                d["payload"] = payload
            out.append(d)
        return _finite(out)

    # -- the page and its files (no token: the page reads it from the URL fragment) --
    @app.get("/", include_in_schema=False)
    async def index():
        p = st.static_dir / "index.html"
        if p.is_file():
            return FileResponse(p, media_type="text/html")
        return HTMLResponse("<!doctype html><title>bmdcheck control room</title><p>The page is not installed "
                            "(src/bmdcheck/web/static/index.html); the API is at /api and /openapi.json.</p>")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        p = st.static_dir / "favicon.ico"
        return FileResponse(p) if p.is_file() else Response(status_code=204)

    if st.cesium_dir.is_dir():
        app.mount("/cesium", StaticFiles(directory=st.cesium_dir), name="cesium")
    if st.static_dir.is_dir():
        app.mount("/static", StaticFiles(directory=st.static_dir), name="static")

    app.add_middleware(Guard, token=st.token)
    return app


def _allowed(app, scope) -> list[str]:
    """The methods of every route whose path matches (Starlette's 405 names only the first route's)."""
    from starlette.routing import Match

    methods: set = set()
    for route in app.router.routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def _with_epoch(doc: dict) -> dict:
    from .scenes import EPOCH

    return {**doc, "epoch": EPOCH}


def _title(p: Path) -> str:
    """The ``description`` (else ``name``) of a shipped TOML file, read without validation."""
    import tomllib

    try:
        d = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return p.stem
    return str(d.get("description") or d.get("name") or p.stem)
