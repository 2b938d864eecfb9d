"""Write the reference outputs of a checkout, and compare two such snapshots file by file.

    python tools/snapshot_outputs.py write OUT [--skip-beijing] [--only NAME ...]
    python tools/snapshot_outputs.py compare BEFORE AFTER

``write`` runs, with ``SOURCE_DATE_EPOCH`` set, the cases a restructuring must leave unchanged:
the demo plan with seeds 1, 2 and 3, the demo with ``--posts 60``, the demo semester, a batch of
two counties (the demo and the demo with 12 cars) and the central Beijing benchmark (when
``../shared/data`` is beside the checkout). It runs the package that Python imports, so
``PYTHONPATH=OLD_CHECKOUT python tools/snapshot_outputs.py write BEFORE`` snapshots an older
version with the same script.

``compare`` reads every file of both trees as bytes; the only bytes allowed to differ are the
wall-clock fields (``runtime_s``, ``timing_s``, ``elapsed_s`` and ``seconds`` keys at any depth)
of JSON files (where the paths they name may differ by the snapshot's folder and the checkout's),
and the keys named by ``--new-keys`` that the AFTER side adds (a change that adds
data, such as the reasons of ``plan.json``, and states it). It prints each file that differs and
exits 1 when one does, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
EPOCH = "1790000000"
CWD = Path("/") if os.name != "nt" else Path.home()  # not the checkout: python -c puts the cwd first on sys.path
CLOCK_KEYS = {"runtime_s", "timing_s", "elapsed_s", "seconds", "wall_s"}


def _run(args: list[str], env: dict) -> None:
    print("  $", " ".join(args), flush=True)
    subprocess.run(args, check=True, env=env, cwd=CWD)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from geo_patrol.cli import main; sys.exit(main())", *args]


def _area(root: Path) -> Path:
    """Two counties: the demo, and the demo with its fleet cut to 12 cars."""
    for name in ("north", "south"):
        shutil.copytree(DEMO, root / name)
    stations = root / "south" / "stations.csv"
    text = stations.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    col = next(i for i, h in enumerate(header) if h.strip().lower() in {"cars", "车辆", "警车"})
    rows = [line.split(",") for line in text[1:]]
    left = 12
    for row in rows:
        keep = min(int(row[col]), max(0, left))
        left -= keep
        row[col] = str(keep)
    stations.write_text("\n".join([text[0]] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")
    return root


CASES = {
    "seed1": lambda out: _cli("plan", "--out", str(out), "--seed", "1"),
    "seed2": lambda out: _cli("plan", "--out", str(out), "--seed", "2"),
    "seed3": lambda out: _cli("plan", "--out", str(out), "--seed", "3"),
    "posts60": lambda out: _cli("plan", "--out", str(out), "--posts", "60"),
    "semester": lambda out: _cli("semester", "--out", str(out)),
}


def write(out: Path, *, beijing: bool, only: list[str] | None) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    out.mkdir(parents=True, exist_ok=True)
    for name, args in CASES.items():
        if only and name not in only:
            continue
        shutil.rmtree(out / name, ignore_errors=True)
        _run(args(out / name), env)
    if not only or "batch" in only:
        shutil.rmtree(out / "batch", ignore_errors=True)
        shutil.rmtree(out / "_area", ignore_errors=True)
        area = _area(out / "_area")
        _run(_cli("batch", str(area), "--out", str(out / "batch"), "--workers", "1"), env)
        shutil.rmtree(area)
    shared = ROOT.parent / "shared" / "data"
    if beijing and shared.is_dir() and (not only or "beijing" in only):
        shutil.rmtree(out / "beijing", ignore_errors=True)
        _run([sys.executable, str(ROOT / "benchmarks" / "beijing_city.py"), "--out", str(out / "beijing"),
              "--no-baseline"], env)


def _strip(value, keys: set[str], root: str):
    """``value`` without ``keys`` at any depth, with paths told apart only by where the snapshot
    or the checkout lies made alike (``<snapshot>/…``, ``…/data/demo/…``)."""
    if isinstance(value, dict):
        return {k: _strip(v, keys, root) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_strip(v, keys, root) for v in value]
    if isinstance(value, str):
        value = value.replace(root, "<snapshot>")
        if "/data/demo/" in value:
            value = value[value.index("/data/demo/"):]
    return value


def _same(a: Path, b: Path, new_keys: set[str], roots: tuple[str, str]) -> bool:
    one, other = a.read_bytes(), b.read_bytes()
    if one == other:
        return True
    if a.suffix == ".json":
        try:
            return (_strip(json.loads(one), CLOCK_KEYS, roots[0])
                    == _strip(json.loads(other), CLOCK_KEYS | new_keys, roots[1]))
        except ValueError:
            return False
    return False


def compare(before: Path, after: Path, new_keys: set[str] = frozenset()) -> int:
    files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    bad = 0
    for rel in sorted(files_a - files_b):
        print(f"only in {before}: {rel}")
        bad += 1
    for rel in sorted(files_b - files_a):
        print(f"only in {after}: {rel}")
        bad += 1
    for rel in sorted(files_a & files_b):
        if not _same(before / rel, after / rel, set(new_keys), (str(before), str(after))):
            print(f"differs: {rel}")
            bad += 1
    print(f"{len(files_a & files_b)} files compared, {bad} differ")
    return 1 if bad else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--skip-beijing", action="store_true")
    w.add_argument("--only", nargs="*", default=None)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--new-keys", default="", help="comma-separated JSON keys the AFTER side may add (at any depth)")
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.out, beijing=not args.skip_beijing, only=args.only)
        return 0
    return compare(args.before, args.after, {k for k in args.new_keys.split(",") if k})


if __name__ == "__main__":
    sys.exit(main())
