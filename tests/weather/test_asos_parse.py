"""The ASOS daily CSV parser against golden cases (testcases/<case>/input.csv + expected.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from importers.asos import read_asos
from importers.errors import Refused

CASES = Path(__file__).parent / "testcases"
LIMIT = 1 << 20


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", _cases())
def test_golden_case(case: str) -> None:
    source = CASES / case / "input.csv"
    expected = json.loads((CASES / case / "expected.json").read_text(encoding="utf-8"))
    if "file_refused" in expected:
        with pytest.raises(Refused) as info:
            read_asos(source, 156, LIMIT)
        exc = info.value
        assert f"{Path(exc.path).name}:{exc.line}: {exc.message}" == expected["file_refused"]
        return
    got = read_asos(source, 156, LIMIT)
    assert got.encoding == expected["encoding"]
    days = [[d.day.isoformat(), d.mean_c, d.min_c, d.max_c] for d in got.days]
    assert days == expected["days"]
    assert all(d.station == 156 for d in got.days)
    assert [r.describe(source) for r in got.refused] == expected["refused"]


def test_the_cases_are_in_the_encodings_they_claim() -> None:
    """The CP949 cases must not decode as UTF-8, or they would not test the fallback."""
    raw = (CASES / "cp949_gwangju" / "input.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert (CASES / "utf8_bom_reordered" / "input.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_another_station_is_read_when_asked(tmp_path: Path) -> None:
    got = read_asos(CASES / "bad_rows" / "input.csv", 165, LIMIT)
    assert [(d.station, d.day.isoformat(), d.mean_c) for d in got.days] == [
        (165, "2026-02-03", 6.0)
    ]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe\x00\x00 not text", "neither CP949 nor UTF-8"),
        ("지점,지점명,일시,평균기온(°C),최저기온(°C),최고기온(°C)\n".encode(), "no data rows"),
    ],
)
def test_unreadable_files_are_refused_whole(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "asos.csv"
    path.write_bytes(content)
    with pytest.raises(Refused, match=says):
        read_asos(path, 156, LIMIT)


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "asos.csv"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(Refused, match="more than the limit of 1,024"):
        read_asos(path, 156, 1024)
