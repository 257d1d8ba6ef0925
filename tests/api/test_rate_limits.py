"""Rate limits shared by every API process through the platform database (both engines), and
the RateLimit-Policy / RateLimit / Retry-After headers a client is told."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api import guards
from api.ratelimit import Policy, SharedBuckets, TokenBuckets, header_values
from devstack import flags, free_port
from devstack.platform import local_api_config
from telemetry.db import make_engine, rate_limits
from telemetry.db.tables import rate_limits as table
from tests.civic.board_api import board_app
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)
from tests.rollup import city
from tests.support.processes import Processes, python_m
from tests.support.served_api import SIGNING_KEY as SERVED_KEY
from tests.support.waiting import wait_until

NOW = 1_800_000_000.0
# RFC 8941 list members: "name";q=<int>;w=<int> and "name";r=<int>;t=<int>.
POLICY_ITEM = re.compile(r'^"[a-z-]+";q=\d+;w=\d+$')
STATE_ITEM = re.compile(r'^"[a-z-]+";r=\d+;t=\d+$')


def test_gcra_is_a_token_bucket() -> None:
    """A burst, then one request per interval; a refusal leaves the bucket as it was."""
    tat, taken = None, []
    for _ in range(4):
        new, verdict = rate_limits.gcra(tat, NOW, rate=0.5, burst=3)
        tat = new if verdict.allowed else tat
        taken.append((verdict.allowed, verdict.remaining, verdict.retry_after_s))
    assert taken == [(True, 2, 0.0), (True, 1, 0.0), (True, 0, 0.0), (False, 0, 2.0)]
    assert rate_limits.gcra(tat, NOW + 2.0, 0.5, 3)[1].allowed
    assert rate_limits.gcra(tat, NOW + 6.0, 0.5, 3)[1].remaining == 2  # refilled by 3 tokens


def test_header_values_are_structured_field_lists() -> None:
    address, redeem = Policy("address", 2.0, 60), Policy("redeem", 0.1, 5)
    full = rate_limits.Verdict(True, 59, 0.5, 0.0)
    empty = rate_limits.Verdict(False, 0, 50.0, 10.0)
    policies, states = header_values([(address, full), (redeem, empty)])
    assert policies == '"address";q=60;w=30, "redeem";q=5;w=50'
    assert states == '"address";r=59;t=1, "redeem";r=0;t=50'


@pytest.fixture
def second(db_url: str, engine: Engine) -> Iterator[Engine]:  # noqa: F811 (fixtures)
    """Another engine on the same database: what a second API process holds."""
    other = make_engine(db_url)
    yield other
    other.dispose()


def test_two_processes_share_one_budget(engine: Engine, second: Engine) -> None:  # noqa: F811
    policy = Policy("redeem", 0.1, 5)
    a, b = (SharedBuckets(e, policy, clock=lambda: NOW) for e in (engine, second))
    seen = [x.check("10.0.0.7") for x in (a, b, a, b, a, b)]
    assert [v.allowed for v in seen] == [True] * 5 + [False]
    assert [v.remaining for v in seen] == [4, 3, 2, 1, 0, 0]
    assert seen[-1].retry_after_s == pytest.approx(10.0)
    assert a.check("10.0.0.8").allowed  # another key, its own bucket
    with engine.connect() as conn:  # the key is kept as a digest, never as given
        buckets = conn.execute(select(table.c.bucket)).scalars().all()
    assert len(buckets) == 2 and not any("10.0.0" in b for b in buckets)


def test_concurrent_takes_never_exceed_the_burst(engine: Engine, second: Engine) -> None:  # noqa: F811
    policy = Policy("address", 0.001, 20)
    limiters = [SharedBuckets(e, policy, clock=lambda: NOW) for e in (engine, second)]
    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(lambda i: limiters[i % 2].check("one"), range(60)))
    assert sum(v.allowed for v in verdicts) == 20


def test_purge_deletes_only_full_buckets(engine: Engine) -> None:  # noqa: F811
    policy = Policy("resident", 1.0, 2)
    SharedBuckets(engine, policy, clock=lambda: NOW).check("a")
    SharedBuckets(engine, policy, clock=lambda: NOW + 10).check("b")
    assert rate_limits.purge(engine, NOW + 5) == 1  # a's bucket was full again at NOW + 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 1


def test_a_client_over_the_limit_gets_429_with_retry_after_and_ratelimit(
    engine: Engine,  # noqa: F811 (fixture)
    second: Engine,
    tmp_path: Path,
) -> None:
    """Two API apps on one database (two processes' worth): code tries from one address
    are counted once across both; the sixth is refused with the headers that say why."""
    sites = city.write_sites(tmp_path)
    apps = [board_app(e, sites) for e in (engine, second)]
    for app in apps:  # board_app gives tests a roomy bucket; the real, shared ones here
        app.state.board_limits = guards.default_limits(app)
        assert isinstance(app.state.board_limits["redeem"], SharedBuckets)
    clients = [TestClient(app) for app in apps]
    answers = [
        clients[i % 2].post("/v1/board/redeem", json={"code": "0000-0000-0000"}) for i in range(6)
    ]
    assert [r.status_code for r in answers] == [401] * 5 + [429]
    for r in answers:
        assert r.headers["ratelimit-policy"] == '"redeem";q=5;w=50'
        assert STATE_ITEM.match(r.headers["ratelimit"]), r.headers["ratelimit"]
    remaining = [int(r.headers["ratelimit"].split(";r=")[1].split(";")[0]) for r in answers]
    assert remaining == [4, 3, 2, 1, 0, 0]
    refused = answers[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 10
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/problems/rate-limited")
    # A route that takes from no bucket says nothing about limits.
    assert "ratelimit" not in clients[0].get("/v1/districts").headers


def test_in_process_buckets_tell_the_same(tmp_path: Path, engine: Engine) -> None:  # noqa: F811
    """Tests hand in TokenBuckets; they carry the same headers."""
    app = board_app(engine, city.write_sites(tmp_path))
    app.state.board_limits["redeem"] = TokenBuckets(0.001, 1, name="redeem")
    client = TestClient(app)
    first = client.post("/v1/board/redeem", json={"code": "0000-0000-0000"})
    second = client.post("/v1/board/redeem", json={"code": "0000-0000-0000"})
    assert [first.status_code, second.status_code] == [401, 429]
    assert POLICY_ITEM.match(second.headers["ratelimit-policy"])
    assert second.headers["ratelimit"].startswith('"redeem";r=0;t=')


def _api_process(processes: Processes, sites: Path, url: str, work: Path) -> str:
    """`python -m api` on the database at `url` (InfluxDB unused by these routes)."""
    port = free_port()
    argv = python_m("api") + flags(
        host="127.0.0.1",
        port=port,
        config=sites,
        influx_url="http://127.0.0.1:9",
        db_url=url,
        api_config=local_api_config(work / f"api-{port}.yaml"),
    )
    log = work / f"api-{port}.log"
    proc = processes.start(argv, log, env={"ENERGY_API_SIGNING_KEY": SERVED_KEY})
    base = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: _answers(base),
        60,
        f"the API process on {port}",
        interval=0.5,
        logs=lambda: log.read_text(errors="replace")[-3000:],
        give_up=lambda: proc.poll() is not None and f"it exited {proc.returncode}",
    )
    return base


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/v1/districts", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_two_api_processes_count_one_budget(
    db_url: str,  # noqa: F811 (fixture: SQLite and PostgreSQL, never migrated)
    processes: Processes,
    tmp_path: Path,
) -> None:
    """Two `python -m api` processes on one database: code tries from one address alternate
    between them, and the sixth is refused, with the headers that say why."""
    sites = city.write_sites(tmp_path)
    first = _api_process(processes, sites, db_url, tmp_path)  # it migrates the database
    second = _api_process(processes, sites, db_url, tmp_path)
    answers = [
        httpx.post(f"{base}/v1/board/redeem", json={"code": "0000-0000-0000"}, timeout=10)
        for base in (first, second, first, second, first, second)
    ]
    assert [r.status_code for r in answers] == [401] * 5 + [429], [r.text for r in answers]
    left = [re.fullmatch(r'"redeem";r=(\d+);t=(\d+)', r.headers["ratelimit"]) for r in answers]
    assert [int(m[1]) for m in left if m] == [4, 3, 2, 1, 0, 0]  # one budget, not two
    assert all(0 < int(m[2]) <= 50 for m in left if m)
    assert answers[-1].headers["ratelimit-policy"] == '"redeem";q=5;w=50'
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 10
