"""Identifier rules for sites, agents and meters.

Ids appear in MQTT topics, InfluxDB tags, URLs and broker usernames, so they
are restricted to characters that are safe in all of them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ID_RE = re.compile(ID_PATTERN)
ID_RULE = "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64"

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
SiteId = Identifier
AgentId = Identifier
MeterId = Identifier


def is_valid_id(value: str) -> bool:
    return bool(ID_RE.match(value))
