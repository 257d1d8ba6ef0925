"""The rollup's meter points carry exactly the tags `tag_set` would give them, built
from cached parts (compute._escaped_tags) rather than escaped whole per meter."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from collector.rollup.compute import Computer
from telemetry.influx_schema import (
    SOURCE_METER,
    TAG_BUILDING_TYPE,
    TAG_DISTRICT,
    TAG_DONG,
    TAG_METER,
    TAG_SITE,
    TAG_SOURCE,
    TAG_UTILITY,
)
from telemetry.lineproto import tag_set

# Registry text: separators and quotes included, line breaks and backslashes not
# (lineproto refuses those in names either way).
TEXT = st.text(st.characters(blacklist_characters="\n\r\\", blacklist_categories=("Cs",)))


def _place(district: str, dong: str, building_type: str) -> SimpleNamespace:
    return SimpleNamespace(district=district, dong=dong, building_type=building_type)


@given(
    place=st.tuples(TEXT, TEXT, TEXT),
    household=st.one_of(st.none(), st.tuples(TEXT, TEXT, TEXT, TEXT)),
    names=st.tuples(TEXT.filter(bool), TEXT, TEXT),
    month=st.booleans(),
)
def test_the_tags_equal_tag_set_of_the_meters_tags(
    place: tuple[str, str, str],
    household: tuple[str, str, str, str] | None,
    names: tuple[str, str, str],
    month: bool,
) -> None:
    site, meter, utility = names
    counted = None  # a household's imported register counts where the household lives
    if household is not None:
        counted = SimpleNamespace(info=_place(*household[:3]), source=household[3])
    computer = SimpleNamespace(
        sites={site: _place(*place)},
        placement=SimpleNamespace(counter=lambda _s, _m: counted),
    )
    at = counted.info if counted is not None else computer.sites[site]
    tags = {
        TAG_SITE: site,
        TAG_METER: meter,
        TAG_UTILITY: utility,
        TAG_DISTRICT: at.district,
        TAG_DONG: at.dong,
        TAG_BUILDING_TYPE: at.building_type,
    }
    if month:
        tags[TAG_SOURCE] = counted.source if counted is not None else SOURCE_METER
    found = Computer._escaped_tags(computer, utility, site, meter, month)  # type: ignore[arg-type]
    assert found == tag_set(tags)


def test_a_site_not_in_the_registry_has_no_tags() -> None:
    computer = SimpleNamespace(sites={}, placement=SimpleNamespace(counter=lambda _s, _m: None))
    assert Computer._escaped_tags(computer, "electricity", "x", "m", False) is None  # type: ignore[arg-type]
