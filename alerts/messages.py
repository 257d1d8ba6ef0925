"""Text of the rules file's own errors (beyond the schema's), each with an id.

Every id has a golden case under tests/alerts/rule_cases/.
"""

from __future__ import annotations

from telemetry.config.messages import Message

MESSAGES: dict[str, str] = {
    "duplicate_rule": "rule id '{id}' is used twice (first as {first})",
    "unknown_site": "unknown site '{site}' (expected one of: {known})",
    "unknown_meter": "site '{site}' lists no meter '{meter}'",
    "unknown_scope_dong": "no site of the registry is in dong {dong}",
    "unknown_rule_field": "'{name}' is not a field of {utility} (expected one of: {known})",
    "unknown_target": "unknown target '{name}' (defined: {known})",
    "bad_env_name": "'{name}' is not an environment variable name (A-Z, 0-9, _)",
    "empty_night": "the night starts and ends at {at}: give a window (it may cross midnight)",
}


def alert_message(message_id: str, **values: object) -> Message:
    return Message(message_id, MESSAGES[message_id].format(**values))
