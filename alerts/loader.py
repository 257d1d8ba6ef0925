"""Load config/alerts.yaml: schema, then checks against the registry, every error with its line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alerts.messages import alert_message
from alerts.rules import ENV_NAME, RULE_KINDS, LeakRule, RulesFile
from telemetry.config.errors import format_path
from telemetry.config.messages import Message
from telemetry.config.yaml_model import pydantic_issues, read_mapping
from telemetry.fields import FIELDS
from telemetry.paths import resolve_config_path
from telemetry.registry import ConfigError, ConfigIssue, Registry

Problem = tuple[tuple[str | int, ...], Message]
# Discriminator values pydantic puts into error locations; nobody wrote them.
_TAGS = {*RULE_KINDS, "webhook", "email"}


def load_rules(path: Path | str, registry: Registry) -> RulesFile:
    """The rules file checked against the registry; ConfigError lists every mistake."""
    path = resolve_config_path(path)
    located = read_mapping(path)
    try:
        rules = RulesFile.model_validate(located.data)
    except ValidationError as exc:
        raise ConfigError(pydantic_issues(exc, located, path, hidden=_TAGS)) from None
    issues = [
        ConfigIssue.of(path, located.line_of(where), format_path(where), said)
        for where, said in check_rules(rules, registry)
    ]
    if issues:
        raise ConfigError(issues)
    return rules


def check_rules(rules: RulesFile, registry: Registry) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for i, rule in enumerate(rules.rules):
        if rule.id in first:
            yield (
                ("rules", i, "id"),
                alert_message("duplicate_rule", id=rule.id, first=first[rule.id]),
            )
        first.setdefault(rule.id, f"rules[{i}]")
        yield from _check_scope(("rules", i, "scope"), rule.scope, registry)
        field = getattr(rule, "field", None)
        utility = getattr(rule, "utility", None)
        if field and utility and field not in FIELDS[utility]:
            known = ", ".join(FIELDS[utility])
            said = alert_message("unknown_rule_field", name=field, utility=utility, known=known)
            yield ("rules", i, "field"), said
        if isinstance(rule, LeakRule) and rule.night_minutes[1] == 0:
            said = alert_message("empty_night", at=rule.night_start)
            yield ("rules", i, "night_end"), said
    for name, target in rules.targets.items():
        secret_env = getattr(target, "secret_env", None)
        if secret_env is not None and not ENV_NAME.match(secret_env):
            yield ("targets", name, "secret_env"), alert_message("bad_env_name", name=secret_env)
    known = ", ".join(rules.targets) or "none"
    for i, policy in enumerate(rules.policies):
        for j, target in enumerate(policy.targets):
            if target not in rules.targets:
                said = alert_message("unknown_target", name=target, known=known)
                yield ("policies", i, "targets", j), said


def _check_scope(where: tuple[Any, ...], scope: Any, registry: Registry) -> Iterator[Problem]:
    if scope.site and scope.site not in registry.sites:
        known = ", ".join(registry.sites)
        yield (*where, "site"), alert_message("unknown_site", site=scope.site, known=known)
    elif scope.meter and scope.meter not in registry.sites[scope.site].listed_meters:
        yield (*where, "meter"), alert_message("unknown_meter", site=scope.site, meter=scope.meter)
    if scope.dong and not any(s.dong == scope.dong for s in registry.sites.values()):
        yield (*where, "dong"), alert_message("unknown_scope_dong", dong=scope.dong)
