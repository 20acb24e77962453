"""The running local cloud's clock from the command line (``localcloud.emulator.clock``).

- ``python -m localcloud clock``: the local time, and how far ahead of the real time it is.
- ``python -m localcloud clock advance DURATION`` (``90m``, ``2d``, ``1h30m``): move it forward;
  the functions see it from their next invocation, the schedules fire on it at once.
"""

from __future__ import annotations

import argparse

from localcloud.base import command
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say_error
from localcloud.emulator.clock import ClockClient, duration
from localcloud.tools.fault_commands import emulator_url

COMMANDS = ("clock",)
"""First words of the command line that this module answers."""
USAGE = (
    "clock: `python -m localcloud clock` prints the time the functions and schedules see; "
    "`clock advance 90m` (or 2d, 1h30m) moves it forward; a restart resets it."
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options of ``clock`` and ``clock advance``."""
    common = command.running_options()
    parser, commands = command.tool_parser(USAGE)
    clock = commands.add_parser("clock", parents=[common], help="the local cloud's clock")
    clock.add_argument("action", nargs="?", choices=["advance"], help="move the clock forward")
    clock.add_argument(
        "duration", nargs="?", type=duration, help="with advance: how far (90m, 2d, 1h30m)"
    )
    args = parser.parse_args(argv)
    if (args.action is None) != (args.duration is None):
        clock.error("argument duration: `clock advance DURATION` takes one, `clock` none")
    return args


def ahead(seconds: float) -> str:
    """``seconds`` as days, hours, minutes and seconds (``1d 6h``), ``0s`` for none."""
    rest = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def main(argv: list[str]) -> int:
    """Run ``clock [advance DURATION]``: the clock on stdout, or one sentence on stderr."""
    args = parse_args(argv)
    try:
        clock = ClockClient(emulator_url(args.project_dir.resolve(), args.ready_file))
        reading = clock.advance(args.duration) if args.action == "advance" else clock.read()
    except LocalCloudError as error:
        return say_error(error)
    print(f"{reading['now']} (local clock, {ahead(reading['offsetSeconds'])} ahead)", flush=True)
    return 0
