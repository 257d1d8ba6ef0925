"""One Modbus line (a serial port or a TCP device/gateway): its client, lock and pacing.

Meters that share a bus queue behind one asyncio lock, with the agent's
`request_gap_s` between requests (RS-485 gateways and slow devices need the
pause). pymodbus is the transport only; retries, timeouts and reconnects are
ours: pymodbus' own retries are off and so is its automatic reconnect, and a
timed-out request closes the client so a late answer cannot be taken for the
next request's.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusIOException

from edge_agent.error_kinds import ErrorKind
from telemetry.registry.profiles import Table
from telemetry.registry.sites import RtuConnection, TcpConnection

Connection = TcpConnection | RtuConnection
ModbusClient = AsyncModbusTcpClient | AsyncModbusSerialClient


class ReadError(Exception):
    """A failed read; `kind` is the metric label."""

    def __init__(self, kind: ErrorKind, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


ILLEGAL_ADDRESS = 2
EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge",
    6: "device busy",
    10: "gateway path unavailable",
    11: "gateway target failed to respond",
}
_KIND_OF_EXCEPTION = {
    ILLEGAL_ADDRESS: ErrorKind.ILLEGAL_ADDRESS,
    5: ErrorKind.BUSY,
    6: ErrorKind.BUSY,
}


def _make_client(conn: Connection) -> ModbusClient:
    # Generous transport timeout: the per-request deadline is our wait_for.
    common = {"timeout": conn.timeout_s + 1.0, "retries": 0, "reconnect_delay": 0}
    if isinstance(conn, TcpConnection):
        return AsyncModbusTcpClient(conn.host, port=conn.port, **common)
    return AsyncModbusSerialClient(
        conn.device,
        baudrate=conn.baud,
        bytesize=conn.bytesize,
        parity=conn.parity,
        stopbits=conn.stopbits,
        **common,
    )


class Bus:
    """A serial line or TCP endpoint shared by the meters behind it."""

    def __init__(self, name: str, conn: Connection, request_gap_s: float = 0.0) -> None:
        self.name = name
        self.conn = conn
        self.request_gap_s = request_gap_s
        self.lock = asyncio.Lock()
        self._client: ModbusClient | None = None
        self._last_request = 0.0
        self.requests = 0

    async def read(
        self, table: Table, start: int, count: int, unit: int, timeout_s: float
    ) -> list[int]:
        """Registers [start, start+count) of one table of one unit, or ReadError."""
        async with self.lock:
            await self._pace()
            try:
                # asyncio.timeout, unlike wait_for, needs no extra task per request.
                async with asyncio.timeout(timeout_s):
                    return await self._read(table, start, count, unit)
            except TimeoutError:
                self.reopen()
                raise ReadError(ErrorKind.TIMEOUT, f"no answer within {timeout_s:g} s") from None
            except ReadError:
                raise
            except ConnectionException as exc:
                self.reopen()
                raise ReadError(ErrorKind.CONNECT, f"cannot reach {self.name}: {exc}") from None
            except (ModbusIOException, OSError, ValueError, IndexError) as exc:
                # A malformed frame leaves the stream in an unknown state.
                self.reopen()
                raise ReadError(ErrorKind.GARBAGE, f"bad response: {exc}") from None
            finally:
                self._last_request = time.monotonic()
                self.requests += 1

    async def _pace(self) -> None:
        wait = self._last_request + self.request_gap_s - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _read(self, table: Table, start: int, count: int, unit: int) -> list[int]:
        client = await self._connected()
        call = (
            client.read_input_registers if table is Table.INPUT else client.read_holding_registers
        )
        response = await call(start, count=count, device_id=unit)
        if response.isError():
            code = getattr(response, "exception_code", None)
            name = EXCEPTION_NAMES.get(code or 0, "error")
            kind = _KIND_OF_EXCEPTION.get(code or 0, ErrorKind.EXCEPTION)
            raise ReadError(
                kind, f"Modbus exception {code} ({name}) at {table.value} {start}+{count}", code
            )
        registers = list(response.registers)
        if len(registers) < count:
            self.reopen()
            raise ReadError(ErrorKind.GARBAGE, f"asked {count} registers, got {len(registers)}")
        return registers[:count]

    async def _connected(self) -> ModbusClient:
        if self._client is None:
            self._client = _make_client(self.conn)
        if not self._client.connected:
            ok = await self._client.connect()
            if not ok:
                self.reopen()
                raise ReadError(ErrorKind.CONNECT, f"cannot connect to {self.name}")
        return self._client

    def reopen(self) -> None:
        """Close the client; the next request opens a fresh one."""
        if self._client is not None:
            # Closing a broken transport must not mask the error that led here.
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    def close(self) -> None:
        self.reopen()
