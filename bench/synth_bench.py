"""Synth time: all four environments next to the floor set by jsii and the AWS provider.

``python -m bench.synth_bench [--runs N] [--unit-tests] [--keep DIR]``

Each case runs in a fresh interpreter (so every one pays the Node/jsii start-up a real
``cdktf synth`` pays), ``--runs`` times, and the median is reported:

- ``interpreter``: ``python -c pass``, the start-up of any child;
- ``provider import``: ``import cdktf_cdktf_provider_aws``, which starts jsii's Node process and
  loads the provider's assembly: the floor any stack of this project pays;
- ``empty stack``: one ``TerraformStack`` holding only an ``AwsProvider``, synthesized;
- ``one stack``: ``main.py`` with ``ECOMMERCE_STACKS=ecommerce-local``, as the local cloud (and
  any command for one stack) synthesizes: the app builds that stack alone (its import, then
  the build and the synth together, reported as ``synth``);
- ``all four environments``: ``StoreStack(app, config)`` for every ``load_all({})`` config and one
  ``app.synth()``, as ``main.py`` did before the delivery stacks;
- ``every stack``: what ``main.py`` builds once a state bucket and a GitHub repository are set:
  the four environments, ``ecommerce-account`` (with the CI roles) and ``ecommerce-bootstrap``.

The child reports its own phases (import, construct, synth, wall time); the parent measures the
whole wall time and the CPU time of the child and its Node process (``RUSAGE_CHILDREN``), which
other processes' load distorts far less than wall time. With ``--unit-tests`` the unit suite
(``pytest tests/stacks -q``) is timed once too. ``--keep DIR`` keeps the synthesized
``cdk.tf.json`` of the first all-environments run there (the cost estimate reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import command
from bench.common import (
    PYTHON,
    ROOT,
    child_env,
    describe_machine,
    median,
    ratio,
)
from localcloud.base import arguments

CASES = {
    "interpreter": "python -c pass",
    "provider import": "import cdktf_cdktf_provider_aws",
    "empty stack": "TerraformStack + AwsProvider, synth",
    "one stack": "main.py, ECOMMERCE_STACKS=ecommerce-local",
    "all four environments": "4 x StoreStack, one synth",
    "every stack": "main.py with the delivery stacks configured, one synth",
}
# What a team sets once it adopts the delivery stacks (docs/delivery.md).
DELIVERY_ENV = {
    "ECOMMERCE_STATE_BUCKET": "acme-tf-state",
    "ECOMMERCE_GITHUB_REPOSITORY": "acme/api",
}
REFERENCE = "empty stack"
CHILD_TIMEOUT_S = 600


def _child(case: str, outdir: Path, report: Path) -> None:
    """Run one case in this (fresh) interpreter and write its phase times to ``report``."""
    # pylint: disable=import-outside-toplevel
    phases: dict[str, float] = {}
    start = time.perf_counter()
    if case == "provider import":
        import cdktf_cdktf_provider_aws  # noqa: F401, PLC0415  # pylint: disable=unused-import

        phases["import_s"] = time.perf_counter() - start
    elif case == "empty stack":
        from cdktf import App, TerraformStack  # noqa: PLC0415
        from cdktf_cdktf_provider_aws.provider import AwsProvider  # noqa: PLC0415

        phases["import_s"] = time.perf_counter() - start
        mark = time.perf_counter()
        app = App(outdir=str(outdir))
        stack = TerraformStack(app, "empty")
        AwsProvider(stack, "aws", region="us-east-1")
        phases["construct_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        app.synth()
        phases["synth_s"] = time.perf_counter() - mark
    elif case == "one stack":
        _one_stack(outdir, phases, start)
    elif case in ("all four environments", "every stack"):
        sys.path.insert(0, str(ROOT))
        from cdktf import App  # noqa: PLC0415

        from stacks.base.config import load_all  # noqa: PLC0415
        from stacks.base.delivery_config import load_account, load_bootstrap  # noqa: PLC0415
        from stacks.platform.account_stack import AccountStack  # noqa: PLC0415
        from stacks.platform.bootstrap_stack import BootstrapStack  # noqa: PLC0415
        from stacks.store.store_stack import StoreStack  # noqa: PLC0415

        phases["import_s"] = time.perf_counter() - start
        mark = time.perf_counter()
        app = App(outdir=str(outdir))
        environ = DELIVERY_ENV if case == "every stack" else {}
        for config in load_all(environ):
            StoreStack(app, config)
        if case == "every stack":
            AccountStack(app, load_account(environ))
            BootstrapStack(app, load_bootstrap(environ))
        phases["construct_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        app.synth()
        phases["synth_s"] = time.perf_counter() - mark
    else:
        raise SystemExit(f"Unknown synth case {case!r}.")
    report.write_text(json.dumps(phases))


def _one_stack(outdir: Path, phases: dict[str, float], start: float) -> None:
    """The app (main.py) as the local cloud runs it, building ``ecommerce-local`` alone."""
    # pylint: disable=import-outside-toplevel
    os.environ.update({"ECOMMERCE_STACKS": "ecommerce-local", "CDKTF_OUTDIR": str(outdir)})
    sys.path.insert(0, str(ROOT))
    import main as app  # noqa: PLC0415

    phases["import_s"] = time.perf_counter() - start
    mark = time.perf_counter()
    if app.main() != 0 or not (outdir / "stacks" / "ecommerce-local" / "cdk.tf.json").is_file():
        raise SystemExit("main.py did not synthesize ecommerce-local")
    phases["synth_s"] = time.perf_counter() - mark


def run_case(case: str, keep: Path | None = None) -> dict[str, Any]:
    """One fresh interpreter running ``case``: wall seconds and the child's phases."""
    work = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        outdir, report = work / "out", work / "phases.json"
        if case == "interpreter":
            child_command = [PYTHON, "-c", "pass"]
        else:
            child_command = [
                PYTHON,
                "-m",
                "bench.synth_bench",
                "--child",
                case,
                "--outdir",
                str(outdir),
                "--report",
                str(report),
            ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            child_command,
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise RuntimeError(
                f"The synth case '{case}' failed with exit status {done.returncode}: "
                + " | ".join(tail)
            )
        phases = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
        if keep is not None and (outdir / "stacks").is_dir():
            _keep_stacks(outdir, keep)
        return {"wall_s": wall, "cpu_s": cpu, **phases}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _keep_stacks(outdir: Path, keep: Path) -> None:
    """Copy each stack's ``cdk.tf.json`` (not the assets) to ``keep/stacks/<stack>/``."""
    shutil.rmtree(keep, ignore_errors=True)
    for config in (outdir / "stacks").glob("*/cdk.tf.json"):
        target = keep / "stacks" / config.parent.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(config, target / "cdk.tf.json")
    for archive in (outdir / "stacks").glob("*/assets/*/*/archive.zip"):
        shutil.copy2(archive, keep / "archive.zip")
        break


def unit_suite() -> dict[str, Any]:
    """Wall time of ``pytest tests/stacks -q`` (once) and its closing line."""
    start = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "pytest", "tests/stacks", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "(no output)"
    counts = {
        word: int(number) for number, word in re.findall(r"(\d+) (passed|failed|error)", summary)
    }
    return {"wall_s": wall, "exit_status": done.returncode, "summary": summary, **counts}


# The command line: python -m bench.synth_bench.
FLAGS = (
    command.flag("--runs", type=arguments.count, default=3, help="fresh interpreters per case"),
    command.flag("--unit-tests", action="store_true", help="also time the unit suite"),
    command.flag("--keep", type=arguments.dir_to_write, help="keep the 4 stacks' cdk.tf.json here"),
    # One case in a fresh interpreter (the parent's own use): where it synthesizes and
    # reports.
    command.flag("--child", choices=tuple(CASES), help=argparse.SUPPRESS),
    command.flag("--outdir", type=arguments.dir_to_write, help=argparse.SUPPRESS),
    command.flag("--report", type=arguments.file_to_write, help=argparse.SUPPRESS),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every case ``--runs`` times (interleaved), print the table, write the JSON."""
    return command.run(argv, "bench.synth_bench", __doc__, FLAGS, _measure, check=_check)


def _check(args: argparse.Namespace) -> str | None:
    return (
        "argument --child: needs --outdir and --report"
        if args.child and not (args.outdir and args.report)
        else None
    )


def _measure(args: argparse.Namespace) -> command.Report:
    if args.child:
        _child(args.child, args.outdir, args.report)
        return command.Report()
    samples: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
    # Interleaved, so that a burst of load from elsewhere hits every case alike.
    for run in range(args.runs):
        for case in CASES:
            keep = args.keep if case == "all four environments" and run == 0 else None
            samples[case].append(run_case(case, keep))
    results = {}
    for case, runs in samples.items():
        results[case] = {
            key: median([run[key] for run in runs]) for key in runs[0] if key.endswith("_s")
        }
        results[case]["runs_wall_s"] = [round(run["wall_s"], 2) for run in runs]
    reference = results[REFERENCE]["wall_s"]
    rows = [
        [
            case,
            CASES[case],
            values["wall_s"],
            ratio(values["wall_s"], reference),
            values["cpu_s"],
            ratio(values["cpu_s"], results[REFERENCE]["cpu_s"]),
            values.get("import_s"),
            values.get("construct_s"),
            values.get("synth_s"),
        ]
        for case, values in results.items()
    ]
    out = command.Report("synth")
    out.table(
        f"Synth, median of {args.runs} fresh interpreters (seconds; CPU = the child's and its "
        f"Node process's user+sys; ref = {REFERENCE}; {describe_machine()})",
        ["case", "what", "wall", "vs ref", "CPU", "vs ref", "import", "construct", "synth"],
        rows,
    )
    data: dict[str, Any] = {"runs": args.runs, "reference": REFERENCE, "cases": results}
    if args.unit_tests:
        suite = unit_suite()
        data["unit_suite"] = suite
        all_envs = results["all four environments"]["wall_s"]
        out.line()
        out.table(
            "Unit suite, once (seconds)",
            ["run", "wall", "vs all-four synth", "result"],
            [
                [
                    "pytest tests/stacks -q",
                    suite["wall_s"],
                    ratio(suite["wall_s"], all_envs),
                    suite["summary"],
                ],
            ],
        )
    out.data = data
    return out


if __name__ == "__main__":
    main()
