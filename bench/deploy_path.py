"""A deploy's critical path and its floor, read from the deploy's own stamped lines.

``python -m bench.deploy_path [--log .localcloud/deploy-times.log] [--stack DIR]``

The log is the one each local-cloud deploy writes (``localcloud.deploy.deployer``): every line of
cdktf and Terraform, stamped with the seconds since the deploy began as it arrived
(``12.345<TAB>line``). Each resource's span runs from its ``Creating...`` line to its
``Creation complete`` line; the dependencies are the references and ``depends_on`` of the
synthesized ``cdk.tf.json`` (what Terraform's graph is built from; a data source passes its own
references on).

Printed: the phases; the chain of resources whose durations add up the most (the critical path:
the apply cannot end sooner than its sum, however wide ``-parallelism`` is); the chain that did
gate the end (from the last resource to finish, back through the dependency that finished last);
and the floor. The floor counts, per link of the chain, only the provider's own client-side wait
(``FIXED_WAIT_S``: sleeps and consecutive identical reads in hashicorp/aws 5.100.0 that no answer
of the emulator can shorten), plus the phases around the apply (cdktf's start, ``terraform init``,
the plan, the outputs) as measured.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.command import Report, flag, run
from localcloud.deploy.progress import Progress, short_address

# Per resource type: the provider's (hashicorp/aws 5.100.0) fixed client-side wait on a create,
# in seconds, and where it comes from. A wait of N consecutive identical reads P seconds apart
# lasts (N - 1) * P however fast the answers come.
FIXED_WAIT_S: dict[str, tuple[float, str]] = {
    "aws_sqs_queue": (25.0, "waitQueueAttributesPropagated: 6 equal reads, 5 s apart"),
    "aws_sqs_queue_policy": (25.0, "waitQueueAttributesPropagated: 6 equal reads, 5 s apart"),
    "aws_sqs_queue_redrive_policy": (25.0, "waitQueueAttributesPropagated"),
    "aws_sqs_queue_redrive_allow_policy": (25.0, "waitQueueAttributesPropagated"),
    "aws_kms_key": (
        12.0,
        "rotation, policy and tags propagated: 5 equal reads each, 1 s apart",
    ),
    "aws_vpc": (10.0, "waitVPCAttributeUpdated (DNS hostnames): a 10 s delay before any read"),
    "aws_lambda_function": (5.0, "waitFunctionCreated: a 5 s delay before the first read"),
}
REFERENCE = re.compile(r"(data\.)?\b(aws_\w+)\.([\w-]+)")


@dataclass(frozen=True)
class Span:
    """One resource's create: seconds since the deploy began."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        """How long it took."""
        return self.end - self.start


def read_stamped(text: str) -> list[tuple[float, str]]:
    """``12.345<TAB>line`` lines as (seconds, line); other lines are left out."""
    stamped = []
    for line in text.splitlines():
        stamp, tab, rest = line.partition("\t")
        try:
            at = float(stamp)
        except ValueError:
            continue
        if tab:
            stamped.append((at, rest))
    return stamped


def replay(stamped: list[tuple[float, str]]) -> Progress:
    """The deploy's ``Progress``, fed its lines at their own times."""
    now = [stamped[0][0] if stamped else 0.0]
    progress = Progress(clock=lambda: now[0])
    progress.started = 0.0
    for at, line in stamped:
        now[0] = at
        progress.feed(line)
    progress.finish()
    return progress


def spans(progress: Progress) -> dict[str, Span]:
    """Each created resource's span, by its address without cdktf's hash."""
    return {
        short_address(address): Span(start, start + progress.durations[address])
        for address, start in progress.begun().items()
        if address in progress.durations
    }


def dependencies(stack: dict) -> dict[str, set[str]]:
    """Per resource (address without cdktf's hash): the resources it waits for, through data
    sources."""
    nodes: dict[str, set[str]] = {}
    for kind in ("resource", "data"):
        prefix = "data." if kind == "data" else ""
        for rtype, items in stack.get(kind, {}).items():
            for name, body in items.items():
                text = json.dumps(body)
                nodes[f"{prefix}{rtype}.{name}"] = {
                    f"{found.group(1) or ''}{found.group(2)}.{found.group(3)}"
                    for found in REFERENCE.finditer(text)
                }
    resolved: dict[str, set[str]] = {}

    def resolve(node: str, seen: frozenset = frozenset()) -> set[str]:
        if node in resolved:
            return resolved[node]
        found: set[str] = set()
        for ref in nodes.get(node, ()):
            if ref not in nodes or ref in seen or ref == node:
                continue
            found |= resolve(ref, seen | {node}) if ref.startswith("data.") else {ref}
        resolved[node] = found
        return found

    return {
        short_address(node): {short_address(ref) for ref in resolve(node)}
        for node in nodes
        if not node.startswith("data.")
    }


