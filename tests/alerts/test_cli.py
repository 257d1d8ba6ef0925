"""`python -m alerts` speaks the one CLI voice: bad input is exit 2 with where and what."""

from __future__ import annotations

import subprocess
from pathlib import Path

from telemetry.db.migrate import upgrade
from tests.support.processes import Processes


def _alerts(processes: Processes, *args: str) -> subprocess.CompletedProcess[str]:
    return processes.run_module("alerts", *args, timeout=60)


def test_check_names_file_line_and_field(processes: Processes) -> None:
    done = _alerts(processes, "check", "--rules", "tests/alerts/rule_cases/unknown_key/alerts.yaml")
    assert done.returncode == 2
    assert (
        "alerts: " in done.stderr and "alerts.yaml:5: rules[0].pendng: unknown key" in done.stderr
    )


def test_shipped_rules_check(processes: Processes) -> None:
    done = _alerts(processes, "check")
    assert done.returncode == 0, done.stderr
    assert "config/alerts.yaml: 8 rules" in done.stdout


def test_unmigrated_database_is_refused(tmp_path: Path, processes: Processes) -> None:
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    done = _alerts(processes, "list", "--db-url", url)
    assert done.returncode == 2 and "python -m telemetry.db upgrade" in done.stderr


def test_ack_of_unknown_alert_and_silence_flags(tmp_path: Path, processes: Processes) -> None:
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    upgrade(url)
    done = _alerts(processes, "ack", "7", "--by", "kim", "--db-url", url)
    assert done.returncode == 2 and "alert 7 does not exist" in done.stderr
    bad = _alerts(processes, "silence", "--match", "site", "--for", "2h", "--by", "kim",
                  "--comment", "x", "--db-url", url)  # fmt: skip
    assert bad.returncode == 2 and "label=value" in bad.stderr
    ok = _alerts(processes, "silence", "--match", "site=hanam-ic", "--for", "2h",
                 "--by", "kim", "--comment", "pump work", "--db-url", url)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.startswith("silence 1 until ")


def test_metrics_count_firing_by_severity() -> None:
    from prometheus_client import REGISTRY

    from alerts.lifecycle import AlertState
    from alerts.metrics import set_firing

    set_firing([AlertState("r", "o1", "s", "major", state="active_unacked"),
                AlertState("r", "o2", "s", "major", state="active_acked"),
                AlertState("r", "o3", "s", "minor", state="cleared_unacked")])  # fmt: skip
    assert REGISTRY.get_sample_value("alerts_firing", {"severity": "major"}) == 2
    assert REGISTRY.get_sample_value("alerts_firing", {"severity": "minor"}) == 0


def test_list_ack_and_purge_on_a_stored_alert(tmp_path: Path, processes: Processes) -> None:
    from datetime import UTC, datetime, timedelta

    from alerts.lifecycle import AlertState
    from alerts.store import Note, enqueue, save
    from telemetry.db import make_engine

    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    old = datetime.now(UTC) - timedelta(days=40)
    with engine.begin() as conn:
        alert = save(conn, AlertState("stale", "meter:hanam-ic/gas-main", "hanam-ic", "major",
                                      state="active_unacked", fired_at=old), old)  # fmt: skip
        enqueue(conn, alert.id, Note("k1", "hook", "firing", {}), old)  # type: ignore[union-attr,arg-type]
    engine.dispose()
    other_site = _alerts(
        processes, "ack", "1", "--by", "lee", "--site", "munheung-apt", "--db-url", url
    )
    assert other_site.returncode == 2  # a facility acknowledges its own sites only
    done = _alerts(processes, "ack", "1", "--by", "kim", "--note", "valve shut",
                   "--site", "hanam-ic", "--db-url", url,
                   "--influx-url", "http://127.0.0.1:9")  # fmt: skip
    assert done.returncode == 0 and "active_acked by kim" in done.stdout
    listed = _alerts(processes, "list", "--db-url", url, "--site", "hanam-ic").stdout.split("\t")
    assert listed[1:5] == ["active_acked", "major", "stale", "meter:hanam-ic/gas-main"]
    assert listed[-1].strip() == "kim: valve shut"
    # Undelivered notifications stay, however old; delivered ones go.
    assert _alerts(processes, "purge", "--db-url", url).stdout.startswith("0 notifications")
    engine = make_engine(url)
    with engine.begin() as conn:
        from telemetry.db.tables import alert_notifications

        conn.execute(alert_notifications.update().values(delivered_at=old))
    engine.dispose()
    assert _alerts(processes, "purge", "--db-url", url, "--older-than", "30d").stdout.startswith(
        "1 notif"
    )
