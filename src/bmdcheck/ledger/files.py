"""Crash-safe file writes: write a temporary file beside the target, fsync it, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import BmdcheckError


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_path_beside(path: Path, suffix: str = ".tmp") -> Path:
    """Create an empty private (0600) temporary file in ``path``'s folder and return its name."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
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
                if dest.exists():
                    raise BmdcheckError(f"{dest} already exists; refusing to overwrite it") from None
                os.replace(tmp, dest)
            else:
                os.unlink(tmp)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(dest.parent)


def write_atomic(path: str | Path, data: bytes, *, mode: int = 0o644, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename; a crash leaves the old file or the new."""
    dest = Path(path)
    if not dest.parent.is_dir():
        raise BmdcheckError(f"folder not found: {dest.parent}")
    if not overwrite and dest.exists():
        raise BmdcheckError(f"{dest} already exists; refusing to overwrite it")
    tmp = temp_path_beside(dest)
    try:
        os.chmod(tmp, mode)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    publish(tmp, dest, overwrite=overwrite)
    return dest
