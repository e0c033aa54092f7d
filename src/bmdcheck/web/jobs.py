"""Background jobs of the control room: validated at once, run one at a time, cached by content hash.

A job (assess, verify, compare) is validated when it is submitted, with the loaders and the plan
the command line uses, so a bad request is refused (HTTP 422) before anything is stored. Its id is
the SHA-256 of the canonical JSON of what determines the result: the kind, the scenario hash
(``scenario.load.scenario_hash`` after the job's tiers and draws are applied: the resolved content,
whatever file or upload it came from), the rules file's hash, the catalogue version and the code
version. The same inputs give the same id, and a finished job's result is served again without
running anything.

Jobs run one at a time (the engine uses every core) in a child process
(``python -m bmdcheck.web.runner``, its own process group, so cancelling or shutting down stops it
and every process it started). Each job lives in ``STATE/jobs/<id>/``: ``spec.json``, ``job.json``
(status, written at each change through a temporary file and a rename), the result files and
``log.txt``. When the server starts it reads the finished jobs back; a job that was queued or
running when the server stopped is marked failed ("interrupted"), and submitting it again reruns it.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..errors import BmdcheckError
from . import inputs as I

FORMAT = "bmdcheck-web-job/1"
KINDS = ("assess", "verify", "compare")
STATUSES = ("queued", "running", "done", "failed")
STOP_GRACE_S = 3.0
MAX_WAITING = 16
"""At most this many jobs queued or running; more is refused (HTTP 429) until some finish."""


class Busy(BmdcheckError):
    """Too many jobs waiting (HTTP 429)."""


def job_key(kind: str, scenario_hash: str, rules_sha256: str | None, other_hash: str | None) -> str:
    """The job id: SHA-256 of the canonical JSON of everything that decides the result."""
    from .. import __version__
    from ..assess.engine import catalogue_version

    doc = {"format": FORMAT, "kind": kind, "scenario_hash": scenario_hash, "rules_sha256": rules_sha256,
           "other_hash": other_hash, "catalogue_version": catalogue_version(), "code_version": __version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Job:
    """One job's public state (``GET /api/jobs/{id}``) and its process."""

    def __init__(self, jid: str, kind: str, request: dict, status: str = "queued", progress: float = 0.0,
                 message: str = "queued", summary: dict | None = None, verdicts: list | None = None,
                 created: float | None = None, finished: float | None = None):
        self.id, self.kind, self.request = jid, kind, request
        self.status, self.progress, self.message = status, progress, message
        self.summary, self.verdicts = summary or {}, verdicts or []
        self.created, self.finished = created or time.time(), finished
        self.proc: subprocess.Popen | None = None
        self.cancelled = False

    def public(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": self.progress,
                "message": self.message, "request": self.request, "summary": self.summary,
                "verdicts": self.verdicts, "created": self.created, "finished": self.finished}

    def brief(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": self.progress,
                "message": self.message, "request": self.request, "created": self.created}


