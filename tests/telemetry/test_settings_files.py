"""Every settings file under config/ is strict: a mistake names file:line and field.

Golden cases in settings_cases/<case>/: the broken file (named as the real one)
and expected.yaml listing each error. One case at least per file kind, checked
by `test_every_config_file_has_a_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from api.settings import ApiSettings
from collector.rollup.plan import load_capacity
from collector.rollup.settings import RollupSettings
from collector.settings import CollectorSettings
from edge_agent.settings import AgentSettings
from telemetry.config.settings import Settings
from telemetry.emissions import load_emission_factors
from telemetry.paths import PROJECT_ROOT, config_dir, resolve_config_path
from telemetry.registry import ConfigError, load_geography
from tests.support.golden import assert_issues, case_dirs, case_id, expected

CASES = Path(__file__).parent / "settings_cases"
COMPONENTS: dict[str, type[Settings]] = {
    "collector": CollectorSettings,
    "rollup": RollupSettings,
    "edge_agent": AgentSettings,
    "api": ApiSettings,
}


def _load_settings(case: Path, component: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_CONFIG_DIR", str(case))
    COMPONENTS[component]()


LOADERS: dict[str, Callable[[Path, str, pytest.MonkeyPatch], object]] = {
    "settings.yaml": _load_settings,
    "api.yaml": lambda case, _c, _m: ApiSettings(api_config=case / "api.yaml").load_api_config(),
    "emission_factors.yaml": lambda case, _c, _m: load_emission_factors(
        case / "emission_factors.yaml"
    ),
    "districts.yaml": lambda case, _c, _m: load_geography(case),
    "capacity.yaml": lambda case, _c, _m: load_capacity(case / "capacity.yaml"),
}


def _file_of(case: Path) -> str:
    (name,) = [p.name for p in case.glob("*.yaml") if p.name != "expected.yaml"]
    return name


@pytest.mark.parametrize("case", case_dirs(CASES), ids=case_id)
def test_broken_settings_name_file_line_and_field(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = expected(case)
    with pytest.raises(ConfigError) as caught:
        LOADERS[_file_of(case)](case, wanted.get("component", ""), monkeypatch)
    assert_issues(caught.value, wanted["errors"])
    for want in wanted["errors"]:  # the field follows file:line, as in the registry's
        assert f"{want['file']}:{want['line']}: {want['field']}: " in str(caught.value)


def test_every_config_file_has_a_case() -> None:
    """Each YAML under config/ other than the registry's is covered above (the
    registry's files, which the sites file names, have their cases in config_cases;
    survey templates theirs in tests/surveys, alert rules theirs in tests/alerts)."""
    registry = (
        "sites", "profiles", "households", "units", "programmes.yaml", "surveys", "alerts.yaml",
    )  # fmt: skip
    files = {
        p.name
        for p in config_dir().rglob("*.yaml")
        if p.relative_to(config_dir()).parts[0] not in registry
    }
    assert files == set(LOADERS)
    assert files == {_file_of(case) for case in case_dirs(CASES)}


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_the_shipped_settings_file_loads_for_every_component(component: str) -> None:
    settings = COMPONENTS[component]()
    assert settings.influx_org == "gwangju"


def test_sections_give_each_component_its_own_knobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.yaml").write_text(
        "version: 2\ninflux_org: city\ncollector:\n  flush_interval_s: 2.5\n"
        "rollup:\n  interval_s: 30\nedge_agent:\n  status_interval_s: 7\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ENERGY_CONFIG_DIR", str(tmp_path))
    assert CollectorSettings().flush_interval_s == 2.5
    assert RollupSettings().interval_s == 30
    assert AgentSettings().status_interval_s == 7
    assert ApiSettings().influx_org == "city"
    monkeypatch.setenv("ENERGY_FLUSH_INTERVAL_S", "4")
    assert CollectorSettings().flush_interval_s == 4
    assert CollectorSettings.from_cli(flush_interval_s=6).flush_interval_s == 6


def test_a_flag_under_an_old_name_is_refused() -> None:
    with pytest.raises(ValueError, match="flush_interval"):
        CollectorSettings.from_cli(flush_interval=2)


def test_shipped_files_load() -> None:
    assert ApiSettings().load_api_config().privacy_k >= 1
    assert load_emission_factors().kg("electricity", 1.0) > 0
    assert len(load_geography().districts) == 5


def test_an_api_config_named_on_purpose_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        ApiSettings(api_config=tmp_path / "missing.yaml").load_api_config()


def test_config_paths_resolve_one_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere, moved = tmp_path / "cwd", tmp_path / "etc"
    elsewhere.mkdir()
    moved.mkdir()
    (moved / "api.yaml").write_text("version: 1\nprivacy_k: 7\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("ENERGY_CONFIG_DIR", raising=False)
    assert resolve_config_path("config/sites/demo.yaml") == PROJECT_ROOT / "config/sites/demo.yaml"
    monkeypatch.setenv("ENERGY_CONFIG_DIR", str(moved))
    assert resolve_config_path("config/api.yaml") == moved / "api.yaml"
    assert ApiSettings().load_api_config().privacy_k == 7  # the API follows the same rule
    assert resolve_config_path("config/nowhere.yaml") == Path("config/nowhere.yaml")
    (elsewhere / "config").mkdir()
    (elsewhere / "config" / "api.yaml").write_text("version: 1\nprivacy_k: 9\n", encoding="utf-8")
    assert resolve_config_path("config/api.yaml") == Path("config/api.yaml")  # cwd first
