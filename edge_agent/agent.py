"""The running agent: pollers, batcher, outbox, publisher and status, on one asyncio loop."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal
import threading
import time

from edge_agent.batcher import Batcher
from edge_agent.bus import Bus
from edge_agent.metrics import Metrics
from edge_agent.mqtt_link import LinkConfig, LinkEvents, MqttLink
from edge_agent.outbox import AsyncOutbox, Outbox, OutboxStats
from edge_agent.poller import MeterPoller, PollPolicy
from edge_agent.publisher import Publisher
from edge_agent.settings import AgentSettings
from edge_agent.status import build_status
from telemetry.models import AgentState
from telemetry.registry import Registry
from telemetry.registry.sites import Meter
from telemetry.topics import readings_topic, status_topic

log = logging.getLogger("edge_agent")


def make_buses(meters: list[Meter], request_gap_s: float) -> dict[str, Bus]:
    """One Bus per serial line or TCP endpoint; meters behind a gateway share it."""
    buses: dict[str, Bus] = {}
    for meter in meters:
        name = meter.connection.bus
        if name not in buses:
            buses[name] = Bus(name, meter.connection, request_gap_s)
    return buses


def policy_from(settings: AgentSettings) -> PollPolicy:
    return PollPolicy(
        retries=settings.retries,
        backoff_max_s=settings.backoff_max_s,
        device_cap=settings.max_registers,
    )


class EdgeAgent:
    """Every part is built here; `run` only starts and stops them."""

    def __init__(self, registry: Registry, agent_id: str, settings: AgentSettings) -> None:
        self.settings = settings
        self.agent = registry.agents[agent_id]
        self.site = registry.site_of_agent(agent_id).id
        self.metrics = Metrics()
        self.last_error: str | None = None
        self.outbox = AsyncOutbox(
            Outbox(settings.outbox_path(agent_id), int(settings.outbox_budget_mb * 1024 * 1024))
        )
        self.batcher = Batcher(self.site, agent_id, self.outbox, self.metrics)
        self.buses = make_buses(self.agent.meters, self.agent.request_gap_s)
        policy = policy_from(settings)
        self.pollers = [
            MeterPoller(
                m,
                registry.profile_of(m),
                self.buses[m.connection.bus],
                self.batcher.add,
                self.metrics,
                policy,
                on_error=self._note_error,
            )
            for m in self.agent.meters
        ]
        intervals = [m.poll_interval_s for m in self.agent.meters] or [10.0]
        self.cycle_s = settings.cycle_s or min(intervals)
        self.status_topic = status_topic(self.site, agent_id)
        events = LinkEvents(self._connected, self._disconnected, self._puback)
        self.link = MqttLink(self._link_config(), events)
        self.publisher = Publisher(
            self.outbox,
            self.link,
            readings_topic(self.site, agent_id),
            self.metrics,
            settings.replay_rate,
            on_error=self._note_error,
        )
        self._background: set[asyncio.Future] = set()
        self._goodbye_mid: int | None = None
        self._goodbye_acked = asyncio.Event()

    def _note_error(self, message: str) -> None:
        self.last_error = message

    def _link_config(self) -> LinkConfig:
        s = self.settings
        target = s.mqtt_target()
        return LinkConfig(
            host=target.host,
            port=target.port,
            client_id=self.agent.id,
            username=target.username,
            password=target.password,
            tls=target.tls,
            ca=str(s.mqtt_ca) if s.mqtt_ca else None,
            cert=str(s.mqtt_cert) if s.mqtt_cert else None,
            key=str(s.mqtt_key) if s.mqtt_key else None,
            will_topic=self.status_topic,
            reconnect_max_s=s.mqtt_reconnect_max_s,
        )

    # ---- events from the MQTT link (on the loop) --------------------------

    def _connected(self) -> None:
        log.info(
            "connected to the broker", extra={"broker": self.settings.mqtt_target().redacted()}
        )
        self.metrics.connected.set(1)
        self.publisher.on_connected()
        self._spawn(self.publish_status())

    def _disconnected(self, reason: str) -> None:
        level = logging.INFO if "Normal disconnection" in reason else logging.WARNING
        log.log(level, "broker connection lost", extra={"reason": reason})
        self.metrics.connected.set(0)

    def _puback(self, mid: int, ok: bool, reason: str) -> None:
        if mid == self._goodbye_mid:
            self._goodbye_acked.set()
        self.publisher.on_puback(mid, ok, reason)

    # ---- status ------------------------------------------------------------

    async def refresh_gauges(self) -> OutboxStats:
        stats = await self.outbox.stats()
        m = self.metrics
        m.outbox_depth.set(stats.depth)
        m.outbox_bytes.set(stats.bytes)
        m.dropped.set(stats.dropped)
        age = 0.0 if stats.oldest_created is None else max(0.0, time.time() - stats.oldest_created)
        m.outbox_oldest.set(age)
        return stats

    async def publish_status(self) -> None:
        stats = await self.refresh_gauges()
        status = build_status(self.pollers, stats, self.last_error)
        if self.link.connected:
            self.link.publish(self.status_topic, status.to_json(), retain=True)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.status_interval_s)
            try:
                await self.publish_status()
            except Exception:
                log.exception("could not publish status")

    def _flushed(self) -> None:
        self.publisher.wake.set()
        self._spawn(self.refresh_gauges())

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- run -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self.metrics.serve(self.settings.metrics_port)
        stats = await self.refresh_gauges()
        log.info(
            "agent starting",
            extra={
                "site": self.site,
                "meters": len(self.pollers),
                "outbox_depth": stats.depth,
                "next_seq": stats.next_seq,
                "cycle_s": self.cycle_s,
            },
        )
        self.link.start()
        tasks = [
            asyncio.create_task(p.run(self._offset(i, p)), name=p.meter.id)
            for i, p in enumerate(self.pollers)
        ]
        # Meters start at i/n of their interval; flushing just before the next
        # round starts keeps one round of polls in one batch.
        phase = self.cycle_s * (1 - 0.5 / max(1, len(self.pollers)))
        tasks.append(asyncio.create_task(self.batcher.run(self.cycle_s, self._flushed, phase)))
        tasks.append(asyncio.create_task(self.publisher.run()))
        tasks.append(asyncio.create_task(self._status_loop()))
        try:
            await stop.wait()
        finally:
            await self._shutdown(tasks)

    def _offset(self, index: int, poller: MeterPoller) -> float:
        """Stagger starts evenly over each meter's interval so requests do not bunch up."""
        n = max(1, len(self.pollers))
        return poller.meter.poll_interval_s * index / n

    async def _shutdown(self, tasks: list[asyncio.Task]) -> None:
        log.info("stopping")
        for t in tasks:
            t.cancel()
        _, stuck = await asyncio.wait(tasks, timeout=3.0)
        if stuck:
            log.warning("tasks did not stop", extra={"tasks": [t.get_name() for t in stuck]})
        try:
            # What was read is kept for the next start.
            await asyncio.wait_for(self.batcher.flush(), 5.0)
        except Exception:
            log.exception("could not store the last readings")
        if self.link.connected:
            try:
                await asyncio.wait_for(self._say_goodbye(), 5.0)
            except Exception:  # the will says offline if this does not get through
                log.warning("could not publish the offline status")
        self.link.stop()
        for bus in self.buses.values():
            bus.close()
        self.outbox.close()
        log.info("agent stopped")

    async def _say_goodbye(self) -> None:
        """Send what is queued (bounded), then the retained offline status."""
        await self.publisher.pump()
        await self.publisher.drain(2.0)
        stats = await self.outbox.stats()
        offline = build_status(self.pollers, stats, self.last_error)
        payload = offline.model_copy(update={"state": AgentState.OFFLINE}).to_json()
        self._goodbye_acked = asyncio.Event()
        self._goodbye_mid = self.link.publish(self.status_topic, payload, retain=True)
        await asyncio.wait_for(self._goodbye_acked.wait(), 2.0)


# A stop that takes longer than this is a bug; the outbox is safe, so exit hard.
SHUTDOWN_DEADLINE_S = 20.0


def _force_exit() -> None:
    faulthandler.dump_traceback(all_threads=True)
    log.error("shutdown took too long; exiting")
    os._exit(70)


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        if not stop.is_set():
            watchdog = threading.Timer(SHUTDOWN_DEADLINE_S, _force_exit)
            watchdog.daemon = True
            watchdog.start()
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
