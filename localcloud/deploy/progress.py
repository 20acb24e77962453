"""Where a deploy's or a destroy's time goes, read from the lines cdktf and Terraform print.

Each line is stamped as it arrives. Marker lines split the run into phases (cdktf's start and
the synth, ``terraform init``, the plan, the apply, the outputs); each resource's
``Creating...`` / ``Creation complete`` (or ``Destroying...`` / ``Destruction complete``) pair
gives its duration, summed up per resource type. While the run goes, ``now()`` says where it is
(the phase, resources done of the plan's total, the slowest still in flight) for the progress
display, which reads it from another thread.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STARTED = re.compile(r"\b(aws_\w+)\.([\w-]+)(?: \([^)]*\))?: (Creating|Destroying|Modifying)\.\.\.")
DONE = re.compile(
    r"\b(aws_\w+)\.([\w-]+)(?: \([^)]*\))?: (Creation|Destruction|Modifications) complete"
)
PLANNED = re.compile(r"# (aws_\w+\.[\w-]+)(?: \([^)]*\))? (?:will be|must be) ([\w -]+)")
PLANNED_JSON = re.compile(r"\b(aws_\w+\.[\w-]+)(?: \([^)]*\))?: Plan to (\w+)")
"""A planned change as Terraform's JSON UI says it (cdktf prints each event's message)."""
JSON_ACTIONS = {
    "create": "created",
    "update": "updated in-place",
    "delete": "destroyed",
    "replace": "replaced",
    "read": "read during apply",
}
"""The JSON UI's action, as the human plan says it (``will be created``)."""
PLAN = re.compile(r"(Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.|No changes\.)")
CDKTF_SUFFIX = re.compile(r"_[0-9A-F]{8}$")
"""The hash cdktf appends to each resource's name."""
# (the phase a line ends, what the line says). "synth" is cdktf's own start and the synth.
MARKERS = (
    ("synth", "Initializing the backend"),
    ("init", "Terraform has been successfully initialized"),
    ("plan", "Terraform will perform the following actions"),
    ("plan", "Terraform used the selected providers"),
    ("plan", "Plan: "),  # the JSON UI's plan has no heading: its summary ends it
    ("apply", "Apply complete!"),
    ("apply", "Destroy complete!"),
)
STEPS = ("synth", "init", "plan", "apply")


@dataclass(frozen=True)
class Snapshot:
    """Where a run is: its phase (a step of ``STEPS``, or "outputs" once the apply is over),
    resources done of the plan's ``total`` (None until the plan is known), seconds since it
    began, and the resource in flight the longest (None when none is) with its seconds."""

    phase: str
    done: int
    total: int | None
    elapsed: float
    slowest: str | None
    slowest_s: float


def short_address(address: str) -> str:
    """``aws_kms_key.encryption_key_EEB70057`` as ``aws_kms_key.encryption_key``."""
    return CDKTF_SUFFIX.sub("", address)


