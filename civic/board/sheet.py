"""The printable sheet of participation codes a site's manager hands out, one slip per household."""

from __future__ import annotations

from pathlib import Path

from civic.board.codes import IssuedCode

CUT = "-" * 30 + " ✂ " + "-" * 30


def read_households(path: Path) -> tuple[list[str], list[int]]:
    """One unit per line, as written; blank lines and `#` comments skipped; no repeats. The
    units and the line each came from."""
    labels: list[str] = []
    lines: list[int] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        label = line.split("#", 1)[0].strip()
        if not label:
            continue
        if len(label) > 40:
            raise ValueError(f"{path}:{number}: household label over 40 characters")
        if label in labels:
            raise ValueError(f"{path}:{number}: household {label!r} listed twice")
        labels.append(label)
        lines.append(number)
    if not labels:
        raise ValueError(f"{path}: no household listed")
    return labels, lines


def sheet(site: str, site_name: str, codes: list[IssuedCode], board_url: str) -> str:
    slips = [
        "\n".join(
            (
                "광주 에너지 주민참여 게시판 참여 코드 / Residents' board participation code",
                f"단지 Site: {site_name} ({site})    세대 Household: {c.household}",
                f"코드 Code: {c.code}",
                f"한 번만 사용할 수 있습니다. One use only: {board_url}",
                CUT,
            )
        )
        for c in codes
    ]
    return "\n".join(slips) + "\n"
