"""User-facing text of configuration errors, kept apart from the checks.

Each text has an id that travels with it (`Message.id`, then `ConfigIssue.id`):
tests and tools match the id, people read the text. Every id has a golden case
under tests/telemetry/config_cases/.
"""

from __future__ import annotations

from dataclasses import dataclass

MESSAGES: dict[str, str] = {
    "file_missing": "file not found",
    "yaml_syntax": "not valid YAML: {detail}",
    "yaml_not_mapping": "expected a mapping at the top of the file, got {got}",
    "unknown_key": "unknown key (check its spelling; see the config reference in config/README.md)",
    "removed_key": "key '{key}' was removed in version {version}; use {use}",
    "bad_version": "unsupported version {got!r}: this release reads versions 1 to {current}",
    "secret_in_file": "secrets come from the environment ({env}), never from a config file",
    "duplicate_key": "key '{key}' appears twice in the same mapping",
    "duplicate_site": "site id '{id}' is used twice (first on line {first})",
    "duplicate_agent": "agent id '{id}' is used twice (also in site '{other}'); "
    "agent ids are MQTT usernames and must be unique across all sites",
    "duplicate_meter": "meter id '{id}' is used twice in site '{site}'",
    "expected_below_listed": "expected_meters ({expected}) is fewer than the {listed} meters "
    "listed for site '{site}'; count the listed meters too",
    "duplicate_profile": "profile id '{id}' is defined twice (also in {other})",
    "unknown_profile": "unknown profile '{name}' (expected one of: {known})",
    "profile_utility": "profile '{profile}' is for {profile_utility} meters, "
    "but this meter's utility is {utility}",
    "unknown_district": "unknown district code '{code}' (expected one of: {known})",
    "unknown_dong": "unknown administrative dong code '{code}' (see config/geo/gwangju_dongs.csv)",
    "dong_not_in_district": "dong {code} ({name}) belongs to district {actual}, not {district}",
    "shared_address": "meter '{meter}' answers at the same address as meter '{other}' ({address})",
    "unknown_field": "'{name}' is not a canonical field of {utility} (expected one of: {known})",
    "duplicate_field": "canonical field '{name}' is read twice (also at address {other})",
    "count_mismatch": "type {type} spans {width} register(s), but count says {count}",
    "order_mismatch": "byte order {order} describes 64-bit values; {type} is {bits}-bit "
    "(use ABCD, CDAB, BADC or DCBA)",
    "address_overflow": "{type} at address {address} runs past the last register (65535)",
    "overlap": "registers {start}-{end} of the {table} table overlap field '{other}'",
    "kind_mismatch": "'{name}' is a {canonical} in the canonical fields, not a {kind}",
    "scale_register_float": "a scale register applies to integer types, not {type}",
    "request_cap": "max_gap ({gap}) must be smaller than max_registers_per_request ({cap})",
    "duplicate_programme": "programme id '{id}' is used twice (first at {first})",
    "duplicate_household": "household id '{id}' is used twice (first at {first})",
    "ends_before_start": "end {end} is before start {start}",
    "household_place": "household '{id}' needs exactly one of `site` (where it lives) "
    "or `dong` (a standalone household's administrative dong)",
    "unknown_site": "unknown site '{site}' (not in the sites file)",
    "site_without_households": "site '{site}' ({kind}) has no households: give the site "
    "`households:` or kind `household`, or place this household by `dong`",
    "site_household_taken": "site '{site}' is one household's own site and already belongs "
    "to household '{other}'",
    "meter_without_site": "meter '{ref}' names no site: a household without a site names "
    "its meters as site/meter",
    "unknown_programme": "unknown programme '{id}' (expected one of: {known})",
    "enrolment_before_programme": "enrolment starts {start}, before programme '{programme}' "
    "opened on {opened}",
    "overlapping_enrolment": "overlaps {other} of the same programme '{programme}'",
    "households_without_programmes": "a households file needs the programmes file it "
    "enrols in (`programmes:` beside `households:`)",
    "units_dir_missing": "the units directory {path} does not exist",
    "units_file_name": "this file holds the units of site '{site}' but is named '{stem}.yaml': "
    "name it '{site}.yaml'",
    "units_site_kind": "{kind} units belong to a site of kind {wanted}; site '{site}' is "
    "{site_kind}",
    "apartment_unit": "unit '{unit}' is not <동>-<호> (digits, no leading zeros, e.g. 101-1203)",
    "duplicate_unit": "unit '{unit}' is the same unit as '{other}' (listed twice)",
    "unit_without_units": "household '{id}' names unit '{unit}' but site '{site}' lists no "
    "units (a units file under `units:` of the sites file)",
    "dates_of_a_unit": "household '{id}' lives at a unit: its move-in and move-out are its "
    "tenancy's (python -m api tenancy), not dates in this file",
    "unknown_unit": "unit '{unit}' is not a unit of site '{site}'{near}",
    "field_too_wide": "{type} needs {width} registers but this device reads at most "
    "{cap} per request",
}


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    text: str

    def __str__(self) -> str:
        return self.text


def message(message_id: str, **values: object) -> Message:
    """The message `message_id` with its placeholders filled in."""
    return Message(message_id, MESSAGES[message_id].format(**values))


def schema_message(error_type: str, text: str) -> Message:
    """A value pydantic refused; the id is pydantic's error type (e.g. schema.missing)."""
    return Message(f"schema.{error_type}", text)
