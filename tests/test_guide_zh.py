"""The Chinese user guide, README.zh-CN.md, is kept true by running it.

- Every command of every ```bash block is run, in the guide's order, from a temporary folder that
  holds a copy of ``data/demo`` (the guide's commands are written to run as they are from the
  repository root, and write only under ``demo_out/``; here that folder is the temporary one).
  Each must exit with 0, or with 3 where a comment line just above it says ``退出码 3`` (a
  hand-edited plan that breaks a rule); the rule names such a comment cites must be in the
  ``violations.csv`` of the plan the command evaluated.
- Every ``demo_out/...`` path the guide names exists afterwards, and the plan folder holds every
  file of the guide's plan-directory table.
- Blocks that are not run (```sh and ```bat: installing, which downloads hundreds of MB; see
  tools/check_offline_install.sh) are checked for what can be checked without running them: each
  ``geo-patrol`` and ``tools/wheelhouse.py`` line parses with the real argument parsers, and each
  offline ``pip install`` uses ``--no-index --find-links``.
- Every scenario key (``geo_patrol.scenario.TABLES``, ``Parameters``) and every accepted table
  header (``geo_patrol.io.tables``) is named in the guide.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo_patrol.cli import build_parser
from geo_patrol.io.tables import SCHOOL_FIELDS, SITE_FIELDS, STATION_FIELDS
from geo_patrol.model import Parameters
from geo_patrol.scenario import TABLES

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "README.zh-CN.md"
TIMEOUT_S = 300
BREACH_MARK = "退出码 3"


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)]


@dataclasses.dataclass(frozen=True)
class Command:
    line: str
    expect: int
    comment: str


def commands(body: str) -> list[Command]:
    """The commands of a block, one per line; a comment line with ``退出码 3`` sets the next one's code."""
    out: list[Command] = []
    comment = ""
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comment = line
            continue
        assert not line.endswith("\\"), f"keep each guide command on one line (cmd.exe has no '\\'): {line}"
        out.append(Command(line, 3 if BREACH_MARK in comment else 0, comment))
        comment = ""
    return out


GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
BLOCKS = blocks(GUIDE_TEXT)
RUN = [c for lang, body in BLOCKS if lang == "bash" for c in commands(body)]
NOT_RUN = [(lang, c) for lang, body in BLOCKS if lang in ("sh", "bat") for c in commands(body)]


