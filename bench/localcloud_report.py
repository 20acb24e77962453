"""The local cloud benchmark's report (``bench.localcloud_bench``): each run's lifecycle (ready,
first answer, teardown, and the phases of the deploy and the destroy), the slowest resource
types, the load through the gateway; and, with ``--before REF``, the same starts of REF's runner
and of the working tree's side by side, in one table."""

from __future__ import annotations

from typing import Any

from bench import command
from bench.common import describe_machine, ratio, table


def cycle_name(cycle: dict[str, Any]) -> str:
    """What kind of start a cycle was."""
    if cycle.get("start") == "warm":
        return "warm start"
    return "cold start (synth skipped)" if cycle["synth_skipped"] else "first start (synth ran)"


def warm_ratio(cycles: list[dict[str, Any]]) -> str | None:
    """The warm start's ready time next to the cold start's with the synth skipped."""
    warm = [c for c in cycles if c.get("start") == "warm"]
    cold = [c for c in cycles if c.get("start") != "warm" and c["synth_skipped"]]
    if not warm or not cold:
        return None
    warm_s, cold_s = warm[0]["ready_s"], cold[0]["ready_s"]
    first = warm[0]["first_answer_s"], cold[0]["first_answer_s"]
    return (
        f"warm start ready in {warm_s:.1f} s = {warm_s / cold_s:.2f}x the cold start's "
        f"{cold_s:.1f} s (synth skipped); first answer {first[0]:.1f} s vs {first[1]:.1f} s"
    )


def lifecycle_table(title: str, cycles: list[dict[str, Any]]) -> str:
    """Each cycle's ready, first answer and teardown, and its deploy's and destroy's phases."""
    names = [cycle_name(c) for c in cycles]
    rows = []
    for label, key in (
        ("ready: start to serving", "ready_s"),
        ("first answer", "first_answer_s"),
        ("teardown: SIGTERM to exit", "teardown_s"),
    ):
        rows.append([label, *(c[key] for c in cycles)])
    for part, phases in (("deploy", "deploy_phases"), ("destroy", "destroy_phases")):
        kinds = [k for c in cycles for k in c[phases]]
        for phase in dict.fromkeys(kinds):
            rows.append([f"  {part}: {phase}", *(c[phases].get(phase) for c in cycles)])
    return table(title, ["phase (seconds)", *names], rows)


def report(out: command.Report, cycles: list[dict[str, Any]], label: str, seconds: float) -> None:
    """The lifecycle's tables, then the load's (when the first cycle measured it)."""
    out.line(lifecycle_table(f"Local cloud lifecycle, {label} ({describe_machine()})", cycles))
    warm = warm_ratio(cycles)
    if warm:
        out.line(warm)
    for part in ("deploy_slowest", "destroy_slowest"):
        out.line()
        out.table(
            f"{part.replace('_', ', ')} resource types (seconds, longest)",
            ["resource type", "seconds"],
            list(cycles[0][part].items()),
        )
    measured = cycles[0]["measured"]
    if not measured:
        return
    single = measured["levels"]["GET /products/{id}, 1 clients"]
    rows = [
        [
            name,
            r["clients"],
            r["requests"],
            r["ok_rps"],
            r["p50_ms"],
            r["p99_ms"],
            f"{r['throttled_pct']:.0f}%",
            r["errors"],
            ratio(r["p50_ms"], single["p50_ms"]),
        ]
        for name, r in measured["levels"].items()
    ]
    out.line()
    out.table(
        f"Loopback load through the local gateway, {label} ({seconds:g} s per level)",
        ["level", "clients", "requests", "2xx/s", "p50 ms", "p99 ms", "429", "other", "p50 vs 1"],
        rows,
    )
    made = measured["creates"]
    out.line(
        f"\n{made['total']} creates (POST /products) from {made['clients']} clients: "
        f"{made['seconds']:.1f} s, answers by status {dict(sorted(made['statuses'].items()))}"
    )


SIDE_BY_SIDE = (
    ("ready: start to serving", "ready_s"),
    ("first answer", "first_answer_s"),
    ("down: SIGTERM to exit", "teardown_s"),
)


def side_by_side(before: str, runs: dict[str, list[dict[str, Any]]]) -> str:
    """Each start of ``runs["before"]`` (REF's runner) and ``runs["after"]`` (the working
    tree's) next to each other: (cycle, figure) rows, before, after and after/before."""
    rows = []
    for index, cycle in enumerate(runs["after"]):
        old = runs["before"][index] if index < len(runs["before"]) else {}
        for label, key in SIDE_BY_SIDE:
            rows.append(
                [
                    f"{cycle_name(cycle)}: {label}",
                    old.get(key),
                    cycle[key],
                    ratio(cycle[key], old.get(key)),
                ]
            )
    return table(
        f"Local cloud, {before} vs the working tree, in one run (seconds)",
        ["start: figure", before, "working tree", "after/before"],
        rows,
    )
