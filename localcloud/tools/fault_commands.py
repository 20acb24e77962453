"""The running local cloud's fault rules, from the command line and from tests.

- ``python -m localcloud faults add dynamodb:TransactWriteItems --error TransactionConflict
  --rate 0.2`` (also ``--latency 300ms``, ``--count 3``): add a rule; print it.
- ``python -m localcloud faults add lambda:FUNCTION_NAME --crash`` (or ``--hang``; also
  ``--rate``, ``--count``): a fault of the function itself, its worker killed mid-request (or its
  handler run past its timeout) by the local gateway; ``--at dynamodb:TransactWriteItems``: at
  that call of the handler, once the emulator has served it.
- ``python -m localcloud faults list [--json]``: the rules, each with the calls it has hit.
- ``python -m localcloud faults clear``: drop them all.

``FaultControl`` speaks to the emulator's control endpoint
(``localcloud.emulator.fault_endpoint``); the command line finds the emulator in the running local
cloud's ``ready.json`` (or ``run.json`` while it deploys). A rule the emulator refuses is one line
on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from localcloud.base import arguments, command, control_api
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say_error
from localcloud.base.run_files import RunFiles
from localcloud.emulator.fault_endpoint import PATH
from localcloud.emulator.fault_rule import (
    LAMBDA,
    MAX_LATENCY_MS,
    RuleError,
    checked,
    describe,
    function_checked,
)

COMMANDS = ("faults",)
"""First words of the command line that this module answers."""
USAGE = (
    "faults: `python -m localcloud faults add dynamodb:TransactWriteItems --error "
    "TransactionConflict --rate 0.2` makes the running local cloud's emulator fail calls on "
    "purpose (`faults add lambda:FUNCTION_NAME --crash` or `--hang`, `--at SERVICE:OPERATION`: "
    "a function's own fault); "
    "`faults list` and `faults clear`."
)
_LATENCY = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)?")


class RuleRefused(LocalCloudError):
    """The emulator refused a rule (its message names the bad part)."""

    exit_code = 2


class FaultControl:
    """The fault rules of the emulator at ``url``."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/") + PATH
        self.timeout = timeout

    def add(self, service: str, operation: str, **rule: Any) -> dict[str, Any]:
        """Add a rule (``error``, ``rate``, ``count``, ``latency_ms``, ``fault``); the rule as
        stored."""
        data = {"service": service, "operation": operation}
        data.update({key: value for key, value in rule.items() if value is not None})
        return self._call("POST", data)

    def rules(self) -> list[dict[str, Any]]:
        """The rules, each with its ``hits``."""
        return self._call("GET")["rules"]

    def clear(self) -> int:
        """Drop every rule; how many there were."""
        return self._call("DELETE")["cleared"]

    def _call(self, method: str, data: Any = None) -> dict[str, Any]:
        try:
            return control_api.call(self.url, method, data, self.timeout)
        except control_api.Refused as refused:
            raise RuleRefused(f"The emulator refused the fault rule: {refused.reason}.") from None