@dataclass
class Progress:
    """Phase and resource timings of one cdktf or Terraform run (feed it every line)."""

    clock: object = time.monotonic
    started: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)
    _begun: dict[str, float] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    planned: dict[str, str] = field(default_factory=dict)
    plan: str = ""
    total: int | None = None
    """Resources the plan changes (None until it is printed)."""
    done: int = 0
    """Resources created, changed or destroyed so far."""
    finished: set[str] = field(default_factory=set)
    steps: tuple[str, ...] = STEPS
    """The phases this run goes through (a destroy starts at the plan)."""
    ended: float | None = None
    stamped: list[tuple[float, str]] = field(default_factory=list)
    """Every line with its seconds since the run began (``bench.deploy_path`` reads them)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        self.started = self.clock()

    def feed(self, line: str) -> None:
        """Take one line of output."""
        with self._lock:
            now, text = self.clock(), ANSI.sub("", line)
            self.stamped.append((now - self.started, text))
            self._feed(now, text)

    def _feed(self, now: float, text: str) -> None:
        for phase, marker in MARKERS:
            if marker in text and phase not in self.marks:
                self.marks[phase] = now
        for found in PLANNED.finditer(text):
            self.planned[found.group(1)] = found.group(2).strip()
        for found in PLANNED_JSON.finditer(text):
            action = found.group(2)
            self.planned[found.group(1)] = JSON_ACTIONS.get(action, action)
        found = PLAN.search(text)
        if found and not self.plan:
            self.plan = found.group(1)
            self.total = sum(int(found.group(n) or 0) for n in (2, 3, 4))
        for found in STARTED.finditer(text):
            self._begun.setdefault(f"{found.group(1)}.{found.group(2)}", now)
            self.marks.setdefault("plan", now)  # no plan printed: the apply begins here
        for found in DONE.finditer(text):
            address = f"{found.group(1)}.{found.group(2)}"
            self.done += 1
            self.finished.add(address)
            if address in self._begun:
                self.durations[address] = now - self._begun[address]

    def begun(self) -> dict[str, float]:
        """When each resource's change began (seconds since the run began)."""
        with self._lock:
            return {address: at - self.started for address, at in self._begun.items()}

    def write_stamped(self, path) -> None:
        """The run's lines, each as ``seconds<TAB>line``."""
        with self._lock:
            text = "".join(f"{at:.3f}\t{line}\n" for at, line in self.stamped)
        path.write_text(text, encoding="utf-8")

    def now(self) -> Snapshot:
        """Where the run is now."""
        with self._lock:
            at = self.clock()
            phase = next((step for step in self.steps if step not in self.marks), "outputs")
            flying = {a: t for a, t in self._begun.items() if a not in self.finished}
            slowest = min(flying, key=flying.get) if flying else None
            return Snapshot(
                phase=phase,
                done=self.done,
                total=self.total,
                elapsed=at - self.started,
                slowest=short_address(slowest) if slowest else None,
                slowest_s=at - flying[slowest] if slowest else 0.0,
            )

    def finish(self) -> None:
        """The run has exited."""
        self.ended = self.clock()

    def phases(self) -> dict[str, float]:
        """Seconds per phase, in order; a phase whose marker never came is left out."""
        end = self.ended if self.ended is not None else self.clock()
        points = [("", self.started)]
        for phase in ("synth", "init", "plan", "apply"):
            if phase in self.marks:
                points.append((phase, self.marks[phase]))
        points.append(("outputs", end))
        result = {}
        for (_, begin), (phase, finish) in itertools.pairwise(points):
            result[phase] = round(max(finish - begin, 0.0), 2)
        return result

    def by_type(self) -> dict[str, dict[str, float]]:
        """Per resource type: how many, the longest and the sum of their durations (seconds),
        slowest first."""
        types: dict[str, dict[str, float]] = {}
        for address, seconds in self.durations.items():
            entry = types.setdefault(
                address.split(".")[0], {"count": 0, "max_s": 0.0, "sum_s": 0.0}
            )
            entry["count"] += 1
            entry["max_s"] = round(max(entry["max_s"], seconds), 2)
            entry["sum_s"] = round(entry["sum_s"] + seconds, 2)
        return dict(sorted(types.items(), key=lambda kv: -kv[1]["max_s"]))

    def changes(self, top: int = 8) -> str:
        """The plan's summary and its resource changes, on one line."""
        listed = [f"{address} {action}" for address, action in self.planned.items()]
        more = f", and {len(listed) - top} more" if len(listed) > top else ""
        detail = f": {', '.join(listed[:top])}{more}" if listed else ""
        return (self.plan or "no plan printed").rstrip(".") + detail

    def summary(self, top: int = 4) -> str:
        """One line: the slowest resource types."""
        parts = [
            f"{name} {entry['max_s']:.1f} s"
            + (f" (x{entry['count']})" if entry["count"] > 1 else "")
            for name, entry in list(self.by_type().items())[:top]
        ]
        return ", ".join(parts)
