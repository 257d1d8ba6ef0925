"""A tiny pymodbus client helper: one fresh connection per read, so a late answer never leaks."""

from __future__ import annotations

from dataclasses import dataclass

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from telemetry.codec import ByteOrder, RegisterType, decode, register_count


@dataclass(frozen=True)
class Answer:
    registers: list[int] | None = None  # the registers, when the meter answered normally
    exception: int | None = None  # a Modbus exception code
    timed_out: bool = False


def read(
    port: int, unit: int, address: int, count: int, *, table: str = "input", timeout: float = 1.0
) -> Answer:
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=timeout, retries=0)
    try:
        if not client.connect():
            raise AssertionError(f"cannot connect to 127.0.0.1:{port}")
        call = client.read_input_registers if table == "input" else client.read_holding_registers
        try:
            response = call(address, count=count, device_id=unit)
        except ModbusException:
            return Answer(timed_out=True)
        if response.isError():
            return Answer(exception=response.exception_code)
        return Answer(registers=list(response.registers))
    finally:
        client.close()


def value(
    port: int, unit: int, address: int, rtype: str = "float32", order: str = "ABCD", **kw
) -> float:
    t = RegisterType(rtype)
    answer = read(port, unit, address, register_count(t), **kw)
    assert answer.registers is not None, answer
    return decode(answer.registers, t, ByteOrder(order))
