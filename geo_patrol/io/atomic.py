"""The one way geo_patrol writes a file or a folder: to a temporary path beside it, then renamed.

A failure (an error, Ctrl-C) leaves the previous file or folder as it was and no temporary file
behind. :func:`write_atomic` writes one file; :func:`write_directory` fills a whole folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from geo_patrol.errors import InputError

__all__ = ["write_atomic", "write_directory"]


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    On any error the temporary file is removed and an existing ``path`` is left untouched. The
    file gets the mode of the file it replaces, else ``rw-r--r--`` (not the private mode of a
    temporary file).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_directory(target: str | Path, fill: Callable[[Path], object], *, force: bool = False) -> Path:
    """Make the folder ``target`` with ``fill(folder)``: in a temporary folder beside it, renamed
    into place at the end, so a failure leaves nothing half-written; an existing folder is
    replaced only with ``force``."""
    target = Path(target)
    if target.exists() and not force:
        raise InputError("already exists", file=target, hint="choose another --out or add --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a plan is a normal folder
    try:
        fill(staging)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / "plan")
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
