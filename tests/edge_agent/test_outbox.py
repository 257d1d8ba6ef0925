"""The SQLite outbox: append before publish, delete on ack, order, budget, seq across restarts."""

from __future__ import annotations

import json
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from edge_agent.outbox import Outbox
from tests.support.processes import Processes


def _payload(size: int = 100):
    def build(seq: int) -> bytes:
        body = json.dumps({"seq": seq, "pad": "x" * size})
        return body.encode()

    return build


def test_append_assigns_consecutive_seqs_and_returns_oldest_first(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", budget_bytes=10**9)
    seqs = [box.append(_payload())[0] for _ in range(5)]
    assert seqs == [0, 1, 2, 3, 4]
    rows = box.after(-1, 10)
    assert [r.seq for r in rows] == seqs
    assert [json.loads(r.payload)["seq"] for r in rows] == seqs  # seq is inside the payload too
    assert [r.seq for r in box.after(2, 10)] == [3, 4]
    assert [r.seq for r in box.after(-1, 2)] == [0, 1]


def test_delete_only_removes_the_acknowledged_batch(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", budget_bytes=10**9)
    for _ in range(3):
        box.append(_payload())
    assert box.delete(1) is True
    assert box.delete(1) is False
    assert [r.seq for r in box.after(-1, 10)] == [0, 2]
    stats = box.stats()
    assert stats.depth == 2 and stats.bytes == sum(len(r.payload) for r in box.after(-1, 10))


def test_seq_and_unacked_batches_survive_reopen_even_when_emptied(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    box = Outbox(path, budget_bytes=10**9)
    for _ in range(4):
        box.append(_payload())
    box.delete(0)
    box.close()
    box = Outbox(path, budget_bytes=10**9)
    assert [r.seq for r in box.after(-1, 10)] == [1, 2, 3]
    for seq in (1, 2, 3):
        box.delete(seq)
    box.close()
    box = Outbox(path, budget_bytes=10**9)
    assert box.append(_payload())[0] == 4  # not reset by an empty outbox


def test_budget_drops_oldest_and_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    one = len(_payload(1000)(0))
    box = Outbox(path, budget_bytes=one * 3 + 10)
    dropped = [box.append(_payload(1000))[1] for _ in range(6)]
    assert sum(dropped) == 3
    assert [r.seq for r in box.after(-1, 10)] == [3, 4, 5]
    assert box.stats().dropped == 3
    box.close()
    assert Outbox(path, budget_bytes=one * 3 + 10).stats().dropped == 3


def test_a_batch_dropped_in_flight_and_then_acked_leaves_the_count_once(tmp_path: Path) -> None:
    """Seq 0 was handed to the broker, dropped past the budget, then acknowledged (twice,
    as after a rewind): it was delivered, so the count says 2 dropped, not 3 nor 1."""
    path = tmp_path / "o.sqlite"
    one = len(_payload(1000)(0))
    box = Outbox(path, budget_bytes=one * 3 + 10)
    for _ in range(6):
        box.append(_payload(1000))
    assert box.stats().dropped == 3  # seqs 0, 1, 2
    assert box.delete(0) is False and box.stats().dropped == 2
    assert box.delete(0) is False and box.stats().dropped == 2
    assert box.delete(7) is False and box.stats().dropped == 2  # never stored nor dropped
    assert box.delete(3) is True and box.stats().dropped == 2
    box.close()
    assert Outbox(path, budget_bytes=one * 3 + 10).stats().dropped == 2


def test_the_newest_batch_is_kept_even_when_larger_than_the_budget(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", budget_bytes=10)
    box.append(_payload(50))
    seq, dropped = box.append(_payload(50))
    assert (seq, dropped) == (1, 1)
    assert [r.seq for r in box.after(-1, 10)] == [1]


def test_wal_mode(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", budget_bytes=10)
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.timeout(30)
def test_sigkill_after_append_loses_no_committed_batch(
    tmp_path: Path, processes: Processes
) -> None:
    """A child appends, reports each seq, and SIGKILLs itself mid-run."""
    path = tmp_path / "o.sqlite"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from edge_agent.outbox import Outbox
        box = Outbox(__import__("pathlib").Path({str(path)!r}), budget_bytes=10**9)
        for i in range(50):
            seq, _ = box.append(lambda s: b'{{"n": %d}}' % s)
            print(seq, flush=True)
            if i == 30:
                os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = processes.run([sys.executable, "-c", script], timeout=25)
    assert proc.returncode == -signal.SIGKILL
    reported = [int(x) for x in proc.stdout.split()]
    assert reported == list(range(31))
    box = Outbox(path, budget_bytes=10**9)
    assert [r.seq for r in box.after(-1, 100)] == reported
    assert box.append(lambda s: b"{}")[0] == 31
