"""Alerts: rules from config/alerts.yaml evaluated over the private store.

State (one alert per rule and originator), acknowledgements, silences and the
notification outbox live in the platform database (telemetry/db), so a
restart loses nothing; delivery (webhook, e-mail) runs beside evaluation and
never blocks it.
"""
