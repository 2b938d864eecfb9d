"""Build a wheelhouse: every wheel geo_patrol needs, for installing on a machine without internet.

Run it on a machine that reaches the package index, copy the folder it writes to the intranet
machine (USB disk, file share), and install there with::

    python -m pip install --no-index --find-links WHEELHOUSE geo_patrol

Usage::

    python tools/wheelhouse.py                                   # this machine's kind: linux or windows, its Python
    python tools/wheelhouse.py --platform windows --python 3.11  # for Windows x86-64 workstations
    python tools/wheelhouse.py --platform linux --python 3.10 --glibc 2.17 --out D:/wh

What it does, in order:

1. builds the project's own wheel (``pip wheel --no-deps .``) and reads its dependencies;
2. ``pip download --only-binary=:all:`` of that wheel's dependencies for the target platform tags
   (``win_amd64``, or ``manylinux_2_5 … manylinux_2_<glibc>`` ``x86_64``) and CPython version;
3. fixes what pip gets wrong for another platform or Python: pip evaluates environment markers
   (``sys_platform == 'win32'``, ``python_version < '3.11'``) against the Python that runs it,
   not the target, so it would leave out e.g. ``tzdata`` for Windows or ``tomli`` for 3.10. The
   script reads every wheel's ``Requires-Dist``, evaluates the markers for the target, downloads
   what is missing (pinned to the versions already chosen) and drops what the target does not use;
4. copies the demo county (``data/demo``) to ``demo/`` and writes ``README.txt`` with the install
   commands and ``SHA256SUMS.txt``;
5. swaps the finished folder into place (an existing wheelhouse only with ``--force``).

A failure prints one line starting with ``wheelhouse: error:`` (naming the package that has no
wheel for the target, for instance) and exits with 2; nothing is left behind.

Standard library only, plus pip (run as ``python -m pip``) and the ``packaging`` library that pip
itself vendors.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

try:  # the standalone library when installed, else the copy every pip carries
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pragma: no cover - depends on the machine
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.10", "3.11", "3.12")
PLATFORMS = ("linux", "windows")
#: glibc of the oldest Linux the wheelhouse should run on. 2.28: Kylin V10, UOS 20, openEuler 20.03,
#: RHEL/CentOS 8. CentOS 7 has 2.17 (--glibc 2.17), but several dependencies no longer ship for it.
DEFAULT_GLIBC = "2.28"
README_MARK = "geo_patrol offline wheelhouse"
#: Left out of the copy the project's wheel is built from: a setuptools build in the checkout itself
#: would package whatever an earlier build left in build/lib (a module deleted since, say).
NOT_SOURCE = (".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache",
              ".import_linter_cache", ".benchmarks", ".ipynb_checkpoints", "wheelhouse-*", ".wheelhouse-*")
EXIT_FAILED = 2


class Failure(Exception):
    """A failure told to the user as one line, exit code 2."""


@dataclass(frozen=True)
class Target:
    """The machine the wheelhouse is for."""

    platform: str  # linux | windows
    python: str  # "3.11"
    glibc: str = DEFAULT_GLIBC

    @property
    def nodot(self) -> str:
        return self.python.replace(".", "")

    @property
    def tags(self) -> list[str]:
        """pip ``--platform`` values, most specific first. pip does not widen ``manylinux_2_28``
        to the older manylinux tags by itself, so every one is listed."""
        if self.platform == "windows":
            return ["win_amd64"]
        major, minor = (int(part) for part in self.glibc.split("."))
        if major != 2 or minor < 5:
            raise Failure(f"--glibc {self.glibc}: give the target's glibc as 2.N with N >= 5 (ldd --version)")
        tags = []
        for m in range(minor, 4, -1):
            tags.append(f"manylinux_2_{m}_x86_64")
            legacy = {17: "manylinux2014_x86_64", 12: "manylinux2010_x86_64", 5: "manylinux1_x86_64"}.get(m)
            if legacy:
                tags.append(legacy)
        return tags

    @property
    def label(self) -> str:
        if self.platform == "windows":
            return f"Windows x86-64 (win_amd64), CPython {self.python}"
        return f"Linux x86-64 (manylinux, glibc >= {self.glibc}), CPython {self.python}"

    @property
    def environment(self) -> dict[str, str]:
        """PEP 508 marker values of the target."""
        windows = self.platform == "windows"
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "os_name": "nt" if windows else "posix",
            "platform_machine": "AMD64" if windows else "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Windows" if windows else "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python}.0",
            "python_version": self.python,
            "sys_platform": "win32" if windows else "linux",
            "extra": "",
        }

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python]
        for tag in self.tags:
            args += ["--platform", tag]
        return args


@dataclass
class Wheel:
    path: Path
    name: str  # canonical
    version: str
    display: str = ""  # as the project spells it
    requires: list[Requirement] = field(default_factory=list)


def _say(message: str) -> None:
    """Progress on stderr, ASCII only (safe on any Windows console code page)."""
    print(f"wheelhouse: {message}", file=sys.stderr, flush=True)


def _pip(args: list[str], *, verbose: bool, what: str) -> str:
    """Run ``python -m pip ARGS``; return its output, or raise :class:`Failure` naming what failed."""
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    if verbose:
        _say("running " + " ".join(command))
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace", env=env)
    output = proc.stdout + proc.stderr
    if verbose:
        sys.stderr.write(output)
    if proc.returncode != 0:
        raise Failure(_explain(output, what))
    return output


def _explain(output: str, what: str) -> str:
    """One line out of pip's error output."""
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing:
        requirement = missing.group(1)
        wanted = re.search(
            r"Could not find a version that satisfies the requirement " + re.escape(requirement)
            + r"(?: \(from ([^)]*)\))?(?: \(from versions: ([^)]*)\))?", output)
        needed_by = f" (needed by {wanted.group(1)})" if wanted and wanted.group(1) else ""
        versions = [v.strip() for v in (wanted.group(2) if wanted and wanted.group(2) else "none").split(",")]
        fit = ("no release has a wheel for it" if versions == ["none"]
               else "the newest releases with a fitting wheel: " + ("..., " if len(versions) > 3 else "")
               + ", ".join(versions[-3:]))
        return (f"{what}: {requirement}{needed_by} has no wheel for the target ({fit}); "
                f"pin another version, or build that wheel on a machine of the target's kind")
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith("ERROR:")]
    detail = errors[-1].removeprefix("ERROR:").strip() if errors else (output.strip().splitlines() or ["?"])[-1]
    return f"{what}: {detail}"


