"""What the local cloud's commands share: the options of a server they start (``--host``,
``--port``, ``--region``, ``--prewarm``), and serving until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal

from localcloud import PROJECT_ROOT
from localcloud.base import arguments
from localcloud.base.aws import DEFAULT_REGION

DEFAULT_PORT = 3000


def add_address(parser: argparse.ArgumentParser, what: str) -> None:
    """``--host`` and ``--port`` of the server that serves ``what``."""
    parser.add_argument(
        "--host", type=arguments.host, default="127.0.0.1", help="loopback address to listen on"
    )
    parser.add_argument(
        "--port",
        type=arguments.port,
        default=DEFAULT_PORT,
        help=f"port of {what} (default {DEFAULT_PORT}; 0 picks a free one)",
    )


def add_region(parser: argparse.ArgumentParser) -> None:
    """``--region``, resolved by ``localcloud.base.aws.region_of`` (``None`` when not given)."""
    parser.add_argument(
        "--region",
        type=arguments.region,
        default=None,
        help="AWS region, one the stacks know (default: $AWS_REGION, $AWS_DEFAULT_REGION, "
        f"{DEFAULT_REGION})",
    )


def tool_parser(usage: str) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The parser of a ``python -m localcloud`` tool that ``usage`` describes, and the action
    its commands are added to (one is required; ``command`` names it)."""
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=usage)
    return parser, parser.add_subparsers(dest="command", required=True)


def running_options() -> argparse.ArgumentParser:
    """A parent parser of ``--project-dir`` and ``--ready-file``: the local cloud that runs in
    a project, for the commands that act on it from another shell."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--project-dir",
        type=arguments.existing_dir,
        default=PROJECT_ROOT,
        help="the project whose local cloud runs; default: this repository",
    )
    parser.add_argument(
        "--ready-file",
        type=arguments.file_to_write,
        help="the running local cloud's ready.json (default: its own)",
    )
    return parser


def add_prewarm(parser: argparse.ArgumentParser) -> None:
    """``--prewarm``: a warm worker per function before the first request."""
    parser.add_argument(
        "--prewarm", action="store_true", help="start one warm worker per function before serving"
    )


def interrupt_on(*names: str) -> None:
    """Make each signal of ``names`` that this platform has raise KeyboardInterrupt, as Ctrl-C
    does (even one the process inherited ignored)."""
    for name in names:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve_until_interrupted(server) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the server."""
    interrupt_on("SIGTERM")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
