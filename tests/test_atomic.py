"""Tests of geo_patrol.io.atomic: a file or a folder is written whole or not at all."""

from __future__ import annotations

import pytest

from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic, write_directory


def test_write_atomic_replaces_whole_files_only(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    write_atomic(target, "first")
    assert target.stat().st_mode & 0o777 == 0o644  # readable by others, like any output file
    write_atomic(target, b"second")
    assert target.read_text() == "second"

    def fail(*_args):
        raise OSError("no space left")

    monkeypatch.setattr("geo_patrol.io.atomic.os.replace", fail)
    with pytest.raises(OSError, match="no space left"):
        write_atomic(target, "third")
    assert target.read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def _fill(folder):
    (folder / "a.txt").write_text("a", encoding="utf-8")


def test_write_directory_makes_the_folder_whole_and_replaces_it_only_with_force(tmp_path):
    target = write_directory(tmp_path / "out", _fill)
    assert target == tmp_path / "out" and sorted(p.name for p in target.iterdir()) == ["a.txt"]
    with pytest.raises(InputError, match=r"^out: already exists — choose another --out or add --force to replace it$"):
        write_directory(target, _fill)

    def fill_b(folder):
        (folder / "b.txt").write_text("b", encoding="utf-8")

    write_directory(target, fill_b, force=True)
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_a_failing_fill_leaves_the_old_folder_and_nothing_else(tmp_path):
    target = write_directory(tmp_path / "out", _fill)

    def broken(folder):
        (folder / "half.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("solver crashed")

    with pytest.raises(RuntimeError, match="solver crashed"):
        write_directory(target, broken, force=True)
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_replaces_only_a_folder_the_caller_recognises(tmp_path):
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError, match=r"^photos: exists and is not a folder geo_patrol wrote; --force replaces only "
                                         r"those — choose another --out \(nothing was deleted\)$"):
        write_directory(mine, _fill, force=True, replaceable=lambda folder: (folder / "plan.json").is_file())
    assert sorted(p.name for p in mine.iterdir()) == ["holiday.jpg"]


def test_a_folder_holding_an_input_file_is_refused(tmp_path):
    inputs = tmp_path / "county"
    inputs.mkdir()
    (inputs / "schools.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^county: holds an input file \(schools\.csv\); writing there would replace "
                                         r"it — choose another --out$"):
        write_directory(inputs, _fill, force=True, protect=[inputs / "schools.csv"])
    assert (inputs / "schools.csv").read_text(encoding="utf-8") == "id\n"
