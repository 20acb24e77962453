"""What a person sees while a deploy or a destroy runs, instead of Terraform's own lines (which
go to ``.localcloud/deploy.log`` and ``destroy.log``).

- In a terminal: two live lines, redrawn by ``rich`` four times a second and gone when the run
  ends (the caller then says how it went): what runs and where its log is; the phase, a bar and
  the resources done of the plan's total, the time so far, and the resource in flight the
  longest.
- In a pipe or CI: what runs and where its log is, then the same facts as a plain
  ``localcloud:`` line when the phase changes and every ``PLAIN_EVERY`` seconds, so a log shows
  life at a steady pace and never a redraw.

With ``--verbose`` Terraform's lines are shown as well (above the live line in a terminal).
The display reads ``Progress.now()``; the lines feed ``Progress`` on the reader's thread.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time

from rich.console import Console
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from localcloud.base.output import say
from localcloud.deploy.cdktf import ANSI
from localcloud.deploy.progress import Progress, Snapshot

PLAIN_EVERY = 10.0
"""Seconds between two plain progress lines within one phase."""
POLL = 0.25
"""Seconds between two looks at the run for a plain line."""
PHASES = {"synth": "synth", "init": "terraform init", "plan": "plan", "outputs": "outputs"}


def phase_name(snapshot: Snapshot, verb: str) -> str:
    """The phase as a person reads it; the apply is named by ``verb`` (apply or destroy)."""
    return verb if snapshot.phase == "apply" else PHASES.get(snapshot.phase, snapshot.phase)


def counted(snapshot: Snapshot) -> str:
    """``12/168 resources``, or ``12 resources`` before the plan's total is known."""
    total = f"/{snapshot.total}" if snapshot.total is not None else ""
    return f"{snapshot.done}{total} resources"


def in_flight(snapshot: Snapshot) -> str:
    """The resource in flight the longest, or nothing."""
    if not snapshot.slowest:
        return ""
    return f"slowest in flight: {snapshot.slowest} {snapshot.slowest_s:.0f} s"


def describe(what: str, snapshot: Snapshot, verb: str) -> str:
    """One plain line: where the run is."""
    parts = [f"{what}: {phase_name(snapshot, verb)}", counted(snapshot)]
    parts.append(f"{snapshot.elapsed:.0f} s")
    if flying := in_flight(snapshot):
        parts.append(flying)
    return ", ".join(parts)


def live_lines(what: str, log: str, snapshot: Snapshot, verb: str) -> LiveLines:
    """The terminal's live lines."""
    return LiveLines(what, log, snapshot, verb)


class LiveLines:  # pylint: disable=too-few-public-methods  # a rich renderable
    """Two lines, each on one row whatever the terminal's width: the bar, then the resource in
    flight, give way first."""

    BAR = 20

    def __init__(self, what: str, log: str, snapshot: Snapshot, verb: str):
        self.header = f"localcloud: {what} (Terraform's output: {log})"
        self.label = f"{what}: {phase_name(snapshot, verb)}"
        self.snapshot = snapshot

    def __rich_console__(self, _console, options):
        width, snapshot = options.max_width, self.snapshot
        header = Text(self.header, no_wrap=True, overflow="ellipsis")
        header.truncate(width, overflow="ellipsis")
        yield header
        cells = [
            (Spinner("dots", style="cyan"), 1),
            (Text(self.label, style="bold"), len(self.label)),
            (Text(counted(snapshot)), len(counted(snapshot))),
            (Text(time.strftime("%M:%S", time.gmtime(snapshot.elapsed)), style="yellow"), 5),
        ]
        room = width - sum(size + 1 for _, size in cells)
        if room >= self.BAR + 1 + 20:  # the bar, if the resource in flight keeps some room
            done = ProgressBar(total=snapshot.total or None, completed=snapshot.done)
            cells.insert(2, (done, self.BAR))
            room -= self.BAR + 1
        flying = in_flight(snapshot)
        if flying and room > 10:
            cells.append((Text(flying, style="dim"), min(len(flying), room)))
        row = Table.grid(padding=(0, 1))
        for _, size in cells:
            row.add_column(width=size, no_wrap=True, overflow="ellipsis")
        row.add_row(*(cell for cell, _ in cells))
        yield row


class PlainPace:  # pylint: disable=too-few-public-methods  # one question, with memory
    """When a pipe gets its next line: at each new phase, else every ``every`` seconds."""

    def __init__(self, every: float = PLAIN_EVERY):
        self.every = every
        self.phase: str | None = None
        self.last = 0.0

    def due(self, snapshot: Snapshot, now: float) -> bool:
        """Whether to print a line about ``snapshot`` at ``now`` (and note that it was)."""
        if snapshot.phase == self.phase and now - self.last < self.every:
            return False
        self.phase, self.last = snapshot.phase, now
        return True


class ProgressDisplay:
    """Shows runs' progress on ``stream`` (stdout): live when it is a terminal, else plain
    lines; ``verbose``: Terraform's own lines too."""

    def __init__(self, stream=None, *, verbose: bool = False, live: bool | None = None):
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.live = self.stream.isatty() if live is None else live
        self._live: Live | None = None

    @contextlib.contextmanager
    def showing(self, what: str, log: str, progress: Progress, verb: str = "apply"):
        """Show ``progress`` of ``what`` ("deploying ecommerce-local"), whose output goes to
        ``log``, for the block's length."""
        if self.live:
            console = Console(file=self.stream, force_terminal=True)
            with Live(
                get_renderable=lambda: live_lines(what, log, progress.now(), verb),
                console=console,
                refresh_per_second=4,
                transient=True,
            ) as live:
                self._live = live
                try:
                    yield
                finally:
                    self._live = None
            return
        say(f"{what} (Terraform's output: {log})")
        stop = threading.Event()
        thread = threading.Thread(
            target=self._plain, args=(what, progress, verb, stop), daemon=True
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    @staticmethod
    def _plain(what: str, progress: Progress, verb: str, stop: threading.Event) -> None:
        pace = PlainPace()
        while True:
            snapshot = progress.now()
            if pace.due(snapshot, time.monotonic()):
                say(describe(what, snapshot, verb))
            if stop.wait(POLL):
                return

    def echo(self, line: str) -> None:
        """One of Terraform's lines, shown with ``--verbose`` (indented under the runner's)."""
        if not self.verbose or not line.strip():
            return
        if self._live is not None:
            self._live.console.print(Text.from_ansi(f"    {line}"), highlight=False)
            return
        with contextlib.suppress(OSError, ValueError):
            print(f"    {ANSI.sub('', line)}", file=self.stream, flush=True)

    def replay(self, log: str, lines: list[str]) -> None:
        """A failed run's output in full (unless ``--verbose`` showed it already)."""
        if self.verbose:
            return
        say(f"Terraform's output ({log}):")
        with contextlib.suppress(OSError, ValueError):
            for line in lines:
                print(f"    {ANSI.sub('', line)}", file=self.stream)
            self.stream.flush()
