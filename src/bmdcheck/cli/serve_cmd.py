"""`bmdcheck serve`: the control room (docs/CONTROL-ROOM.md): the engine behind a browser page."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import api
from ..errors import BmdcheckError
from .app import app, err


def _check_port(host: str, port: int) -> None:
    import socket

    if not 1 <= port <= 65535:
        raise BmdcheckError(f"--port must be from 1 to 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise BmdcheckError(f"--host {host}: not an address of this machine ({e.strerror})") from None
    fam, _, _, _, addr = infos[0]
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise BmdcheckError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
          port: int = typer.Option(8765, "--port", help="TCP port to listen on."),
          token: Optional[str] = typer.Option(None, "--token", envvar="BMDCHECK_TOKEN",
                                              help="Every /api call then needs 'Authorization: Bearer TOKEN' "
                                                   "(required off loopback; or set BMDCHECK_TOKEN)."),
          state_dir: Optional[str] = typer.Option(None, "--state-dir",
                                                  help="Keep uploads and job results here (default: a temporary "
                                                       "directory, removed at exit)."),
          ledger: Optional[str] = typer.Option(None, "--ledger", help="Ledger file shown read-only."),
          dask: Optional[str] = typer.Option(None, "--dask", help="Dask scheduler ADDRESS, or local:N workers.")):
    """Start the control room: a browser page and an HTTP API over the same engine."""
    from ..web.security import check_bind

    refusal = check_bind(host, token)
    if refusal:
        raise BmdcheckError(refusal)
    if token is not None and (len(token) < 8 or not token.isprintable() or " " in token):
        raise BmdcheckError("--token must be at least 8 printable characters without spaces")
    api.check_dask(dask)
    led = None
    if ledger is not None:
        led = api.ledger.Ledger(ledger).path           # refuses a missing file or one that is not a ledger
    sd = None
    if state_dir is not None:
        sd = Path(state_dir)
        if sd.exists() and not sd.is_dir():
            raise BmdcheckError(f"--state-dir {state_dir}: exists and is not a directory")
        try:
            sd.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise BmdcheckError(f"--state-dir {state_dir}: cannot create it ({e.strerror})") from None
    _check_port(host, port)

    import uvicorn

    from ..web.app import CESIUM_DIR, Settings, create_app

    web_app = create_app(Settings(token=token, state_dir=sd, ledger=led, dask=dask))
    if not (CESIUM_DIR / "Cesium.js").is_file():
        err.print("warning: CesiumJS is not installed (src/bmdcheck/web/static/cesium/): the page has no globe; "
                  "run `make web-assets`", markup=False, highlight=False)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"#token={token}" if token else "")
    typer.echo(f"bmdcheck control room: {url}  (API: http://{shown}:{port}/openapi.json; Ctrl-C stops)")
    uvicorn.run(web_app, host=host, port=port, log_level="warning", access_log=False)
