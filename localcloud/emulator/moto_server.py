"""moto's server, as the local cloud's AWS: ``python -m localcloud.emulator.moto_server -H HOST -p
PORT``. What it serves, and what it adds to moto's own application, is
``localcloud.emulator.moto_app``; this is its command line, parsed before anything of moto is
imported, so that a wrong one is refused at once.
"""

from __future__ import annotations

import argparse

from localcloud.base import arguments
from localcloud.emulator.process import SAVE_STATE_PATH


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (a wrong one: usage, one line naming it, exit status 2)."""
    parser = argparse.ArgumentParser(prog="python -m localcloud.emulator.moto_server")
    parser.add_argument("-H", "--host", type=arguments.host, default="127.0.0.1")
    parser.add_argument("-p", "--port", type=arguments.port, default=5000)
    parser.add_argument(
        "--warm", metavar="REGION", help="build the deploy's backends in REGION right away"
    )
    parser.add_argument("--state-file", help=f"where POST {SAVE_STATE_PATH} writes the state")
    parser.add_argument(
        "--restore", action="store_true", help="put the state file's backends back first"
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Serve moto on ``--host``/``--port`` until SIGTERM or SIGINT."""
    args = parse_args(argv)
    # moto here, not at the top: a wrong command line is refused before its seconds of imports.
    # pylint: disable-next=import-outside-toplevel
    from localcloud.emulator import moto_app  # noqa: PLC0415

    moto_app.serve(args)


if __name__ == "__main__":  # pragma: no cover
    main()
