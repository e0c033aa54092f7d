"""Crash-safe file writes: write a temporary file beside the target, fsync it, then rename.

Any OSError (a full disk, ENOSPC; a file size limit, EFBIG under ``ulimit -f``; no permission) is
raised as one-line BmdcheckError naming the target, after removing the temporary file.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from ..durable import fsync_dir
from ..errors import BmdcheckError


def os_reason(e: OSError) -> str:
    """A short reason for an OSError: 'the disk is full' for ENOSPC/EDQUOT/EFBIG, else its strerror."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the disk is full or a file size limit was reached ({e.strerror})"
    return e.strerror or str(e)


def temp_path_beside(path: Path, suffix: str = ".tmp") -> Path:
    """Create an empty private (0600) temporary file in ``path``'s folder and return its name."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as e:
        raise BmdcheckError(f"cannot write in {path.parent}: {os_reason(e)}") from None
    os.close(fd)
    return Path(name)


def publish(tmp: Path, dest: Path, *, overwrite: bool) -> None:
    """Move a finished temporary file onto ``dest`` in one step.

    With ``overwrite=False`` the move is a hard link that fails if ``dest`` exists (no window in
    which another writer's file is replaced); where links are not supported, an existence check
    and ``os.replace``. Raises BmdcheckError if ``dest`` exists and may not be overwritten.
    """
    try:
        if overwrite:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)
            except FileExistsError:
                raise BmdcheckError(f"{dest} already exists; refusing to overwrite it") from None
            except OSError:
                if os.path.lexists(dest):
                    raise BmdcheckError(f"{dest} already exists; refusing to overwrite it") from None
                os.replace(tmp, dest)
            else:
                os.unlink(tmp)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(dest.parent)


def write_atomic(path: str | Path, data: bytes, *, mode: int = 0o644, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename; a crash leaves the old file or the new."""
    dest = Path(path)
    if not dest.parent.is_dir():
        raise BmdcheckError(f"folder not found: {dest.parent}")
    if not overwrite and os.path.lexists(dest):
        raise BmdcheckError(f"{dest} already exists; refusing to overwrite it")
    tmp = temp_path_beside(dest)
    try:
        os.chmod(tmp, mode)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        publish(tmp, dest, overwrite=overwrite)
    except OSError as e:
        raise BmdcheckError(f"cannot write {dest}: {os_reason(e)}; nothing was written") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def read_json_file(p: Path, max_bytes: int, *, missing: str, too_big: str, what: str):
    """A JSON document from a file no larger than ``max_bytes``; BmdcheckError (exit 2) naming
    ``missing`` ("checkpoint file"), ``too_big`` and ``what`` when it is absent, too large, not JSON
    or nested too deeply for the parser."""
    import json

    if not p.is_file():
        raise BmdcheckError(f"{missing} not found: {p}")
    if p.stat().st_size > max_bytes:
        raise BmdcheckError(f"{p}: {too_big}")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise BmdcheckError(f"{p}: not a JSON file ({e})") from None
    except RecursionError:
        raise BmdcheckError(f"{p}: not {what} (JSON nested too deeply)") from None
