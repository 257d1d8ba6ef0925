"""A progress bar of readings answered, on a terminal only (scripts and logs get none)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def receipt_progress(total: int) -> Iterator[Callable[[int], None]]:
    """A callback that advances the bar by the readings of each answered batch."""
    with Progress(
        TextColumn("readings answered"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("import", total=total)
        yield lambda n: bar.advance(task, n)