def longest_chain(weights: dict[str, float], deps: dict[str, set[str]]) -> list[str]:
    """The dependency chain whose weights add up the most (first to last)."""
    best: dict[str, tuple[float, list[str]]] = {}

    def visit(node: str, path: frozenset = frozenset()) -> tuple[float, list[str]]:
        if node not in best:
            before = [visit(d, path | {node}) for d in deps.get(node, ()) if d not in path]
            total, chain = max(before, default=(0.0, []), key=lambda item: item[0])
            best[node] = (total + weights.get(node, 0.0), [*chain, node])
        return best[node]

    ends = [visit(node) for node in sorted(weights)]
    return max(ends, default=(0.0, []), key=lambda item: item[0])[1]


def gating_chain(created: dict[str, Span], deps: dict[str, set[str]]) -> list[str]:
    """From the resource that finished last, back through the dependency that finished last."""
    if not created:
        return []
    node = max(created, key=lambda a: created[a].end)
    chain = [node]
    while True:
        before = [d for d in deps.get(node, ()) if d in created]
        if not before:
            return chain[::-1]
        node = max(before, key=lambda a: created[a].end)
        chain.append(node)


def fixed_wait(address: str) -> float:
    """The provider's fixed client-side wait on creating ``address`` (0 when it has none)."""
    return FIXED_WAIT_S.get(address.split(".", maxsplit=1)[0], (0.0, ""))[0]


def report(progress: Progress, stack: dict) -> dict:
    """The phases, the critical path by duration, the gating chain, and the floor."""
    created = spans(progress)
    deps = dependencies(stack)
    durations = {a: s.seconds for a, s in created.items()}
    critical = longest_chain(durations, deps)
    waits = {a: fixed_wait(a) for a in deps}
    floor_chain = longest_chain(waits, deps)
    phases = progress.phases()
    around = sum(s for phase, s in phases.items() if phase != "apply")
    apply_floor = sum(waits[a] for a in floor_chain)
    return {
        "phases": phases,
        "critical_path": [(a, round(durations[a], 2), fixed_wait(a)) for a in critical],
        "critical_s": round(sum(durations[a] for a in critical), 2),
        "gating_chain": [
            (a, round(created[a].start, 2), round(created[a].end, 2))
            for a in gating_chain(created, deps)
        ],
        "floor_chain": [(a, waits[a]) for a in floor_chain],
        "apply_floor_s": apply_floor,
        "around_apply_s": round(around, 2),
        "floor_s": round(apply_floor + around, 2),
    }


def render(result: dict) -> str:
    """The report as lines for a person."""
    lines = ["phases: " + ", ".join(f"{p} {s:.1f} s" for p, s in result["phases"].items())]
    lines.append(f"critical path by duration ({result['critical_s']:.1f} s):")
    lines += [f"  {a}  {s:.1f} s (fixed wait {w:.0f} s)" for a, s, w in result["critical_path"]]
    lines.append("the chain that gated the end (start -> end, s since the deploy began):")
    lines += [f"  {a}  {b:.1f} -> {e:.1f}" for a, b, e in result["gating_chain"]]
    chain = " -> ".join(f"{a} {w:.0f} s" for a, w in result["floor_chain"] if w)
    lines.append(f"apply floor {result['apply_floor_s']:.0f} s: {chain}")
    lines.append(
        f"floor {result['floor_s']:.1f} s = apply floor + {result['around_apply_s']:.1f} s "
        "around the apply (cdktf's start, init, plan, outputs)"
    )
    return "\n".join(lines)


FLAGS = (
    flag("--log", type=Path, default=Path(".localcloud/deploy-times.log"), help="stamped lines"),
    flag(
        "--stack",
        type=Path,
        default=Path("cdktf.out/stacks/ecommerce-local/cdk.tf.json"),
        help="the synthesized stack the deploy applied",
    ),
)


def _unreadable(args: argparse.Namespace) -> str | None:
    """The first of the two files that is not there to read, or not what it should hold."""
    for name, path in (("--log", args.log), ("--stack", args.stack)):
        if not path.is_file():
            return f"argument {name}: no file {path}"
    try:
        json.loads(args.stack.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"argument --stack: {args.stack} is not a readable JSON file ({error})"
    return None


def _measure(args: argparse.Namespace) -> Report:
    stamped = read_stamped(args.log.read_text(encoding="utf-8", errors="replace"))
    result = report(replay(stamped), json.loads(args.stack.read_text(encoding="utf-8")))
    printed = Report("deploy_path", result)
    for line in render(result).splitlines():
        printed.line(line)
    return printed


def main(argv: list[str] | None = None) -> int:
    """Print the critical path and the floor of a deploy's stamped log."""
    run(argv, "bench.deploy_path", __doc__, FLAGS, _measure, check=_unreadable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
