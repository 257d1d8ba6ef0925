"""Why a poll or a read failed: the `kind` label of `edge_poll_errors`."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    # A Modbus read (edge_agent.bus.ReadError)
    TIMEOUT = "timeout"
    CONNECT = "connect"
    GARBAGE = "garbage"  # a malformed or short answer
    BUSY = "busy"  # exceptions 5/6: acknowledge, device busy
    ILLEGAL_ADDRESS = "illegal_address"  # exception 2
    EXCEPTION = "exception"  # any other Modbus exception
    # A poll as a whole
    NO_VALUES = "no_values"
    INTERNAL = "internal"
    # Values judged implausible (edge_agent.plausibility)
    NONFINITE = "nonfinite"
    OUT_OF_RANGE = "out_of_range"
    COUNTER_RESET = "counter_reset"
    COUNTER_GLITCH = "counter_glitch"  # a glitch or spike, settled by the readings after it


# Worth asking again a moment later: the next answer may well be good.
RETRYABLE = frozenset({ErrorKind.TIMEOUT, ErrorKind.CONNECT, ErrorKind.GARBAGE, ErrorKind.BUSY})
