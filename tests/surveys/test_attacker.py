"""An attacker with SELECT on every PostgreSQL table cannot pair households with answers.

240 households in three strata answer one round (some edit their answers),
and an attacker reads every table at every moment while the round is open (after each write)
and after it closes: the participations (whose household we even hand them,
as if they could compute the per-round keys), the sealed rows, the responses,
and PostgreSQL's system columns `xmin` and `ctid`, row order, ids, lengths
and the moment each row was first seen. Their strategies each pair every
household with one response of its own stratum (the stratum is published on
purpose: docs/THREAT_MODEL.md). A household is paired right when the
response carries its answer (its own index as the monthly bill, which only
the test reads).

The attacker's best strategy must do no better than the 99th percentile of
the same number of random within-stratum pairings. As a control, the same
xmin reading pairs every household with its *sealed* row: the metadata does
link rows, and only sealing and mixing stop it from reaching the answers.
The survey service's randomness is seeded, so the run is reproducible.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, text

from civic.board.codes import household_key
from civic.surveys.config import SurveysConfig
from civic.surveys.service import Surveys, build_surveys
from devstack.postgres import PostgresServer
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from tests.surveys.conftest import (
    SEAL_KEY,
    SECRET,
    START,
    STRATA,
    Clock,
    answers,
    open_round,
)

SITES = {"apt-a": 100, "apt-b": 80, "ind-1": 60}  # households per site: 240
BASELINE_TRIALS = 2000


@dataclass
class Household:
    index: int  # its answer's monthly bill: the ground truth, read only to score
    site: str
    key: str
    handle: str = ""

    @property
    def stratum(self) -> tuple[str, str]:
        s = STRATA[self.site]
        return (s.district, s.building_type)


@dataclass
class Seen:
    """What the attacker has read: rows by table, each with the snapshot it was first seen in."""

    rows: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    first_rows: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    first_seen: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    snapshots: int = 0


@pytest.fixture
def pg_engine(postgres: PostgresServer) -> Iterator[Engine]:
    url = postgres.create_database(f"t_{uuid.uuid4().hex[:10]}")
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


QUERIES = {
    "participations": "SELECT household_key AS key, xmin::text AS xmin, ctid::text AS ctid "
    "FROM survey_participations WHERE round_id = :r",
    "sealed": "SELECT id AS key, xmin::text AS xmin, ctid::text AS ctid, "
    "length(sealed) AS size, edit_hash FROM survey_sealed WHERE round_id = :r",
    "responses": "SELECT id AS key, xmin::text AS xmin, ctid::text AS ctid, district, "
    "building_type, answers::text AS answers FROM survey_responses WHERE round_id = :r",
}


def _snapshot(engine: Engine, round_id: int, seen: Seen) -> None:
    with engine.connect() as conn:
        for table, sql in QUERIES.items():
            for row in conn.execute(text(sql), {"r": round_id}).mappings():
                seen.rows[table][row["key"]] = dict(row)
                seen.first_rows[table].setdefault(row["key"], dict(row))
                seen.first_seen[table].setdefault(row["key"], seen.snapshots)
    seen.snapshots += 1


def _ctid(row: dict) -> tuple[int, int]:
    page, item = row["ctid"].strip("()").split(",")
    return int(page), int(item)


def _households() -> list[Household]:
    out, i = [], 0
    for site, n in SITES.items():
        for _ in range(n):
            out.append(Household(i, site, household_key(SECRET, site, f"h-{i:04d}")))
            i += 1
    return out


def _run_round(engine: Engine, surveys: Surveys, clock: Clock, people: list[Household]) -> Seen:
    seen = Seen()
    r = open_round(surveys, clock)
    order = random.Random(7).sample(people, len(people))  # arrival order, not by stratum
    for n, h in enumerate(order, start=1):
        h.handle = surveys.responses.submit(r.id, h.key, h.site, answers(bill=h.index))
        _snapshot(engine, r.id, seen)  # the attacker watches after every write
        if n % 4 == 0:  # an earlier respondent changes their answers
            back = order[n // 2]
            surveys.responses.edit(r.id, back.handle, answers(bill=back.index, useful=2))
            _snapshot(engine, r.id, seen)
        clock.advance(minutes=3)
    surveys.rounds.close(r.id)
    _snapshot(engine, r.id, seen)
    surveys.rounds.publish(r.id)
    _snapshot(engine, r.id, seen)
    seen.rows["round"] = {"id": {"key": str(r.id)}}
    return seen


# --- The attacker's strategies: each pairs households with responses, rank by rank ---------


Ranker = Callable[[dict], tuple]


def _pair_by_rank(
    people: list[Household], seen: Seen, of_household: Ranker, of_response: Ranker
) -> dict[int, str]:
    """Within each stratum, the k-th household (by its rank) gets the k-th response."""
    responses = list(seen.rows["responses"].values())
    pairs: dict[int, str] = {}
    for stratum in {h.stratum for h in people}:
        mine = sorted((h for h in people if h.stratum == stratum), key=of_household)
        theirs = sorted(
            (r for r in responses if (r["district"], r["building_type"]) == stratum),
            key=of_response,
        )
        pairs |= {h.index: r["key"] for h, r in zip(mine, theirs, strict=False)}
    return pairs


def _strategies(people: list[Household], seen: Seen, pkey: Callable[[str], str]) -> dict:
    part = seen.rows["participations"]
    # Each sealed row as first seen: written in its participation's transaction.
    sealed_by_xmin = {row["xmin"]: row for row in seen.first_rows["sealed"].values()}
    first = seen.first_seen

    def p(h: Household) -> dict:
        return part[pkey(h.key)]

    def sealed_of(h: Household) -> dict:
        return sealed_by_xmin.get(p(h)["xmin"], {"key": "", "ctid": "(0,0)", "size": 0})

    return {
        "xmin": (lambda h: (int(p(h)["xmin"]),), lambda r: (int(r["xmin"]), _ctid(r))),
        "ctid": (lambda h: _ctid(p(h)), _ctid),
        "first seen": (
            lambda h: (first["participations"][pkey(h.key)], _ctid(p(h))),
            lambda r: (first["responses"][r["key"]], _ctid(r)),
        ),
        "sealed id": (lambda h: (sealed_of(h)["key"],), lambda r: (r["key"],)),
        "sealed position": (lambda h: _ctid(sealed_of(h)), _ctid),
        "sealed size": (
            lambda h: (sealed_of(h)["size"], _ctid(p(h))),
            lambda r: (len(r["answers"]), _ctid(r)),
        ),
    }


def _score(pairs: dict[int, str], seen: Seen) -> int:
    bill = {k: _bill(r["answers"]) for k, r in seen.rows["responses"].items()}
    return sum(bill.get(rid) == index for index, rid in pairs.items())


def _bill(answers_json: str) -> int:
    return int(json.loads(answers_json)["monthly_bill"])


def _baseline_p99(people: list[Household], strategies: int) -> int:
    """The 99th percentile of the best of `strategies` random within-stratum pairings."""
    rng = random.Random(0)
    by_stratum: dict[tuple[str, str], list[int]] = defaultdict(list)
    for h in people:
        by_stratum[h.stratum].append(h.index)
    best = []
    for _ in range(BASELINE_TRIALS):
        scores = []
        for _ in range(strategies):
            hits = 0
            for members in by_stratum.values():
                shuffled = rng.sample(members, len(members))
                hits += sum(a == b for a, b in zip(members, shuffled, strict=True))
            scores.append(hits)
        best.append(max(scores))
    return sorted(best)[int(0.99 * BASELINE_TRIALS) - 1]


def test_an_attacker_reading_system_columns_pairs_no_better_than_chance(
    pg_engine: Engine,
) -> None:
    clock = Clock(START)
    surveys = build_surveys(
        pg_engine,
        SurveysConfig(),
        STRATA.__getitem__,
        privacy_k=5,
        clock=clock,
        seal_key=SEAL_KEY,
        rng=random.Random(22),
    )
    people = _households()
    seen = _run_round(pg_engine, surveys, clock, people)
    round_id = int(seen.rows["round"]["id"]["key"])
    assert len(seen.rows["responses"]) == len(people)

    def pkey(k: str) -> str:
        return surveys.responses.keys.of("seal", round_id).participation(round_id, k)

    # Control: the metadata does link rows. Each participation's xmin names its sealed row.
    sealed_by_xmin = {row["xmin"]: key for key, row in seen.first_rows["sealed"].items()}
    linked = sum(seen.rows["participations"][pkey(h.key)]["xmin"] in sealed_by_xmin for h in people)
    assert linked == len(people), "the control found no xmin link: the attacker reads nothing"

    pairings = {
        name: _pair_by_rank(people, seen, of_h, of_r)
        for name, (of_h, of_r) in _strategies(people, seen, pkey).items()
    }
    scores = {name: _score(pairs, seen) for name, pairs in pairings.items()}
    # Strategies that agree are one guess: chance gets as many tries as distinct pairings.
    distinct = {tuple(sorted(pairs.items())) for pairs in pairings.values()}
    chance = _baseline_p99(people, len(distinct))
    print(f"attacker's correct pairings of {len(people)}: {scores}; chance p99: {chance}")
    assert max(scores.values()) <= chance, (scores, chance)
