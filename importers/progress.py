"""Progress bars, on a terminal only (scripts and logs get none): bytes of a file read,
readings answered."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


@contextmanager
def _bar(label: str, count: ProgressColumn, total: int) -> Iterator[Callable[[int], None]]:
    with Progress(
        TextColumn(label),
        BarColumn(),
        count,
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def receipt_progress(total: int) -> AbstractContextManager[Callable[[int], None]]:
    """A callback that advances the bar by the readings of each answered batch."""
    return _bar("readings answered", MofNCompleteColumn(), total)


def file_progress(size: int) -> AbstractContextManager[Callable[[int], None]]:
    """A callback that advances the bar by the bytes of each chunk read and checked."""
    return _bar("file checked", DownloadColumn(), size)
