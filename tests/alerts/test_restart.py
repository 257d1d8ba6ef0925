"""SIGKILL of the real `python -m alerts` mid-pending and mid-firing loses no state and no
notification is sent twice."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from alerts.lifecycle import AlertState
from alerts.store import load
from devstack import InfluxServer, component_env, free_port
from telemetry.db.tables import alert_notifications
from telemetry.influxql import InfluxQL
from tests.alerts.receivers import WebhookLog, WebhookReceiver
from tests.support.processes import kill, python_m, run_module, start_logged
from tests.support.waiting import wait_until

SECRET = "restart-secret"
RULES = """\
rules:
  - {{id: slow, kind: stale, severity: minor, pending: 1h, nodata: alert,
     scope: {{site: hanam-ic, meter: gas-main}}}}
  - {{id: fast, kind: stale, severity: major, pending: 0s, nodata: alert,
     scope: {{site: hanam-ic, meter: gas-main}}}}
targets:
  hook: {{kind: webhook, url: "{url}", secret_env: ALERTS_TEST_SECRET}}
policies:
  - targets: [hook]
delivery: {{backoff: 0.1s, max_backoff: 0.2s, max_attempts: 100}}
"""
ORIGINATOR = "meter:hanam-ic/gas-main"


@contextmanager
def _alerts(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    proc = start_logged(python_m("alerts", *args), log, env)
    try:
        yield proc
    finally:
        kill(proc)


def _alert(engine: Engine, rule: str) -> AlertState | None:
    return load(engine, rule).get(ORIGINATOR)


def _notifications(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(alert_notifications)).mappings()]


@pytest.mark.slow
def test_sigkill_mid_pending_and_mid_firing(
    engine: Engine, db_url: str, influx: InfluxServer, influx_db: str, tmp_path: Path
) -> None:
    # The receiver refuses everything until the first process is killed: the
    # firing's notification is still undelivered (mid-retry) at SIGKILL.
    log = WebhookLog(SECRET, fail_first=10**6)
    err = tmp_path / "alerts.log"

    def logs() -> str:
        return err.read_text()[-3000:]

    with WebhookReceiver(log) as receiver:
        rules = tmp_path / "alerts.yaml"
        rules.write_text(RULES.format(url=receiver.url), encoding="utf-8")
        env = component_env({"ALERTS_TEST_SECRET": SECRET})
        metrics_port = free_port()
        args = ["--rules", str(rules), "--db-url", db_url, "--influx-url", influx.url,
                "--influx-bucket", influx_db, "--interval", "0.2",
                "--metrics-port", str(metrics_port)]  # fmt: skip
        with _alerts(args, env, err) as first:
            wait_until(lambda: log.requests >= 2, 60, "delivery attempts of the firing", logs=logs)
            wait_until(
                lambda: bool(_alert(engine, "slow")),
                60,
                "the slow rule to start pending",
                logs=logs,
            )
            pending = _alert(engine, "slow")
            fired = _alert(engine, "fast")
            ack = run_module(
                "alerts", "ack", fired.id, "--by", "kim", "--note", "valve checked",
                "--db-url", db_url, "--influx-url", influx.url, "--influx-bucket", influx_db,
                env=env, timeout=60,
            )  # fmt: skip
            assert ack.returncode == 0, ack.stderr
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        failed_before_kill = log.requests
        log.fail_first = failed_before_kill  # from now on the receiver accepts
        undelivered = _notifications(engine)
        restarted = datetime.now(UTC)
        with _alerts(args, env, err):

            def passed_since_restart() -> bool:
                alert = _alert(engine, "fast")
                return bool(alert and alert.last_breach_at and alert.last_breach_at > restarted)

            wait_until(passed_since_restart, 60, "passes after the restart", logs=logs)
            wait_until(
                lambda: len(log.accepted) == 1, 60, "the delivery after the restart", logs=logs
            )
            time.sleep(1.0)  # several more passes and delivery rounds
            slow, fast = _alert(engine, "slow"), _alert(engine, "fast")
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    assert pending and slow and fast
    # Mid-pending: the wait resumes from the stored start, never restarts.
    assert slow.state is None and slow.pending_since == pending.pending_since
    # Mid-firing: still the same firing, still acknowledged.
    assert fast.state == "active_acked" and fast.fired_at == fired.fired_at
    assert (fast.acked_by, fast.ack_note) == ("kim", "valve checked")
    # No duplicate notification: one outbox row, undelivered at the kill, then one
    # accepted request (the failed ones were refused, not delivered).
    assert len(undelivered) == 1 and undelivered[0]["delivered_at"] is None
    rows = _notifications(engine)
    assert len(rows) == 1 and rows[0]["delivered_at"] is not None
    assert log.requests == failed_before_kill + 1 and len(log.accepted) == 1
    # The acknowledgement is on the boards' record too.
    ql = InfluxQL(influx.url)
    acks = ql.rows(
        'SELECT "rule", "state" FROM "alert_events" WHERE "event" = \'acknowledged\'', influx_db
    )
    ql.close()
    assert [(r["rule"], r["state"]) for r in acks] == [("fast", "active_acked")]
    # The restarted process serves its metrics.
    assert 'alerts_firing{severity="major"} 1.0' in scraped
    assert 'alerts_evaluations_total{rule="slow"}' in scraped
