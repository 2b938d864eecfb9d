"""The package's layout: the stages import only the stages below them, and the code is lint-clean.

Both checks run the tools a developer runs, from the repository root, with the configuration in
``pyproject.toml`` (import-linter's layer and solver contracts, ruff's rule selection).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    """The console script of a test dependency, beside this Python first, then on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def test_import_contracts_hold():
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    result = _run(_tool("lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout


def test_ruff_finds_nothing():
    result = _run(_tool("ruff"), "check", "--no-cache", "geo_patrol", "tests", "tools", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