class JobManager:
    """Validates, queues and runs jobs under ``state_dir`` (module docstring)."""

    def __init__(self, state_dir: Path, uploads: I.Uploads, dask: str | None = None):
        self.root = Path(state_dir) / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.uploads, self.dask = uploads, dask
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.queue: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self._load()
        self.worker = threading.Thread(target=self._work, name="bmdcheck-jobs", daemon=True)
        self.worker.start()

    # ---- persistence ---------------------------------------------------------------------------
    def _load(self) -> None:
        for d in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            try:
                doc = json.loads((d / "job.json").read_text())
            except (OSError, ValueError):
                continue
            if not I.is_id(d.name) or doc.get("id") != d.name:
                continue
            job = Job(d.name, doc["kind"], doc.get("request", {}), doc.get("status", "failed"),
                      doc.get("progress", 0.0), doc.get("message", ""), doc.get("summary"), doc.get("verdicts"),
                      doc.get("created"), doc.get("finished"))
            if job.status in ("queued", "running"):
                job.status, job.message = "failed", "interrupted: the server stopped before the job finished"
                self._save(job)
            self.jobs[job.id] = job

    def _save(self, job: Job) -> None:
        I.atomic_write(self.root / job.id / "job.json", json.dumps(job.public(), allow_nan=False).encode())

    # ---- submission ----------------------------------------------------------------------------
    def prepare(self, req: dict) -> tuple[str, dict, dict]:
        """Validate a job request; ``(id, spec, inputs)``. One-line BmdcheckError / NotFound otherwise."""
        from ..scenario.load import scenario_hash
        from .runner import plan_for, with_overrides

        kind = req["kind"]
        if kind == "verify" and not req.get("rules"):
            raise BmdcheckError("a verify job needs rules: a shipped rules name or an upload id")
        if kind != "verify" and req.get("rules"):
            raise BmdcheckError(f"rules apply to verify jobs only, not {kind}")
        if kind == "compare" and not req.get("other"):
            raise BmdcheckError("a compare job needs other: the second scenario (shipped name or upload id)")
        if kind != "compare" and req.get("other"):
            raise BmdcheckError(f"other (the second scenario) applies to compare jobs only, not {kind}")
        tiers, draws = req.get("tiers"), req.get("draws")
        refs = {"scenario": req["scenario"]} | ({"other": req["other"]} if kind == "compare" else {})
        hashes, sources = {}, {}
        with tempfile.TemporaryDirectory(prefix="bmdcheck-job-") as tmp:
            for role, ref in refs.items():
                s, src = I.resolve_scenario(ref, self.uploads, "other scenario" if role == "other" else "scenario")
                path = src[1] if src[0] == "shipped" else str(I.materialise(src[1], Path(tmp) / role_dir(role)))
                if kind != "verify":   # the engine's own validation: threat cases, draws, boosters
                    plan_for(path, Path(tmp) / "out" / role, tiers, draws)
                hashes[role] = scenario_hash(with_overrides(s, tiers, draws))
                sources[role] = src
            rules_sha = None
            if kind == "verify":
                r, rsrc = I.resolve_rules(req["rules"], self.uploads)
                rules_sha, sources["rules"] = r.sha256(), rsrc
        jid = job_key(kind, hashes["scenario"], rules_sha, hashes.get("other"))
        spec = {"kind": kind, "scenario": req["scenario"], "other": req.get("other"), "rules": req.get("rules"),
                "tiers": tiers, "draws": draws, "dask": self.dask}
        return jid, spec, sources

    def submit(self, req: dict) -> Job:
        """Validate and queue a job, or return the job with the same id (done: its cached result)."""
        jid, spec, sources = self.prepare(req)
        with self.lock:
            job = self.jobs.get(jid)
            if job is not None and (job.status != "failed"):
                return job
            waiting = sum(j.status in ("queued", "running") for j in self.jobs.values())
            if waiting >= MAX_WAITING:
                raise Busy(f"{waiting} jobs are queued or running (at most {MAX_WAITING}); submit again when some "
                           f"have finished, or cancel one (DELETE /api/jobs/ID)")
            d = self.root / jid
            if d.exists():
                for name in ("result.json", "error.json"):
                    (d / name).unlink(missing_ok=True)
            d.mkdir(parents=True, exist_ok=True)
            for role, (how, content) in sources.items():
                if how == "shipped":
                    spec[f"{role}_path"] = content
                elif role == "rules":
                    p = d / "inputs" / "rules.toml"
                    I.atomic_write(p, content.encode("utf-8"))
                    spec["rules_path"] = str(p)
                else:
                    sub = d / "inputs" / role_dir(role)
                    if sub.exists():
                        shutil.rmtree(sub)
                    sub.mkdir(parents=True)
                    spec[f"{role}_path"] = str(I.materialise(content, sub))
            I.atomic_write(d / "spec.json", json.dumps(spec).encode())
            request = {k: v for k, v in req.items() if v is not None}
            job = Job(jid, spec["kind"], request)
            self.jobs[jid] = job
            self._save(job)
            self.queue.put(jid)
        return job

    def get(self, jid: str) -> Job:
        job = self.jobs.get(jid) if I.is_id(jid) else None
        if job is None:
            raise I.NotFound(f"no job {jid!r} (ids are 64 hex digits, from POST /api/jobs)")
        return job

    def cancel(self, jid: str) -> Job:
        """Stop a queued or running job (status failed, message "cancelled"); a finished one is left."""
        job = self.get(jid)
        with self.lock:
            if job.status in ("queued", "running"):
                job.cancelled = True
                if job.proc is not None:
                    _stop(job.proc)
                if job.status == "queued":
                    self._finish(job, "failed", "cancelled")
        return job

    def result_path(self, jid: str, name: str) -> Path:
        return self.root / jid / name

    # ---- the worker ----------------------------------------------------------------------------
    def _work(self) -> None:
        while not self.stopping.is_set():
            try:
                jid = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            job = self.jobs.get(jid)
            if job is None or job.status != "queued":
                continue
            try:
                self._run(job)
            except Exception as e:  # noqa: BLE001  (a job never takes the worker down)
                self._finish(job, "failed", f"internal error: {type(e).__name__}: {e}"[:500])

    def _run(self, job: Job) -> None:
        d = self.root / job.id
        env = dict(os.environ)
        with self.lock:
            if job.cancelled or self.stopping.is_set():
                return
            log = open(d / "log.txt", "ab")
            job.proc = subprocess.Popen([sys.executable, "-m", "bmdcheck.web.runner", str(d)], stdout=subprocess.PIPE,
                                        stderr=log, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            job.status, job.message, job.progress = "running", "starting", 0.0
            self._save(job)
        try:
            for line in job.proc.stdout:
                try:
                    msg = json.loads(line)
                    job.progress = float(msg.get("progress", job.progress))
                    job.message = str(msg.get("message", job.message))[:300]
                except (ValueError, TypeError, AttributeError):
                    continue
            rc = job.proc.wait()
        finally:
            log.close()
        if job.cancelled or self.stopping.is_set():
            self._finish(job, "failed", "cancelled" if job.cancelled else "interrupted: the server shut down")
            return
        if rc == 0 and (d / "result.json").is_file():
            doc = json.loads((d / "result.json").read_text())
            job.summary, job.verdicts = doc.get("summary") or {}, doc.get("verdicts") or []
            self._finish(job, "done", "done", 1.0)
            return
        try:
            msg = json.loads((d / "error.json").read_text())["message"]
        except (OSError, ValueError, KeyError):
            msg = f"the job process ended with exit code {rc} (see log.txt in the job folder)"
        self._finish(job, "failed", msg)

    def _finish(self, job: Job, status: str, message: str, progress: float | None = None) -> None:
        job.status, job.message, job.finished = status, message, time.time()
        if progress is not None:
            job.progress = progress
        job.proc = None
        self._save(job)

    def close(self) -> None:
        """Stop the worker and every running job (the server is shutting down)."""
        self.stopping.set()
        with self.lock:
            for job in self.jobs.values():
                if job.proc is not None:
                    _stop(job.proc)
                elif job.status == "queued":
                    self._finish(job, "failed", "interrupted: the server shut down")
        self.worker.join(timeout=STOP_GRACE_S + 5)


def role_dir(role: str) -> str:
    return {"scenario": "a", "other": "b"}[role]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the job's process group, SIGKILL after STOP_GRACE_S."""
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
