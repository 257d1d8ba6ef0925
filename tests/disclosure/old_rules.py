"""The privacy rules as they were before issue 24, kept only so the attacker tests can
show that they fail (civic/surveys/results.py `publishable`, per breakdown)."""

from __future__ import annotations


def old_publishable(parts: dict[str, int], k: int) -> set[str]:
    """Parts of one whole to publish: each at least k, and the withheld ones together too."""
    public = {p for p, n in parts.items() if n >= k}
    while public:
        hidden = sum(n for p, n in parts.items() if p not in public)
        if hidden == 0 or hidden >= k:
            break
        public.discard(min(public, key=lambda p: (parts[p], p)))
    return public
