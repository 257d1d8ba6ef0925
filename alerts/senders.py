"""Sending one notification: a signed webhook POST or an e-mail over SMTP.

A sender raises DeliveryError on failure; the worker decides about retries.
Secrets come from the environment only: a webhook's HMAC key from the
variable its target names, SMTP credentials from ENERGY_SMTP_USERNAME and
ENERGY_SMTP_PASSWORD.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import httpx

from alerts.rules import EmailTarget, WebhookTarget

SIGNATURE_HEADER = "X-Energy-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class DeliveryError(RuntimeError):
    pass


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the target's key."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(target: WebhookTarget, key: str, payload: dict[str, Any]) -> None:
    secret = os.environ.get(target.secret_env)
    if not secret:
        raise DeliveryError(f"environment variable {target.secret_env} (HMAC key) is not set")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        IDEMPOTENCY_HEADER: key,
    }
    try:
        response = httpx.post(target.url, content=body, headers=headers, timeout=target.timeout_s)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{target.url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"{target.url} answered {response.status_code}")


def send(target: WebhookTarget | EmailTarget | None, key: str, body: dict[str, Any]) -> None:
    """One message to one target: a single alert's payload or a group's."""
    if isinstance(target, WebhookTarget):
        send_webhook(target, key, body)
    elif isinstance(target, EmailTarget):
        send_email(target, key, body)
    else:
        raise DeliveryError("the target is no longer in the rules file")


def send_email(target: EmailTarget, key: str, body: dict[str, Any]) -> None:
    if "alerts" in body:
        message = digest_message(target, key, body["alerts"])
    else:
        message = email_message(target, key, body)
    user = os.environ.get("ENERGY_SMTP_USERNAME")
    password = os.environ.get("ENERGY_SMTP_PASSWORD")
    try:
        with smtplib.SMTP(target.smtp_host, target.smtp_port, timeout=target.timeout_s) as smtp:
            if target.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if user and password:
                smtp.login(user, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        where = f"{target.smtp_host}:{target.smtp_port}"
        raise DeliveryError(f"SMTP {where}: {type(exc).__name__}: {exc}") from exc


def email_message(target: EmailTarget, key: str, payload: dict[str, Any]) -> EmailMessage:
    verb = "FIRING" if payload["event"] == "firing" else "RESOLVED"
    subject = f"[{payload['severity'].upper()}] {verb} {payload['rule']} — {_site(payload)}"
    return _message(target, key, subject, _describe(payload))


def digest_message(target: EmailTarget, key: str, payloads: list[dict[str, Any]]) -> EmailMessage:
    """Several alerts of one group (e.g. one site) in one e-mail."""
    sites = {_site(p) for p in payloads}
    where = sites.pop() if len(sites) == 1 else f"{len(sites) + 1} sites"
    firing = sum(p["event"] == "firing" for p in payloads)
    subject = (
        f"[{len(payloads)} alerts] {firing} firing, {len(payloads) - firing} resolved — {where}"
    )
    body = "\n".join(_describe(p) for p in payloads)
    return _message(target, key, subject, body)


def _message(target: EmailTarget, key: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = target.sender
    message["To"] = ", ".join(target.to)
    # The same id on every retry lets mail systems drop a second copy.
    message["Message-ID"] = f"<{key}@alerts.energy>"
    message.set_content(body)
    return message


def _site(payload: dict[str, Any]) -> str:
    return f"{payload.get('site_name') or payload.get('site') or '-'} ({payload.get('site')})"


def _describe(payload: dict[str, Any]) -> str:
    keys = ("event", "rule", "originator", "severity", "state", "value", "fired_at", "cleared_at")
    lines = [f"{k}: {payload[k]}" for k in keys if payload.get(k) is not None]
    labels = ", ".join(f"{k}={v}" for k, v in sorted(payload.get("labels", {}).items()))
    return "\n".join([*lines, f"labels: {labels}", ""])
