"""Command line of ``python -m localcloud``."""

from __future__ import annotations

import argparse
import sys

from localcloud import PROJECT_ROOT
from localcloud.base import arguments, command
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say_error
from localcloud.tools import (
    clock_commands,
    fault_commands,
    mail_commands,
    rehearse_command,
    users,
)

TOOLS = (users, fault_commands, clock_commands, mail_commands, rehearse_command)
"""The commands that act on a running local cloud, each answering its ``COMMANDS``."""


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (a wrong one: usage, one line naming it, exit status 2)."""
    return build_parser().parse_args(argv)


def build_parser(add_help: bool = True) -> argparse.ArgumentParser:
    """The parser of a start, ``--down`` and ``--wait`` (the soak's parent)."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        add_help=add_help,
        description=(
            "Deploy the stack onto an embedded AWS emulator with cdktf and serve its API over "
            "HTTP, until Ctrl-C (or --down from another shell) stops it all."
        ),
        epilog=" ".join(t.USAGE for t in TOOLS),
    )
    _add_other_shell(parser)
    _add_what_and_where(parser)
    _add_how(parser)
    return parser


def _add_other_shell(parser: argparse.ArgumentParser) -> None:
    """What another shell asks of a local cloud started in the background."""
    _one_of(
        parser,
        {
            "--down": "stop the local cloud running in this project, and wait",
            "--wait": "wait until a local cloud started in the background serves; "
            "print its API URL (exit 1 if it failed)",
        },
    )
    parser.add_argument(
        "--forget",
        action="store_true",
        help="with --down: also remove the snapshot of the last deploy (.localcloud/warm/), "
        "so that the next start deploys cold",
    )


def _one_of(parser: argparse.ArgumentParser, flags: dict[str, str]) -> None:
    """Switches (``--name``: its help) of which a command line may give one at most."""
    group = parser.add_mutually_exclusive_group()
    for flag, text in flags.items():
        group.add_argument(flag, action="store_true", help=text)


def _add_what_and_where(parser: argparse.ArgumentParser) -> None:
    """What is deployed, and where it is served and written."""
    parser.add_argument(
        "--stack",
        type=arguments.stack,
        default="ecommerce-local",
        help="the stack to deploy, one the app (main.py) defines",
    )
    parser.add_argument(
        "--project-dir",
        type=arguments.existing_dir,
        default=PROJECT_ROOT,
        help="the project (cdktf.json, node_modules); default: this repository",
    )
    command.add_address(parser, "the local API")
    parser.add_argument(
        "--emulator-port",
        type=arguments.port,
        default=0,
        help="port of the AWS emulator (default: a free one)",
    )
    command.add_region(parser)
    parser.add_argument(
        "--ready-file",
        type=arguments.file_to_write,
        help="where to write the URLs once serving (default .localcloud/ready.json)",
    )


def _add_how(parser: argparse.ArgumentParser) -> None:
    """How the run goes."""
    command.add_prewarm(parser)
    _one_of(
        parser,
        {
            "--destroy": "at the teardown, `terraform destroy` the stack first and check that its "
            "state is left empty (exit status 1 if not); with --down: ask the running one to. "
            "Without it the teardown only stops: what was deployed goes with the emulator",
            # The default since the teardown only stops; still accepted from older scripts.
            "--no-destroy": argparse.SUPPRESS,
        },
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="deploy with cdktf even when the snapshot of the last deploy could be restored "
        "(a warm start); the new deploy's snapshot replaces it",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="make saved changes live: handlers/ in place, stacks/ with an incremental deploy",
    )
    _one_of(
        parser,
        {
            "--quiet": "no progress display for the deploy and destroy, "
            "only the runner's own lines",
            "--verbose": "show cdktf's and Terraform's own lines too "
            "(.localcloud/deploy.log and destroy.log keep them in any case)",
        },
    )
    parser.add_argument(
        "--timeout",
        type=arguments.seconds,
        default=900.0,
        help="seconds --wait and --down wait (default 900)",
    )


def main(argv=None) -> int:
    """Run the command; expected failures are one sentence on stderr and exit status 1."""
    argv = sys.argv[1:] if argv is None else list(argv)
    for tool in TOOLS:
        if argv[:1] and argv[0] in tool.COMMANDS:
            return tool.main(argv)
    args = parse_args(argv)
    try:
        if args.forget and not args.down:
            raise LocalCloudError(
                "--forget goes with --down (python -m localcloud --down --forget)."
            )
        return _run(args)
    except LocalCloudError as error:
        return say_error(error)
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    """Do what a command line that parsed asks: stop, wait for or start a local cloud."""
    # The runner here, not at the top: a wrong command line is refused before its second of
    # imports (the gateway, the emulator's clients, boto3), which only the work needs; --down
    # and --wait read the run's files and signal it, and need none of them.
    # pylint: disable-next=import-outside-toplevel
    from localcloud.runner import control  # noqa: PLC0415

    if args.down:
        return control.down(
            root=args.project_dir, timeout=args.timeout, forget=args.forget, destroy=args.destroy
        )
    if args.wait:
        return control.wait_ready(
            root=args.project_dir, timeout=args.timeout, ready_file=args.ready_file
        )
    # SIGINT too: a runner started in the background by a script or a supervisor inherits
    # it ignored, and Python then leaves it ignored, so Ctrl-C sent to its group did nothing.
    command.interrupt_on("SIGINT", "SIGTERM", "SIGHUP")
    # pylint: disable-next=import-outside-toplevel
    from localcloud.runner import lifecycle  # noqa: PLC0415

    runner = lifecycle.Runner(
        lifecycle.Options(
            stack=args.stack,
            host=args.host,
            port=args.port,
            emulator_port=args.emulator_port,
            region=args.region or "",
            root=args.project_dir.resolve(),
            ready_file=args.ready_file,
            prewarm=args.prewarm,
            destroy=args.destroy,
            watch=args.watch,
            cold=args.cold,
            quiet=args.quiet,
            verbose=args.verbose,
        )
    )
    return runner.up()