def read_wheel(path: Path) -> Wheel:
    """A wheel's name, version and ``Requires-Dist`` from its METADATA."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if not names:
            raise Failure(f"{path.name}: not a wheel (no .dist-info/METADATA)")
        text = archive.read(names[0]).decode("utf-8", errors="replace")
    meta = email.parser.Parser().parsestr(text, headersonly=True)
    requires = []
    for line in meta.get_all("Requires-Dist") or []:
        try:
            requires.append(Requirement(line))
        except InvalidRequirement as exc:
            raise Failure(f"{path.name}: cannot read its requirement '{line}' ({exc})") from None
    return Wheel(path=path, name=canonicalize_name(meta["Name"]), version=meta["Version"], requires=requires,
                 display=meta["Name"])


def scan(folder: Path) -> dict[str, Wheel]:
    wheels: dict[str, Wheel] = {}
    for path in sorted(folder.glob("*.whl")):
        wheel = read_wheel(path)
        if wheel.name in wheels:
            raise Failure(f"two versions of {wheel.name} were downloaded ({wheels[wheel.name].path.name}, "
                          f"{path.name}): pin one in the project's dependencies")
        wheels[wheel.name] = wheel
    not_wheels = [p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".whl"]
    if not_wheels:
        raise Failure(f"{not_wheels[0]} is no wheel: it would need building on the target")
    return wheels


def applies(requirement: Requirement, target: Target, extras: set[str]) -> bool:
    """Whether a requirement holds on the target, for the extras asked of its package."""
    if requirement.marker is None:
        return True
    env = target.environment
    return any(requirement.marker.evaluate({**env, "extra": extra}) for extra in {"", *extras})


def closure(wheels: dict[str, Wheel], root: str, target: Target) -> tuple[set[str], list[Requirement]]:
    """What the target installs from ``root``: the packages found, and requirements with no fitting
    wheel in ``wheels`` (missing, or of a version outside the specifier)."""
    seen: set[str] = set()
    extras_of: dict[str, set[str]] = {root: set()}
    missing: dict[str, Requirement] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        seen.add(name)
        for req in wheels[name].requires:
            if not applies(req, target, extras_of[name]):
                continue
            dep = canonicalize_name(req.name)
            wheel = wheels.get(dep)
            if wheel is None or not req.specifier.contains(wheel.version, prereleases=True):
                missing[str(req)] = req
                continue
            extras = extras_of.setdefault(dep, set())
            if dep not in seen or not set(req.extras) <= extras:
                extras |= set(req.extras)
                seen.discard(dep)
                todo.append(dep)
    return seen, list(missing.values())


def build(target: Target, out: Path, *, project: Path, with_demo: bool, verbose: bool) -> str:
    """Fill ``out`` (an empty folder) with the wheelhouse; return the summary line."""
    started = time.perf_counter()
    _say(f"building the wheel of {project}")
    with tempfile.TemporaryDirectory(prefix="wheelhouse-src-") as scratch:
        source = Path(scratch) / project.name
        shutil.copytree(project, source, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
        _pip(["wheel", "--no-deps", "--wheel-dir", str(out), str(source)], verbose=verbose,
             what=f"building the wheel of {project}")
    own = [read_wheel(p) for p in out.glob("*.whl")]
    if len(own) != 1:
        raise Failure(f"building the wheel of {project} gave {len(own)} wheels")
    root = own[0]
    _say(f"downloading the dependencies of {root.name} {root.version} for {target.label}")
    _pip(["download", "--dest", str(out), *target.pip_args(), str(root.path)], verbose=verbose,
         what=f"downloading for {target.label}")
    for _ in range(10):
        wheels = scan(out)
        keep, missing = closure(wheels, root.name, target)
        if not missing:
            break
        _say("pip judged environment markers by this machine; adding for the target: "
             + ", ".join(str(r) for r in missing))
        pins = out / "constraints.tmp"
        pins.write_text("".join(f"{w.name}=={w.version}\n" for w in wheels.values() if w.name != root.name),
                        encoding="utf-8")
        try:
            requirements = [f"{r.name}{'[' + ','.join(sorted(r.extras)) + ']' if r.extras else ''}{r.specifier}"
                            for r in missing]
            _pip(["download", "--dest", str(out), *target.pip_args(), "-c", str(pins), *requirements],
                 verbose=verbose, what=f"downloading for {target.label}")
        finally:
            pins.unlink()
    else:
        raise Failure("the dependencies did not settle after 10 rounds: " + ", ".join(str(r) for r in missing))
    dropped = sorted(name for name in wheels if name not in keep)
    for name in dropped:
        wheels[name].path.unlink()
    if dropped:
        _say(f"left out, not used on the target: {', '.join(dropped)}")
    if with_demo and (project / "data" / "demo" / "scenario.toml").is_file():
        shutil.copytree(project / "data" / "demo", out / "demo")
    write_readme(out, target, root, len(keep))
    write_sums(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return (f"{len(keep)} wheels, {size / 1e6:.0f} MB, for {target.label}, "
            f"in {time.perf_counter() - started:.0f} s")


def write_readme(out: Path, target: Target, root: Wheel, count: int) -> None:
    if target.platform == "windows":
        py = f"py -{target.python}"
        venv_python = r"C:\geo_patrol\venv\Scripts\python.exe"
        steps = [
            rf"{py} -m venv C:\geo_patrol\venv",
            rf'{venv_python} -m pip install --no-index --find-links "%CD%" {root.display}',
            r"C:\geo_patrol\venv\Scripts\geo-patrol.exe --version",
            r"C:\geo_patrol\venv\Scripts\geo-patrol.exe plan demo\scenario.toml --out C:\geo_patrol\demo_plan",
        ]
        where = "Open a Command Prompt (cmd.exe) in this folder and run:"
    else:
        steps = [
            f"python{target.python} -m venv ~/geo_patrol_venv",
            f'~/geo_patrol_venv/bin/python -m pip install --no-index --find-links "$PWD" {root.display}',
            "~/geo_patrol_venv/bin/geo-patrol --version",
            "~/geo_patrol_venv/bin/geo-patrol plan demo/scenario.toml --out ~/demo_plan",
        ]
        where = "Open a terminal in this folder and run:"
    text = "\n".join([
        f"{README_MARK}: {root.display} {root.version}",
        f"For: {target.label}. {count} wheels, made {time.strftime('%Y-%m-%d')} by tools/wheelhouse.py.",
        "",
        "Install (no internet needed; Python " + target.python + " must be installed first):",
        where,
        "",
        *[f"    {s}" for s in steps],
        "",
        "The last line plans the demo county in demo/ (a minute or so). With your own data:",
        "    geo-patrol plan your_county/scenario.toml --out plan_2026_autumn",
        "",
        "SHA256SUMS.txt lists every file's SHA-256: check it after copying "
        + ("(certutil -hashfile FILE SHA256)." if target.platform == "windows" else "(sha256sum -c SHA256SUMS.txt)."),
        "",
        "离线安装包：先装好 Python " + target.python + "，在本文件夹中执行上面的命令即可，无需联网。",
        "",
    ])
    newline = "\r\n" if target.platform == "windows" else "\n"
    (out / "README.txt").write_bytes(text.replace("\n", newline).encode("utf-8-sig"))


def write_sums(out: Path) -> None:
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(out).as_posix()}\n")
    (out / "SHA256SUMS.txt").write_text("".join(lines), encoding="utf-8", newline="\n")


def is_wheelhouse(folder: Path) -> bool:
    """An existing folder this script may replace: empty, or one it wrote."""
    if not any(folder.iterdir()):
        return True
    readme = folder / "README.txt"
    return readme.is_file() and README_MARK in readme.read_text(encoding="utf-8-sig", errors="replace")[:200]


def swap_in(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``. A folder cannot be renamed onto an existing one on Windows, so the
    old one is first renamed aside and removed after the new one is in place."""
    if not out.exists():
        new.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    out.rename(old)
    try:
        new.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def default_target() -> Target:
    system = "windows" if sys.platform == "win32" else "linux"
    return Target(platform=system, python=f"{sys.version_info.major}.{sys.version_info.minor}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    here = default_target()
    parser = argparse.ArgumentParser(
        prog="wheelhouse",
        description="Download every wheel geo_patrol needs for an offline install on another machine.",
    )
    parser.add_argument("--platform", choices=PLATFORMS, default=here.platform,
                        help=f"target: linux (x86-64 manylinux) or windows (win_amd64); default {here.platform}")
    parser.add_argument("--python", choices=PYTHONS, default=here.python if here.python in PYTHONS else "3.11",
                        help="target CPython version (default: the one running this script)")
    parser.add_argument("--glibc", default=DEFAULT_GLIBC,
                        help=f"linux only: the target's glibc, 'ldd --version' (default {DEFAULT_GLIBC})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write (default dist/wheelhouse-PLATFORM-pyVERSION in the project)")
    parser.add_argument("--project", type=Path, default=ROOT, help="project to package (default: this checkout)")
    parser.add_argument("--force", action="store_true", help="replace an existing wheelhouse folder")
    parser.add_argument("--no-demo", action="store_true", help="do not copy the demo county into demo/")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pip's own output")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = Target(platform=args.platform, python=args.python, glibc=args.glibc)
    out = (args.out or args.project / "dist" / f"wheelhouse-{target.platform}-py{target.python}").resolve()
    work: Path | None = None
    try:
        target.tags  # noqa: B018 - checks --glibc before any download
        if not (args.project / "pyproject.toml").is_file():
            raise Failure(f"{args.project} has no pyproject.toml: give --project the project's folder")
        if out.exists():
            if not out.is_dir():
                raise Failure(f"{out} is a file: give --out a folder")
            if not args.force:
                raise Failure(f"{out} exists: add --force to replace it")
            if not is_wheelhouse(out):
                raise Failure(f"{out} is not a wheelhouse this script wrote: it is not replaced; choose another --out")
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
        summary = build(target, work, project=args.project.resolve(), with_demo=not args.no_demo,
                        verbose=args.verbose)
        swap_in(work, out)
        work = None
    except Failure as exc:
        print(f"wheelhouse: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"wheelhouse: error: {exc.filename or ''} {exc.strerror or exc}".replace("  ", " "), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("wheelhouse: interrupted; nothing was written", file=sys.stderr)
        return 130
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"wheelhouse: {summary} -> {out}")
    print(f"wheelhouse: install with: python -m pip install --no-index --find-links \"{out}\" geo_patrol")
    return 0


if __name__ == "__main__":
    sys.exit(main())
