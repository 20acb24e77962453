"""``Triggers``: every deployed event source mapping and schedule, running beside the gateway
(see the package's docstring)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from botocore.config import Config

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError, described
from localcloud.base.output import JsonLines
from localcloud.base.polling import Poller
from localcloud.emulator.clock import ClockClient
from localcloud.lambdas.code_store import CodeStore
from localcloud.lambdas.function_pool import DEFAULT_CONCURRENCY_CAP
from localcloud.lambdas.worker_process import INIT_TIMEOUT_S
from localcloud.triggers.invoker import FAILURES, Invoker
from localcloud.triggers.queues import QueuePoller
from localcloud.triggers.schedule_sender import ScheduleSender
from localcloud.triggers.schedules import ScheduleFirer
from localcloud.triggers.sources import Deployed, read_deployed
from localcloud.triggers.stalls import StallWatch
from localcloud.triggers.streams import StreamPoller

CLIENT_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=20
)


TriggerLog = JsonLines
"""The triggers' lines: JSON lines beside the gateway's on the runner's stdout (each batch, each
schedule fired, each reload), whole whichever thread writes them."""


def start_workers(pools: dict) -> dict[str, Exception]:
    """A worker started in each of ``pools`` at once; the pools whose worker does not start."""
    failures: dict[str, Exception] = {}
    with ThreadPoolExecutor(max_workers=max(len(pools), 1)) as starting:
        started = {name: starting.submit(pool.prewarm) for name, pool in pools.items()}
    for name, future in started.items():
        try:
            future.result()
        except FAILURES as exc:
            failures[name] = exc
    return failures


@dataclass(frozen=True)
class Intervals:
    """How often each part looks (seconds)."""

    poll: float = 0.25
    """A queue or a stream with nothing new."""
    schedules: float = 0.5
    refresh: float = 2.0
    """What is deployed (a redeploy's new mappings, schedules and function code)."""
    stalls: float = 5.0
    """Whether a poller's batch has outlived its bound (``stalls``)."""


class Triggers:  # pylint: disable=too-many-instance-attributes
    """Runs what the emulator at ``endpoint_url`` has deployed (``start``) until ``close``;
    ``invoker``: the functions (default: warm workers of the packages in ``code_store``)."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        endpoint_url: str,
        region: str,
        code_store: CodeStore,
        *,
        log_stream=None,
        intervals: Intervals = Intervals(),
        invoker=None,
        concurrency_cap: int = DEFAULT_CONCURRENCY_CAP,
    ):
        self.endpoint_url = endpoint_url
        self.region = region
        self.log = TriggerLog(log_stream)
        self.intervals = intervals
        self.invoker = invoker or Invoker(endpoint_url, region, code_store, concurrency_cap)
        session = aws.session(region)
        self.clients = {
            name: session.client(name, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
            for name in ("lambda", "scheduler", "sqs", "dynamodbstreams")
        }
        scheduler = aws.session(region, aws.SCHEDULER_SERVICE_CREDENTIALS)
        self.sender = ScheduleSender(
            scheduler.client("sts", endpoint_url=endpoint_url),
            self.clients["sqs"],
            endpoint_url,
            region,
        )
        self.clock = ClockClient(endpoint_url)
        self.deployed = Deployed()
        self.pollers: dict[str, Poller] = {}
        self.firer = ScheduleFirer(
            self.now, self.sender.send, self.log.write, self.sender.dead_letter
        )
        self._background: list[Poller] = []
        self.stalls = StallWatch(self.batch_bound_s, self.log.write)

    def batch_bound_s(self, function: str) -> float:
        """How long a batch of ``function`` may take: its timeout and a worker's start."""
        pool = self.invoker.pools.get(function)
        return (pool.spec.timeout_s if pool else 0) + INIT_TIMEOUT_S

    def now(self) -> float:
        """The local clock's time."""
        return time.time() + self.clock.offset_s()

    def read(self) -> Deployed:
        """What is deployed now; a one-sentence error when it cannot be read."""
        try:
            return read_deployed(self.clients["lambda"], self.clients["scheduler"])
        except Exception as exc:  # pylint: disable=broad-exception-caught  # said in one line
            raise LocalCloudError(
                f"Could not read the event source mappings and schedules from the emulator at "
                f"{self.endpoint_url}: {exc}"
            ) from exc

    def start(self, prewarm: bool = False) -> None:
        """Read what is deployed and run it in background threads."""
        self.apply(self.read())
        if prewarm:
            self.invoker.prewarm()
        for name, interval, tick in (
            ("triggers-schedules", self.intervals.schedules, self._fire),
            ("triggers-refresh", self.intervals.refresh, self._refresh),
            ("triggers-stalls", self.intervals.stalls, self.stalls.check),
        ):
            poller = Poller(name, interval, tick)
            poller.start()
            self._background.append(poller)

    def apply(self, deployed: Deployed) -> None:
        """Run ``deployed``: pollers of new mappings started, of gone ones stopped; the
        functions' pools and the schedules updated."""
        self.invoker.refresh(deployed.functions)
        wanted = {m.uuid: m for m in deployed.mappings}
        for uuid in set(self.pollers) - set(wanted):
            self.pollers.pop(uuid).stop()
        for uuid, mapping in wanted.items():
            if uuid in self.pollers:
                continue
            runner = self.poller_of(mapping)
            poller = Poller(
                f"trigger-{mapping.function_name}",
                self.intervals.poll,
                _ticking(runner, self.log, self.stalls),
            )
            poller.start()
            self.pollers[uuid] = poller
        self.firer.update(deployed.schedules)
        self.deployed = deployed

    def reload_functions(self) -> dict[str, Exception]:
        """Read the mapped functions again (new code, in watch mode) and start a worker in each
        new pool at once; the functions whose worker does not start, with why."""
        return start_workers(self.invoker.refresh(self.deployed.functions))

    def poller_of(self, mapping):
        """The poller that runs ``mapping`` (``poll_once()``)."""
        if mapping.kind == "sqs":
            return QueuePoller(
                mapping, self.clients["sqs"], self.invoker, region=self.region, log=self.log.write
            )
        return StreamPoller(
            mapping,
            self.clients["dynamodbstreams"],
            self.invoker,
            region=self.region,
            log=self.log.write,
            offset_s=self.clock.offset_s,
        )

    def _fire(self) -> None:
        try:
            self.firer.fire_due()
        except LocalCloudError as exc:  # the clock did not answer: the next tick tries again
            self.log.write({"event": "schedules-failed", **described(exc)})

    def _refresh(self) -> None:
        try:
            deployed = self.read()
            if deployed.fingerprint() != self.deployed.fingerprint():
                self.apply(deployed)
                self.log.write({"event": "triggers-reloaded", "mappings": len(deployed.mappings)})
            else:
                self.invoker.refresh(deployed.functions)  # new code of a function
        except Exception as exc:  # pylint: disable=broad-exception-caught  # said, tried again
            self.log.write({"event": "triggers-reload-failed", **described(exc)})

    def close(self) -> None:
        """Stop every poller and worker."""
        for poller in [*self._background, *self.pollers.values()]:
            poller.stop()
        for poller in [*self._background, *self.pollers.values()]:
            if poller.is_alive():
                poller.join(30)
        self.pollers.clear()
        self.invoker.close()


def _ticking(runner, log: TriggerLog, stalls: StallWatch):
    """A poller's tick: one batch at a time (each watched by ``stalls``), again at once while
    there is more; an error (the emulator restarting) is said and the next tick tries again."""
    mapping = runner.mapping

    def once() -> int:
        with stalls.batch(mapping.function_name, mapping.source_arn):
            return runner.poll_once()

    def tick() -> None:
        try:
            while once():
                pass
        except Exception as exc:  # pylint: disable=broad-exception-caught
            log.write(
                {
                    "event": "trigger-failed",
                    "function": runner.mapping.function_name,
                    **described(exc),
                }
            )

    return tick
