"""The portal's words: one messages file per language (messages/<lang>.yaml), Korean first."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGS = ("ko", "en")
DEFAULT_LANG = "ko"
MESSAGES_DIR = Path(__file__).parent / "messages"


class MessagesError(ValueError):
    """A messages file is missing a key the default language has, or is malformed."""


@cache
def messages(lang: str) -> dict[str, str]:
    path = MESSAGES_DIR / f"{lang}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise MessagesError(f"{path}: expected a mapping of key: text")
    if lang != DEFAULT_LANG:
        missing = sorted(set(messages(DEFAULT_LANG)) - set(data))
        if missing:
            raise MessagesError(f"{path}: missing keys {missing}")
    return data


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


class Translator:
    """`t("key", name=value)`: the text of one key in one language, placeholders filled."""

    def __init__(self, lang: str) -> None:
        self.lang = pick_lang(lang)
        self._text = messages(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        text = self._text.get(key)
        if text is None:
            raise KeyError(f"messages/{self.lang}.yaml has no key {key!r}")
        return text.format(**values) if values else text
