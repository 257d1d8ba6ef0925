"""The city demo's plan (devstack/city.py), without servers: both fleets publish the plan
the registry was written from, the past ends now and the present's counters go on from
its start, and set-up is over only when every dong and district shows something."""

from __future__ import annotations

from devstack.city import City, Filled, history_flags, history_start, live_flags, rollup_env

NOW = 1_764_900_000.0


def _flag(flags: list[str], name: str) -> str:
    return next(f.split("=", 1)[1] for f in flags if f.startswith(f"--{name}="))


def test_both_fleets_publish_the_planned_city() -> None:
    city = City()
    assert (city.sites, city.sites * city.meters_per_site) == (1200, 6000)
    past, present = history_flags(city, NOW), live_flags(city, history_start(city, NOW))
    assert set(city.plan_flags()) <= set(past) and set(city.plan_flags()) <= set(present)
    assert _flag(present, "counters-from") == _flag(past, "start")
    assert _flag(present, "step") == _flag(past, "step")
    assert _flag(past, "backfill-to").startswith("2025-12-05T") and "backfill-to" not in str(
        present
    )
    assert city.history_readings == 6000 * 7
    # the rollup reaches back over the whole past
    assert float(rollup_env(city)["ENERGY_MAX_CATCHUP_S"]) > city.history_days * 86400


def test_a_small_city_still_has_its_floor_in_every_dong() -> None:
    assert City(meters=100).sites == 6 * 96


def test_set_up_is_over_when_every_dong_and_district_shows_something() -> None:
    statuses = {str(i): "ok" for i in range(94)} | {"94": "suppressed", "95": "ok"}
    assert Filled(statuses, 95, 5, 5).done
    assert not Filled(statuses | {"95": "no_data"}, 94, 5, 5).done
    assert not Filled(statuses, 94, 5, 5).done  # a dong "ok" without a value is not coloured
    assert not Filled(statuses, 95, 4, 5).done
    assert "95 dongs coloured, 1 withheld" in Filled(statuses, 95, 5, 5).line()
