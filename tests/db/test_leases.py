"""Rollup partition leases on both engines: one holder at a time, taken over after expiry."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from telemetry.db.leases import Lease, acquire, leases, release, renew

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TTL = 30.0
FP = "a" * 64  # a registry slice's fingerprint (SHA-256 hex)


def _acquire(engine: Engine, holder: str, now: datetime, partition: str = "29110") -> Lease | None:
    with engine.begin() as conn:
        return acquire(conn, partition, holder, FP, now, TTL)


def _renew(engine: Engine, holder: str, now: datetime, partition: str = "29110") -> bool:
    with engine.begin() as conn:
        return renew(conn, partition, holder, now, TTL)


def _stored(engine: Engine) -> list[Lease]:
    with engine.connect() as conn:
        return leases(conn)


def test_a_free_partition_is_acquired_at_generation_one(engine: Engine) -> None:
    lease = _acquire(engine, "w1", T0)
    expires = T0 + timedelta(seconds=TTL)
    assert lease == Lease("29110", "w1", FP, 1, expires, None)
    assert _stored(engine) == [Lease("29110", "w1", FP, 1, expires, None)]


def test_another_holder_is_refused_while_the_lease_is_live(engine: Engine) -> None:
    _acquire(engine, "w1", T0)
    just_before_expiry = T0 + timedelta(seconds=TTL - 0.001)
    assert _acquire(engine, "w2", just_before_expiry) is None
    assert [lease.holder for lease in _stored(engine)] == ["w1"]


def test_the_holder_acquires_again_without_a_new_generation(engine: Engine) -> None:
    _acquire(engine, "w1", T0)
    later = T0 + timedelta(seconds=10)
    with engine.begin() as conn:
        again = acquire(conn, "29110", "w1", "b" * 64, later, TTL)
    assert again == Lease("29110", "w1", "b" * 64, 1, later + timedelta(seconds=TTL), None)
    # Its own expired lease, nobody having taken it: still the same holder, same generation.
    own_expired = _acquire(engine, "w1", later + timedelta(hours=1))
    assert own_expired is not None and (own_expired.generation, own_expired.taken_from) == (1, None)


def test_renew_extends_only_a_live_lease_of_ours(engine: Engine) -> None:
    _acquire(engine, "w1", T0)
    assert _renew(engine, "w1", T0 + timedelta(seconds=20))
    assert _stored(engine)[0].expires_at == T0 + timedelta(seconds=20 + TTL)
    assert not _renew(engine, "w2", T0 + timedelta(seconds=21))
    assert not _renew(engine, "w1", T0 + timedelta(seconds=20 + TTL))  # expired at that instant
    assert not _renew(engine, "w1", T0, partition="never-acquired")


def test_an_expired_lease_is_taken_over_and_its_old_holder_fenced(engine: Engine) -> None:
    _acquire(engine, "w1", T0)
    at_expiry = T0 + timedelta(seconds=TTL)
    taken = _acquire(engine, "w2", at_expiry)
    assert taken == Lease("29110", "w2", FP, 2, at_expiry + timedelta(seconds=TTL), "w1")
    assert not _renew(engine, "w1", at_expiry)
    assert _acquire(engine, "w1", at_expiry + timedelta(seconds=1)) is None
    assert [(lease.holder, lease.generation) for lease in _stored(engine)] == [("w2", 2)]


def test_release_lets_another_take_it_at_once(engine: Engine) -> None:
    _acquire(engine, "w1", T0)
    with engine.begin() as conn:
        release(conn, "29110", "w2")  # not w2's: nothing happens
    assert _acquire(engine, "w2", T0) is None
    with engine.begin() as conn:
        release(conn, "29110", "w1")
    assert not _renew(engine, "w1", T0)
    taken = _acquire(engine, "w2", T0)
    assert taken is not None and (taken.generation, taken.taken_from) == (2, "w1")


def test_leases_lists_every_partition_live_or_not(engine: Engine) -> None:
    for partition, holder in (("p1", "w2"), ("p0", "w1")):
        _acquire(engine, holder, T0, partition=partition)
    with engine.begin() as conn:
        release(conn, "p1", "w2")
    listed = _stored(engine)
    assert [(lease.partition, lease.holder) for lease in listed] == [("p0", "w1"), ("p1", "w2")]
    assert listed[1].expires_at <= T0 < listed[0].expires_at


def test_an_acquire_is_undone_with_the_callers_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        assert acquire(conn, "29110", "w1", FP, T0, TTL) is not None
        raise RuntimeError("the caller's later step failed")
    assert _stored(engine) == []


ROUNDS = 40


@pytest.mark.parametrize("start", ["absent", "expired"])
def test_of_two_concurrent_takers_exactly_one_wins_each_round(engine: Engine, start: str) -> None:
    """Each thread has its own connection; the barrier lines up both acquires every round."""
    if start == "expired":
        for n in range(ROUNDS):
            _acquire(engine, "dead", T0 - timedelta(hours=1), partition=f"p{n}")
    barrier = threading.Barrier(2)
    wins: dict[str, list[int]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []

    def worker(holder: str) -> None:
        try:
            with engine.connect() as conn:
                for n in range(ROUNDS):
                    barrier.wait(timeout=30)
                    with conn.begin():
                        if acquire(conn, f"p{n}", holder, FP, T0, TTL) is not None:
                            wins[holder].append(n)
                        leases(conn)  # a lost race leaves the transaction usable
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(h,)) for h in wins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(wins["w1"] + wins["w2"]) == list(range(ROUNDS))
    stored = {lease.partition: lease for lease in _stored(engine)}
    for holder, rounds in wins.items():
        assert all(stored[f"p{n}"].holder == holder for n in rounds)
    assert {lease.generation for lease in stored.values()} == {2 if start == "expired" else 1}


BAD: list[tuple[str, dict[str, Any]]] = [
    ("partition", {"partition": ""}),
    ("partition", {"partition": "p" * 65}),
    ("holder", {"holder": ""}),
    ("holder", {"holder": "w" * 129}),
    ("fingerprint", {"fingerprint": ""}),
    ("fingerprint", {"fingerprint": "f" * 65}),
    ("ttl_s", {"ttl_s": 0}),
    ("ttl_s", {"ttl_s": -5.0}),
    ("ttl_s", {"ttl_s": float("nan")}),
    ("ttl_s", {"ttl_s": float("inf")}),
    ("now", {"now": T0.replace(tzinfo=None)}),
]


def test_bad_input_is_refused_naming_the_field(engine: Engine) -> None:
    good = {"partition": "p0", "holder": "w1", "fingerprint": FP, "now": T0, "ttl_s": TTL}
    with engine.begin() as conn:
        for field, change in BAD:
            args = good | change
            with pytest.raises(ValueError, match=f"^{field}: "):
                acquire(conn, **args)
            if field != "fingerprint":
                with pytest.raises(ValueError, match=f"^{field}: "):
                    renew(conn, **{k: v for k, v in args.items() if k != "fingerprint"})
            if field in ("partition", "holder"):
                with pytest.raises(ValueError, match=f"^{field}: "):
                    release(conn, args["partition"], args["holder"])
    assert _stored(engine) == []
