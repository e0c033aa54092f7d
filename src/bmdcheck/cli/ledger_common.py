"""Shared by the `bmdcheck ledger ...` commands: the sub-app, passphrase, error mapping, receipts.

Exit codes: 0 done (and the ledger verifies), 1 the ledger (or an import file) does not verify,
2 bad input (missing file, not a ledger, wrong passphrase, unknown seq, ...). Format, algorithm and
threat model: docs/LEDGER.md.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from contextlib import contextmanager

import typer

from .. import api
from ..errors import BmdcheckError
from .app import CONTEXT, app

ledger_app = typer.Typer(no_args_is_help=True, context_settings=CONTEXT,
                         help="A signed, append-only ledger of declared scenarios and acknowledgements.")
app.add_typer(ledger_app, name="ledger")

PASSPHRASE_ENV = "BMDCHECK_PASSPHRASE"


def _one_line(msg: str) -> str:
    return " ".join(str(msg).split())


def _say(line: str) -> None:
    """One plain line on stdout (no wrapping: hashes must stay whole for copy and paste)."""
    sys.stdout.write(line + "\n")


def _fail_integrity(msg: str) -> None:
    sys.stderr.write(f"error: {_one_line(msg)}\n")
    sys.exit(1)


@contextmanager
def _integrity_exit():
    """A chain that does not verify is exit 1 (not the exit 2 of bad input)."""
    LedgerIntegrityError = api.ledger.LedgerIntegrityError

    try:
        yield
    except LedgerIntegrityError as e:
        _fail_integrity(str(e))


def _guarded(fn):
    """Map what no ledger command may end in (a traceback, exit 1) onto one line and exit 2.

    Exit 1 means "does not verify" for ledger commands, so an OSError (full disk, no permission),
    an SQLite error, or input too large or too deep for Python (OverflowError, RecursionError,
    MemoryError) must never surface as the interpreter's exit 1.
    """
    os_reason = api.ledger.os_reason

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BmdcheckError:
            raise
        except OSError as e:
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            raise BmdcheckError(f"{where}{os_reason(e)}") from None
        except sqlite3.Error as e:
            raise BmdcheckError(f"SQLite error: {e}") from None
        except (RecursionError, OverflowError, MemoryError) as e:
            raise BmdcheckError(f"input too large or nested too deeply ({type(e).__name__})") from None
    return run


def _command(name: str):
    """``@ledger_app.command(name)`` with :func:`_guarded` around the function."""
    return lambda fn: ledger_app.command(name)(_guarded(fn))


def _passphrase(confirm: bool) -> str:
    """$BMDCHECK_PASSPHRASE; else a hidden prompt at a terminal; else one line of standard input.

    With no terminal and nothing on standard input (``</dev/null``) this is one error line (exit 2),
    not a prompt that cannot be answered. ``confirm`` (keygen): asked twice at a terminal; on standard
    input a second line, if given, must repeat the first.
    """
    pw = os.environ.get(PASSPHRASE_ENV)
    if pw is not None:
        if not pw:
            raise BmdcheckError(f"{PASSPHRASE_ENV} is set but empty")
        return pw
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        return typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    first = stdin.readline() if stdin is not None else ""
    if not first:
        raise BmdcheckError(f"no passphrase: set {PASSPHRASE_ENV}, give it on standard input, or run at a terminal")
    pw = first.rstrip("\r\n")
    if not pw:
        raise BmdcheckError("the passphrase on standard input is empty")
    if confirm:
        second = stdin.readline()
        if second and second.rstrip("\r\n") != pw:
            raise BmdcheckError("the two passphrases on standard input differ")
    return pw


def _open(path: str):
    return api.ledger.Ledger(path)


def _key(path: str):
    return api.ledger.load_signing_key(path, lambda: _passphrase(confirm=False))


def _warn_if_tampered(led) -> bool:
    """Verify; on failure print one warning line on stderr. True if intact."""
    rep = led.verify()
    if not rep.ok:
        sys.stderr.write(f"warning: {led.path} does not verify: {_one_line(rep.summary())}\n")
    return rep.ok


def _entry_json(e, with_document: bool = True) -> dict:
    d = e.to_dict()
    payload = d.pop("payload")
    if with_document:
        try:
            d["document"] = json.loads(payload)
        except ValueError:
            d["payload"] = payload
    return d


def _receipt(e) -> None:
    _say(f"{e.kind} seq {e.seq} by {e.party} at {e.timestamp}")
    _say(f"  payload sha256 {e.payload_sha256}")
    if e.verdict is not None:
        _say(f"  verdict {e.verdict}, results hash {e.results_hash}")
    _say(f"  entry_hash     {e.entry_hash}   (keep this: it commits to the whole chain up to seq {e.seq})")
