"""The surveys' secrets: responses sealed while a round is open, participations keyed per round.

Both keys come from one secret held by the survey service's configuration
(ENERGY_SURVEY_SEAL_KEY, or the platform signing key under its own label),
never from the database, so anyone who can read every table (an analyst, a
support engineer) can neither open a sealed response nor tell which
household a participation row stands for (docs/THREAT_MODEL.md).

- A response is sealed with AES-256-GCM under a key derived per round
  (HKDF-SHA256), the round bound in as associated data. Before sealing it is
  padded to one size per round, the largest its questions allow, so the
  length of a sealed row says nothing about its free text.
- A participation is stored as an HMAC of (round, resident key): one per
  household per round, as before, but equal to nothing in another table and
  different in every round.

A round keeps the key it opened under (`survey_rounds.seal_key`: `seal` for
ENERGY_SURVEY_SEAL_KEY, `signing:<id>` for a signing key, `legacy` for rounds
opened before keys were recorded), so a signing-key rotation never changes an
open round's participations or strands its sealed responses: the round goes
on under its own key while that key is listed, and says which key it needs
when it is not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civic.surveys.template import TEXT_LIMITS, QType, Question, Template

NONCE_BYTES = 12
LENGTH_BYTES = 4
# Room for the envelope ({"answers": ..., "district": ..., "building_type": ...}).
ENVELOPE_BYTES = 256
# JSON of one character, at worst (a control character escaped as \\uXXXX).
CHAR_BYTES = 6


SEAL_ID = "seal"  # ENERGY_SURVEY_SEAL_KEY
LEGACY_ID = "legacy"  # rounds opened before the key was recorded: the key derived as then
SIGNING_PREFIX = "signing:"


class SealUnavailable(Exception):
    """No key is configured, or not the round's: responses cannot be stored or opened."""


class SurveyKeys:
    """The configured survey secrets by id; the one new rounds open under."""

    def __init__(self, secrets: Mapping[str, bytes], current: str) -> None:
        self.secrets, self.current = dict(secrets), current

    @classmethod
    def one(cls, secret: bytes) -> SurveyKeys:
        """A single secret, for every round (recorded as `seal`, and old rounds' `legacy`)."""
        return cls({SEAL_ID: secret, LEGACY_ID: secret}, SEAL_ID)

    def of(self, key_id: str, round_id: int) -> RoundKey:
        """The key of a round opened under `key_id`."""
        secret = self.secrets.get(key_id)
        if secret is None:
            raise SealUnavailable(
                f"survey round {round_id} was opened under the key {key_id!r}, which is no "
                f"longer configured: {_where(key_id)} until the round is closed"
            )
        return RoundKey(secret)


def _where(key_id: str) -> str:
    if key_id.startswith(SIGNING_PREFIX):
        return f"list {key_id.removeprefix(SIGNING_PREFIX)!r} in ENERGY_API_SIGNING_KEYS again"
    if key_id == SEAL_ID:
        return "set ENERGY_SURVEY_SEAL_KEY again"
    return "restore ENERGY_SURVEY_SEAL_KEY, or the oldest signing key, as it was"


class RoundKey:
    """Seal and open a round's responses; key its participations; from one secret."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    @property
    def usable(self) -> bool:
        return len(self.secret) >= 16

    def participation(self, round_id: int, resident_key: str) -> str:
        message = f"survey-participation:v1:{round_id}:{resident_key}".encode()
        return hmac.new(self._derive("participation"), message, hashlib.sha256).hexdigest()

    def seal(self, round_id: int, size: int, payload: dict[str, Any]) -> bytes:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        raw = data.encode()
        if LENGTH_BYTES + len(raw) > size:
            raise ValueError(f"a response of {len(raw)} bytes exceeds its round's {size}")
        padded = (
            len(raw).to_bytes(LENGTH_BYTES, "big") + raw + bytes(size - LENGTH_BYTES - len(raw))
        )
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead(round_id).encrypt(nonce, padded, _aad(round_id))

    def open(self, round_id: int, sealed: bytes) -> dict[str, Any]:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            padded = self._aead(round_id).decrypt(nonce, body, _aad(round_id))
        except InvalidTag:
            raise ValueError(
                f"a sealed response of round {round_id} does not open: altered, or sealed under "
                "another survey key (ENERGY_SURVEY_SEAL_KEY, or when unset the oldest key of "
                "ENERGY_API_SIGNING_KEYS, must stay as it was until the round closes)"
            ) from None
        length = int.from_bytes(padded[:LENGTH_BYTES], "big")
        return json.loads(padded[LENGTH_BYTES : LENGTH_BYTES + length])

    def _aead(self, round_id: int) -> AESGCM:
        return AESGCM(self._derive(f"seal:{round_id}"))

    def _derive(self, purpose: str) -> bytes:
        if not self.usable:
            raise SealUnavailable("no survey key is configured (ENERGY_SURVEY_SEAL_KEY)")
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"gwangju-energy-surveys",
            info=f"survey:v1:{purpose}".encode(),
        )
        return hkdf.derive(self.secret)


def _aad(round_id: int) -> bytes:
    return f"survey-response:v1:{round_id}".encode()


def sealed_size(template: Template) -> int:
    """The padded size of every response of a round: the largest its questions allow."""
    return LENGTH_BYTES + ENVELOPE_BYTES + sum(_largest(q) for q in template.questions())


def _largest(q: Question) -> int:
    key = len(q.id) + 4  # "id":
    if q.type in TEXT_LIMITS:
        return key + 2 + CHAR_BYTES * TEXT_LIMITS[q.type]
    if q.type is QType.MULTIPLE:
        return key + 2 + sum(len(o.id) + 3 for o in q.options)
    if q.type is QType.MATRIX:
        return key + 2 + sum(len(r.id) + 6 for r in q.rows)
    if q.type is QType.SINGLE:
        return key + 2 + max(len(o.id) for o in q.options)
    return key + 64  # a Likert point or a number (longer ones are refused)
