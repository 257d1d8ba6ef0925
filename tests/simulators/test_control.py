"""Fault spelling and the control file (unit level; the running simulator is in test_faults.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulators.control import ControlFile, read_faults, write_faults
from simulators.faults import Fault, FaultError, FaultKind, parse_assignment, parse_fault


def test_parse_faults_with_and_without_seconds() -> None:
    assert parse_fault("slow") == Fault(FaultKind.SLOW, 1.5)
    assert parse_fault("slow:0.25") == Fault(FaultKind.SLOW, 0.25)
    assert parse_fault("FLAPPING:2") == Fault(FaultKind.FLAPPING, 2.0)
    assert parse_fault("busy").kind is FaultKind.BUSY
    assert parse_assignment("a/b=timeout") == ("a/b", Fault(FaultKind.TIMEOUT))


@pytest.mark.parametrize(
    ("text", "needle"),
    [("melting", "melting"), ("busy:3", "no parameter"), ("slow:x", "'x'"), ("slow:-1", "seconds")],
)
def test_bad_faults_say_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(FaultError, match=needle):
        parse_fault(text)


def test_assignment_needs_site_and_meter() -> None:
    with pytest.raises(FaultError, match="SITE/METER=KIND"):
        parse_assignment("b1-elec=timeout")


def test_write_faults_is_atomic_and_every_write_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "control.json"
    watcher = ControlFile(path)
    assert watcher.changed() is None  # no file yet
    write_faults(path, {"s/m": "timeout"})
    assert watcher.changed() == {"s/m": Fault(FaultKind.TIMEOUT)}
    assert watcher.changed() is None  # unchanged
    write_faults(path, {"s/m": "busy"})  # same size, same second: still a change
    assert watcher.changed() == {"s/m": Fault(FaultKind.BUSY)}
    assert json.loads(path.read_text()) == {"faults": {"s/m": "busy"}}
    assert [p.name for p in path.parent.iterdir()] == ["control.json"]  # no temporary left
    path.unlink()
    assert watcher.changed() == {}  # removed: back to the flags' faults


def test_write_faults_refuses_what_the_simulator_would(tmp_path: Path) -> None:
    with pytest.raises(FaultError):
        write_faults(tmp_path / "c.json", {"s/m": "melting"})
    with pytest.raises(FaultError):
        write_faults(tmp_path / "c.json", {"no-slash": "timeout"})
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{nope", "not valid JSON"),
        ('{"faults": []}', "expected"),
        ('{"faults": {"s/m": 3}}', "faults.s/m"),
        ('{"faults": {"s/m": "melting"}}', "faults.s/m"),
    ],
)
def test_read_faults_names_file_and_entry(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "control.json"
    path.write_text(content)
    with pytest.raises(FaultError, match=needle) as info:
        read_faults(path)
    assert str(path) in str(info.value)
