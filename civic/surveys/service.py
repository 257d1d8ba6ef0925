"""The surveys as the API uses them: rounds, responses, results and exports over one database."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from civic.surveys.config import SurveysConfig
from civic.surveys.export import (
    data_dictionary,
    dictionary_csv,
    eligible_by_district,
    methodology,
    to_csv,
)
from civic.surveys.mixing import Mixer
from civic.surveys.responses import ResponseRefused, SiteLookup, Stratum, SurveyResponses
from civic.surveys.results import (
    Decision,
    StoredResponse,
    comparison,
    decide,
    load_responses,
    round_results,
    rules_of,
)
from civic.surveys.rounds import Round, RoundRefused, Status, SurveyRounds
from civic.surveys.sealing import SurveyKeys
from civic.surveys.template import load_templates
from telemetry.disclosure import DisclosureRules
from telemetry.paths import resolve_config_path
from telemetry.registry import Registry

__all__ = ["ResponseRefused", "RoundRefused", "Status", "Surveys", "build_surveys"]


@dataclass
class Surveys:
    rounds: SurveyRounds
    responses: SurveyResponses
    privacy_k: int | DisclosureRules  # k alone: the other rules at their defaults
    # A closed round's responses are final: its disclosure decision is made once per
    # (round, number of responses); a page view does not solve the LP again.
    _decisions: dict[tuple[int, int], Decision] = field(default_factory=dict, repr=False)

    @property
    def rules(self) -> DisclosureRules:
        return rules_of(self.privacy_k)

    def _decision(self, current: Round, responses: list[StoredResponse]) -> Decision:
        key = (current.id, len(responses))
        if key not in self._decisions:
            self._decisions[key] = decide(current.questions.questions(), responses, self.rules)
        return self._decisions[key]

    @property
    def engine(self) -> Engine:
        return self.rounds.engine

    def results(self, round_id: int, *, staff: bool = False) -> dict[str, Any]:
        """Figures once the round is closed (staff) or published (everyone); nothing before."""
        current = self._ready(round_id, staff)
        responses = load_responses(self.engine, round_id)
        return round_results(current, responses, self.rules, self._decision(current, responses))

    def export(self, round_id: int, *, staff: bool = False) -> dict[str, Any]:
        current = self._ready(round_id, staff)
        responses = load_responses(self.engine, round_id)
        eligible = eligible_by_district(self.engine, current, self.responses.site_stratum)
        return {
            "data_dictionary": data_dictionary(current),
            "methodology": methodology(
                current, responses, eligible, self.rules, self._decision(current, responses)
            ),
            "results": round_results(
                current, responses, self.rules, self._decision(current, responses)
            ),
        }

    def export_csv(self, round_id: int, *, staff: bool = False) -> str:
        return to_csv(self.results(round_id, staff=staff))

    def dictionary_csv(self, round_id: int) -> str:
        return dictionary_csv(self._ready(round_id, staff=False, need_results=False))

    def comparison(self, template: str, question_id: str) -> list[dict[str, Any]]:
        published = [r for r in self.rounds.list() if r.template == template]
        pairs = [
            (r, load_responses(self.engine, r.id))
            for r in published
            if r.status is Status.PUBLISHED
        ]
        return comparison(pairs, question_id, self.rules, self._decision)

    def _ready(self, round_id: int, staff: bool, need_results: bool = True) -> Round:
        current = self.rounds.get(round_id)
        if current.status is Status.DRAFT and not staff:
            raise RoundRefused("unknown_round", f"no survey round {round_id}")
        if not need_results:
            return current
        ready = current.results_ready if staff else current.status is Status.PUBLISHED
        if not ready:
            raise RoundRefused(
                "results_hidden",
                f"round {round_id} is {current.status.value}: results are hidden until "
                + ("it closes" if staff else "they are published"),
            )
        return current


def registry_stratum(registry: Registry) -> SiteLookup:
    """A site's district and building type from the registry (the coarse strata of results)."""

    def lookup(site: str) -> Stratum:
        found = registry.sites.get(site)
        if found is None:
            return Stratum(district="unknown", building_type="unknown")
        return Stratum(district=found.district, building_type=found.building_type.value)

    return lookup


def build_surveys(
    engine: Engine,
    config: SurveysConfig,
    site_stratum: SiteLookup,
    privacy_k: int | DisclosureRules,
    clock: Callable[[], datetime] | None = None,
    *,
    seal_key: bytes | SurveyKeys,
    rng: random.Random | None = None,
) -> Surveys:
    """The surveys over `engine`; `seal_key`: the survey service's secrets by id, or one
    secret for every round (sealing.py)."""
    templates = load_templates(resolve_config_path(config.templates))
    extra = {"clock": clock} if clock is not None else {}
    keys = seal_key if isinstance(seal_key, SurveyKeys) else SurveyKeys.one(seal_key)
    rounds = SurveyRounds(
        engine,
        templates,
        interval_months=config.interval_months,
        lead_days=config.review_lead_days,
        on_close=Mixer(keys, rng).mix,
        seal_key=keys.current,
        **extra,
    )
    return Surveys(rounds, SurveyResponses(rounds, site_stratum, keys, rng), privacy_k)
