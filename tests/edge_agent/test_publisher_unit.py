"""Publisher logic with a recording link (unit level; the real broker is in test_agent_*.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from edge_agent.metrics import Metrics
from edge_agent.outbox import AsyncOutbox, Outbox
from edge_agent.publisher import Publisher


class RecordingLink:
    def __init__(self) -> None:
        self.connected = True
        self.sent: list[tuple[int, bytes]] = []

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        self.sent.append((len(self.sent) + 1, payload))
        return len(self.sent)


def _setup(tmp_path: Path, n: int, window: int = 3):
    box = Outbox(tmp_path / "o.sqlite", budget_bytes=10**9)
    for _ in range(n):
        box.append(lambda seq: f'{{"seq": {seq}}}'.encode())
    outbox = AsyncOutbox(box)
    link = RecordingLink()
    errors: list[str] = []
    pub = Publisher(
        outbox, link, "t", Metrics(), replay_rate=1000, window=window, on_error=errors.append
    )
    return pub, link, box, errors


def test_publishes_oldest_first_within_the_window_and_deletes_on_ack(tmp_path: Path) -> None:
    pub, link, box, _ = _setup(tmp_path, 5)

    async def scenario() -> None:
        await pub.pump()
        assert [p for _, p in link.sent] == [b'{"seq": 0}', b'{"seq": 1}', b'{"seq": 2}']
        pub.on_puback(1, True, "Success")
        pub.on_puback(2, True, "Success")
        await asyncio.gather(*pub._tasks)
        await pub.pump()

    asyncio.run(scenario())
    assert [p for _, p in link.sent][3:] == [b'{"seq": 3}', b'{"seq": 4}']
    assert [r.seq for r in box.after(-1, 10)] == [2, 3, 4]  # only acknowledged ones left


def test_nothing_new_is_handed_over_while_disconnected(tmp_path: Path) -> None:
    pub, link, _, _ = _setup(tmp_path, 3)
    link.connected = False
    asyncio.run(pub.pump())
    assert link.sent == []


def test_a_refused_publish_keeps_the_batch_and_sends_it_again(tmp_path: Path) -> None:
    pub, link, box, errors = _setup(tmp_path, 2)

    async def scenario() -> None:
        await pub.pump()
        pub.on_puback(1, False, "Not authorized")
        pub._paused_until = 0  # skip the 5 s pause
        await pub.pump()

    asyncio.run(scenario())
    assert errors and "seq 0" in errors[0] and "Not authorized" in errors[0]
    assert [p for _, p in link.sent].count(b'{"seq": 0}') == 2
    assert [r.seq for r in box.after(-1, 10)] == [0, 1]
