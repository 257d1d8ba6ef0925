"""The contract shared by edge and cloud.

Reading and status models, topic names, canonical fields and units, the
register codec, the site and meter registry, and the shared settings. Every
other package imports this one and none other.
"""

from telemetry.fields import CONSUMPTION_FIELD, FIELDS, RATE_FIELD, FieldKind, FieldSpec, Utility
from telemetry.models import (
    MAX_READINGS_PER_BATCH,
    SCHEMA_ID,
    AgentState,
    AgentStatus,
    Quality,
    Reading,
    ReadingBatch,
    offline_will,
)
from telemetry.topics import (
    Topic,
    TopicError,
    TopicKind,
    parse_topic,
    readings_topic,
    shared_readings_subscription,
    status_topic,
)

__version__ = "0.1.0"

__all__ = [
    "CONSUMPTION_FIELD",
    "FIELDS",
    "MAX_READINGS_PER_BATCH",
    "RATE_FIELD",
    "SCHEMA_ID",
    "AgentState",
    "AgentStatus",
    "FieldKind",
    "FieldSpec",
    "Quality",
    "Reading",
    "ReadingBatch",
    "Topic",
    "TopicError",
    "TopicKind",
    "Utility",
    "__version__",
    "offline_will",
    "parse_topic",
    "readings_topic",
    "shared_readings_subscription",
    "status_topic",
]