def latency_ms(text: str) -> float:
    """``300ms``, ``1.5s`` or ``300`` (milliseconds) as milliseconds."""
    found = _LATENCY.fullmatch(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not a latency such as 300ms or 1.5s")
    value = float(found.group(1))
    value = value * 1000 if found.group(2) == "s" else value
    if value > MAX_LATENCY_MS:
        raise argparse.ArgumentTypeError(f"{text!r} is over {MAX_LATENCY_MS / 1000:g} s")
    return value


def target(text: str) -> tuple[str, str]:
    """``SERVICE:OPERATION`` as (service, operation)."""
    service, colon, operation = text.partition(":")
    if not (service and colon and operation):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SERVICE:OPERATION (e.g. dynamodb:TransactWriteItems)"
        )
    return service, operation


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options of ``faults add``, ``faults list`` and ``faults clear``."""
    common = command.running_options()
    parser, commands = command.tool_parser(USAGE)
    faults = commands.add_parser("faults", help="inject AWS faults into the running local cloud")
    actions = faults.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="add a fault rule")
    add.add_argument("target", type=target, help="SERVICE:OPERATION, as botocore names them")
    add.add_argument("--error", help="an error code of the operation, or TransactionConflict")
    add.add_argument(
        "--rate", type=arguments.share, help="share of the matching calls hit (default 1)"
    )
    add.add_argument("--count", type=arguments.count, help="hit at most this many calls")
    add.add_argument("--latency", type=latency_ms, help="added latency: 300ms, 1.5s")
    function = add.add_mutually_exclusive_group()
    function.add_argument(
        "--crash",
        dest="fault",
        action="store_const",
        const="crash",
        help="lambda:FUNCTION_NAME only: its worker dies mid-request (502)",
    )
    function.add_argument(
        "--hang",
        dest="fault",
        action="store_const",
        const="hang",
        help="lambda:FUNCTION_NAME only: its handler runs past its timeout (504)",
    )
    add.add_argument(
        "--at",
        metavar="SERVICE:OPERATION",
        help="with --crash or --hang: strike once the handler's call of this operation is served",
    )
    listing = actions.add_parser("list", parents=[common], help="the rules and their hits")
    listing.add_argument("--json", action="store_true", help="as a JSON list")
    actions.add_parser("clear", parents=[common], help="drop every rule")
    args = parser.parse_args(argv)
    if args.action == "add":
        _check_rule(add, args)
    return args


def _check_rule(add: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse a rule the emulator would refuse (argparse's usage and one line, exit 2) before
    looking for the emulator, so that a wrong rule is told the same whether it runs or not."""
    service, operation = args.target
    if service == LAMBDA:
        try:
            function_checked(operation, args.error, args.latency, args.fault)
        except RuleError as refused:
            add.error(f"argument target: {refused}")
        try:
            function_checked(operation, None, None, args.fault, args.at)
        except RuleError as refused:
            add.error(f"argument --at: {refused}")
        return
    for name in (args.fault, args.at and "at"):
        if name is not None:
            add.error(f"argument --{name}: only a lambda:FUNCTION_NAME rule takes it")
    for name, error in (("target", None), ("--error", args.error)):
        try:
            checked(service, operation, error)
        except RuleError as refused:
            add.error(f"argument {name}: {refused}")
    if args.error is None and not args.latency:
        add.error("argument --error: a fault rule needs --error, --latency, or both")


def emulator_url(root: Path, ready_file: Path | None = None) -> str:
    """The running local cloud's emulator URL."""
    files = RunFiles(root, ready_file)
    for path in (files.ready_file, files.run_file):
        try:
            return RunFiles.read_json(path)["emulatorUrl"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    raise LocalCloudError(
        f"The local cloud is not running here (no {files.ready_file}); start it with "
        "`python -m localcloud`."
    )


def main(argv: list[str]) -> int:
    """Run ``faults add|list|clear``: the result on stdout, or one sentence on stderr."""
    args = parse_args(argv)
    try:
        control = FaultControl(emulator_url(args.project_dir.resolve(), args.ready_file))
        if args.action == "add":
            rule = control.add(
                *args.target,
                error=args.error,
                rate=args.rate,
                count=args.count,
                latency_ms=args.latency,
                fault=args.fault,
                at=args.at,
            )
            print(_line(rule), flush=True)
        elif args.action == "list":
            rules = control.rules()
            print(json.dumps(rules, indent=2) if args.json else _table(rules), flush=True)
        else:
            print(f"cleared {control.clear()} fault rule(s)", flush=True)
    except LocalCloudError as error:
        return say_error(error)
    return 0


def _line(rule: dict[str, Any]) -> str:
    return f"{describe(rule)}, hits {rule['hits']}"


def _table(rules: list[dict[str, Any]]) -> str:
    return "\n".join(_line(rule) for rule in rules) or "no fault rules"