def _environment() -> dict[str, str]:
    """This Python's scripts folder first on PATH, so that ``geo-patrol`` and ``python`` are ours."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _lane(command: Command) -> int:
    """The what-if commands read only the scenario and write their own folders: they run in a second
    lane beside the rest (2 cores; the whole guide then takes about 40 s instead of 60 s)."""
    return 1 if re.match(r"geo-patrol (posts|whatif)\b", command.line) else 0


@pytest.fixture(scope="module")
def guide_run(tmp_path_factory):
    """Run every ```bash command of the guide in a temporary copy; return (folder, results in guide order)."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    env = _environment()
    if shutil.which("geo-patrol", path=env["PATH"]) is None:
        pytest.skip("the geo-patrol command is not installed (pip install -e .)")
    work = tmp_path_factory.mktemp("guide_zh")
    shutil.copytree(ROOT / "data" / "demo", work / "data" / "demo")

    def run(command: Command):
        started = time.perf_counter()
        proc = subprocess.run(["bash", "-c", command.line], cwd=work, env=env, capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=TIMEOUT_S)
        return command, proc, time.perf_counter() - started

    def lane(number: int):
        return [run(command) for command in RUN if _lane(command) == number]

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        lanes = [pool.submit(lane, number) for number in (0, 1)]
        done = {id(result[0]): result for future in lanes for result in future.result()}
    return work, [done[id(command)] for command in RUN]


def test_the_guide_has_commands_to_run():
    assert len(RUN) >= 6
    assert any(c.expect == 3 for c in RUN), "the guide shows evaluate finding a breach"
    assert all("--time-limit 2" in c.line for c in RUN if re.match(r"geo-patrol (plan|whatif|posts)\b", c.line))


def test_every_bash_command_of_the_guide_runs(guide_run):
    _, results = guide_run
    failed = [
        f"{command.line}\n  exit code {proc.returncode}, the guide says {command.expect} ({seconds:.0f} s)\n"
        f"  stdout: {proc.stdout[-1500:]}\n  stderr: {proc.stderr[-1500:]}"
        for command, proc, seconds in results if proc.returncode != command.expect
    ]
    assert not failed, "\n".join(failed)


def test_breaches_the_guide_names_are_in_violations_csv(guide_run):
    work, results = guide_run
    for command, _, _ in results:
        if command.expect != 3:
            continue
        plan = shlex.split(command.line)
        folder = work / plan[plan.index("--plan") + 1]
        with open(folder / "violations.csv", encoding="utf-8-sig", newline="") as handle:
            rules = {row["rule"] for row in csv.DictReader(handle)}
        named = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", command.comment))
        assert named, f"the comment above '{command.line}' names the rule it breaks"
        assert named <= rules, f"{sorted(named - rules)} not in {folder / 'violations.csv'} ({sorted(rules)})"


def test_the_files_the_guide_names_exist(guide_run):
    work, results = guide_run
    named = sorted(set(re.findall(r"demo_out/[\w./-]*\w", GUIDE_TEXT, re.ASCII)))
    missing = [path for path in named if not (work / path).exists()]
    assert not missing, f"the guide names these but its commands did not write them: {missing}"
    section = GUIDE_TEXT.split("## 6.", 1)[1].split("\n## ", 1)[0]
    files = re.findall(r"^\| `([\w.]+)`(?:、`([\w.]+)`)?", section, re.M)
    files = {name for pair in files for name in pair if name}
    assert len(files) >= 12
    evaluated = [work / shlex.split(c.line)[-1] for c, _, _ in results if c.line.startswith("geo-patrol evaluate")]
    assert evaluated, "the guide evaluates a plan"
    absent = sorted(name for name in files if not (evaluated[0] / name).is_file())
    assert not absent, f"the guide's plan-directory table names files the plan does not have: {absent}"


def _wheelhouse_module():
    spec = importlib.util.spec_from_file_location("wheelhouse_tool", ROOT / "tools" / "wheelhouse.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("lang", "command"), NOT_RUN, ids=[c.line[:60] for _, c in NOT_RUN])
def test_commands_not_run_parse(lang, command):
    words = shlex.split(command.line, posix=(lang != "bat"))
    if words[0] == "geo-patrol":
        try:
            build_parser().parse_args(words[1:])
        except SystemExit as exc:  # --version prints and exits 0; a usage error exits 2
            assert exc.code == 0, f"{command.line}: not a valid geo-patrol command line"
    elif "tools/wheelhouse.py" in words:
        args = _wheelhouse_module().parse_args(words[words.index("tools/wheelhouse.py") + 1:])
        assert args.out is not None
    elif "install" in words and "pip" in words and "-e" not in words:
        assert "--no-index" in words and "--find-links" in words, command.line


def test_not_run_blocks_cover_both_systems():
    assert any(lang == "bat" for lang, _ in NOT_RUN) and any(lang == "sh" for lang, _ in NOT_RUN)
    lines = [c.line for _, c in NOT_RUN]
    assert any("--platform windows" in line for line in lines) and any("--platform linux" in line for line in lines)


def test_every_scenario_key_is_explained():
    keys = set(TABLES)
    for table in TABLES.values():
        keys |= set(table or ())
    keys |= {f.name for f in dataclasses.fields(Parameters)}
    missing = sorted(key for key in keys if f"`{key}`" not in GUIDE_TEXT and f"[{key}]" not in GUIDE_TEXT)
    assert not missing, f"README.zh-CN.md does not explain these scenario keys: {missing}"


def test_every_table_header_is_listed():
    headers = {alias for fields in (SCHOOL_FIELDS, STATION_FIELDS, SITE_FIELDS) for spec in fields
               for alias in spec.headers}
    missing = sorted(h for h in headers if f"`{h}`" not in GUIDE_TEXT)
    assert not missing, f"README.zh-CN.md does not list these accepted headers: {missing}"


# The wheelhouse the guide's offline install relies on: what can be checked without downloading.


def test_wheelhouse_targets_name_every_older_manylinux():
    tool = _wheelhouse_module()
    tags = tool.Target("linux", "3.11", glibc="2.28").tags
    assert tags[0] == "manylinux_2_28_x86_64" and tags[-1] == "manylinux1_x86_64"
    assert {"manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64"} <= set(tags)
    assert tool.Target("windows", "3.12").tags == ["win_amd64"]


def test_wheelhouse_judges_markers_by_the_target_not_this_machine():
    tool = _wheelhouse_module()
    requirement = tool.Requirement
    windows, linux310 = tool.Target("windows", "3.11"), tool.Target("linux", "3.10")
    assert tool.applies(requirement("tzdata>=2024.1; sys_platform == 'win32'"), windows, set())
    assert not tool.applies(requirement("tzdata>=2024.1; sys_platform == 'win32'"), linux310, set())
    assert tool.applies(requirement("tomli>=2.0; python_version < '3.11'"), linux310, set())
    assert tool.applies(requirement("pytest; extra == 'test'"), windows, {"test"})
    assert not tool.applies(requirement("pytest; extra == 'test'"), windows, set())


def test_wheelhouse_closure_adds_what_the_target_needs_and_drops_the_rest(tmp_path):
    tool = _wheelhouse_module()
    wheel = tool.Wheel
    reqs = [tool.Requirement(r) for r in ("tqdm", "uvloop; sys_platform != 'win32'", "pytest; extra == 'test'")]
    wheels = {
        "app": wheel(tmp_path / "app.whl", "app", "1.0", requires=reqs),
        "tqdm": wheel(tmp_path / "tqdm.whl", "tqdm", "4.0",
                      requires=[tool.Requirement("colorama; platform_system == 'Windows'")]),
        "uvloop": wheel(tmp_path / "uvloop.whl", "uvloop", "0.19"),
    }
    keep, missing = tool.closure(wheels, "app", tool.Target("windows", "3.11"))
    assert keep == {"app", "tqdm"} and [r.name for r in missing] == ["colorama"]
    keep, missing = tool.closure(wheels, "app", tool.Target("linux", "3.11"))
    assert keep == {"app", "tqdm", "uvloop"} and missing == []


def test_wheelhouse_names_the_package_without_a_wheel():
    tool = _wheelhouse_module()
    output = ("ERROR: Could not find a version that satisfies the requirement pyvrp<0.15,>=0.10 (from geo-patrol) "
              "(from versions: none)\nERROR: No matching distribution found for pyvrp<0.15,>=0.10\n")
    message = tool._explain(output, "downloading")
    assert "pyvrp<0.15,>=0.10 (needed by geo-patrol) has no wheel for the target" in message
    assert "\n" not in message
