"""``python -m localcloud rehearse [--json] [--without ACTION[,ACTION...]] [--work-dir DIR]``:
the pipeline of ``.github/workflows/`` on an emulator of its own, each step as the identity
GitHub would have (``localcloud.rehearsal.pipeline``).

One line per step as it ends (result, name, identity, seconds, each denied call), or with
``--json`` one object ``{"steps": [{name, role, ok, seconds, denied: [{action, resource}]}]}``;
every call of every step (action, resource, allowed) in ``<work-dir>/calls.txt``; what the
delivery stacks made and what their destroy left in ``delivery.json``, the issue their drift
check filed in ``gh-calls.txt``. Exit 0 only
when every step is ok with nothing denied, 1 otherwise, 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import shutil

from localcloud import PROJECT_ROOT, WORK_DIR_NAME
from localcloud.base import arguments, command
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say, say_error
from localcloud.rehearsal import report
from localcloud.rehearsal.without import removals

COMMANDS = ("rehearse",)
"""First words of the command line that this module answers."""
USAGE = (
    "rehearse: `python -m localcloud rehearse [--json] [--without ACTION,...]` runs the CI "
    "pipeline (bootstrap, deploy, diff, drift, integration suite, destroy) on an emulator of its "
    "own as CI's roles, and names every call they are denied."
)
DEFAULT_WORK = PROJECT_ROOT / WORK_DIR_NAME / "rehearsal"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options of ``rehearse``."""
    parser, commands = command.tool_parser(USAGE)
    rehearse = commands.add_parser("rehearse", help="the CI pipeline as CI's roles")
    rehearse.add_argument("--json", action="store_true", help="one JSON object, at the end")
    rehearse.add_argument(
        "--without",
        type=removals,
        default=(),
        metavar="ACTION[,ACTION...]",
        help="take these actions out of the CI roles before the run (ACTION@TEXT: only on the "
        "resources whose ARN contains TEXT)",
    )
    rehearse.add_argument(
        "--work-dir",
        type=arguments.dir_to_write,
        default=DEFAULT_WORK,
        help=f"the run's logs, state and stacks, emptied first (default {WORK_DIR_NAME}/rehearsal)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run ``rehearse``: the steps on stdout; 0 when all passed."""
    args = parse_args(argv)
    # Loaded for this command only: the pipeline brings the emulator's modules (moto's), which
    # the other commands of `python -m localcloud` never need.
    from localcloud.rehearsal.pipeline import Rehearsal  # noqa: PLC0415  # pylint: disable=C0415

    shutil.rmtree(args.work_dir, ignore_errors=True)
    shown = None if args.json else (lambda step: say(step.line()))
    rehearsal = Rehearsal(PROJECT_ROOT, args.work_dir.resolve(), args.without, shown or _quiet)
    try:
        steps = rehearsal.run()
    except LocalCloudError as error:
        return say_error(error)
    except KeyboardInterrupt:
        return 130
    calls = args.work_dir / "calls.txt"
    report.write_calls(calls, steps)
    if args.json:
        print(report.as_json(steps), flush=True)
    else:
        say(report.verdict(steps, calls))
    return 0 if steps and all(s.passed for s in steps) else 1


def _quiet(_step) -> None:
    """Nothing said per step (``--json`` prints it all at the end)."""
