"""The one way geo_patrol writes a file or a folder: to a temporary path beside it, then renamed.

A failure (an error, Ctrl-C) leaves the previous file or folder as it was and no temporary file
behind. :func:`write_atomic` writes one file; :func:`write_directory` fills a whole folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from geo_patrol.errors import InputError

__all__ = ["STAGING_MARKER", "check_target", "write_atomic", "write_directory"]


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
        if POSIX:  # on Windows chmod only toggles read-only, which would block the rename
            os.chmod(tmp, mode)
        _rename(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


#: File modes mean something here (not on Windows, where only read-only exists).
POSIX = os.name == "posix"


def _rename(src: str | Path, dst: str | Path) -> None:
    """``os.replace``, retried briefly on Windows (an antivirus or indexer may hold a new file for
    a moment); a file or folder held open by another program (Excel!) is one clear error."""
    for attempt in range(6):
        try:
            os.replace(src, dst)
            return
        except PermissionError as exc:
            if POSIX:
                raise
            if attempt == 5:
                raise InputError("a file in it is open in another program (Excel?)", file=dst,
                                 hint="close it and run again; nothing was changed") from exc
            time.sleep(0.2)


def _remove_tree(path: Path) -> None:
    """Delete a folder, clearing Windows' read-only flag where it stops a delete."""

    def clear_and_retry(func, name, _exc):
        try:
            os.chmod(name, stat.S_IWRITE)
            func(name)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=clear_and_retry)
    else:
        shutil.rmtree(path, onerror=clear_and_retry)


#: A file inside every staging folder, so that a stale one (a run killed mid-write) can be
#: recognised and removed by the next run, and nothing else ever is.
STAGING_MARKER = ".geo_patrol-staging"


def check_target(target: str | Path, *, force: bool, replaceable: Callable[[Path], bool] | None = None,
                 protect: Iterable[str | Path] = ()) -> Path:
    """Check, before any work, that ``target`` can be written: its parent is (or can be made) a
    writable folder; an existing ``target`` is replaced only with ``force`` and only when
    ``replaceable(target)`` says it is ours; it holds none of the ``protect`` paths (inputs)."""
    target = Path(target)
    if target.is_symlink():
        raise InputError("is a symbolic link", file=target, hint="give a real folder path for --out")
    if target.exists():
        if not force:
            raise InputError("already exists", file=target, hint="choose another --out or add --force to replace it")
        if not target.is_dir() or (replaceable is not None and not replaceable(target)):
            raise InputError("exists and is not a folder geo_patrol wrote; --force replaces only those", file=target,
                             hint="choose another --out (nothing was deleted)")
    resolved = target.resolve()
    for path in protect:
        path = Path(path).resolve()
        if path == resolved or resolved in path.parents:
            raise InputError(f"holds an input file ({path.name}); writing there would replace it", file=target,
                             hint="choose another --out")
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("cannot be written: its folder is not writable", file=target,
                         hint="choose an --out in a folder you can write to")
    return target


def write_directory(target: str | Path, fill: Callable[[Path], object], *, force: bool = False,
                    replaceable: Callable[[Path], bool] | None = None, protect: Iterable[str | Path] = ()) -> Path:
    """Make the folder ``target`` with ``fill(folder)``, all or nothing.

    The folder is filled in a staging folder beside it and swapped in at the end: the old folder
    (replaced only with ``force``, see :func:`check_target`) is renamed aside, the staging folder
    renamed into place, and only then is the old one deleted — if the second rename fails the old
    one is put back. Staging folders left by a run that was killed are removed first. Renames
    within one folder work on Windows too (the target never exists at the moment of a rename).
    """
    target = check_target(target, force=force, replaceable=replaceable, protect=protect)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    (staging / STAGING_MARKER).touch()
    if POSIX:  # mkdtemp makes it private; a plan is a normal folder
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
    try:
        fill(staging)
        (staging / STAGING_MARKER).unlink()
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            (old / STAGING_MARKER).touch()
            _rename(target, old / "previous")
            try:
                _rename(staging, target)
            except BaseException:
                _rename(old / "previous", target)
                raise
            _remove_tree(old)
        else:
            _rename(staging, target)
    except BaseException:
        _remove_tree(staging)
        raise
    return target


def _remove_stale(target: Path) -> None:
    """Staging folders of earlier runs for the same target (they carry :data:`STAGING_MARKER`)."""
    for path in target.parent.glob(f".{glob.escape(target.name)}.*"):
        if path.is_dir() and not path.is_symlink() and (path / STAGING_MARKER).is_file():
            if (path / "previous").is_dir() and not target.exists():
                _rename(path / "previous", target)  # a swap cut between its two renames: undo it
            _remove_tree(path)
