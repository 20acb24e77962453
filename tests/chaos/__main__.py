"""A storm of any size on the running local cloud, for soak runs:
``(set -a; source .localcloud/env; python -m tests.chaos --orders 1000 --customers 50)``.

Prints the same figures as the CI pass (requests, faults injected, answers by status, invariant
violations) and exits 1 if any invariant was violated. Everything it creates is removed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

import boto3

from localcloud.tools.fault_commands import FaultControl
from stacks.base.config import load as load_config
from tests.chaos.storm import Plan, Storm
from tests.integration.conftest import DEFAULT_OUTPUTS, Api, browser_origin
from tests.integration.outputs import load
from tests.integration.people import UserPool


def parse_args(argv: list[str]) -> argparse.Namespace:
    """One option per field of ``Plan``."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    for knob in fields(Plan):
        flag = "--" + knob.name.replace("_", "-")
        parser.add_argument(flag, type=type(knob.default), default=knob.default)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one storm; 0 when every promise held."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    plan = Plan(**{knob.name: getattr(args, knob.name) for knob in fields(Plan)})
    outputs = load(Path(os.environ.get("OUTPUTS_FILE", DEFAULT_OUTPUTS)), os.environ.get("STACK"))
    session = boto3.session.Session(region_name=outputs["Region"])
    pool = UserPool(
        session.client("cognito-idp"), outputs["UserPoolId"], outputs["UserPoolClientId"], "chaos"
    )
    config = load_config(outputs["Environment"], dict(os.environ))
    base_url = os.environ.get("API_BASE_URL", outputs["ApiGatewayUrl"]).rstrip("/")
    api = Api(base_url, pool, pool.person(admin=True), origin=browser_origin(config))
    dynamodb = session.client("dynamodb")
    control = FaultControl(os.environ["AWS_ENDPOINT_URL"])
    try:
        report = Storm(api, control, dynamodb, outputs["OrdersTableName"], plan).run()
    finally:
        control.clear()
        api.remove_created(dynamodb, outputs["OrdersTableName"])
        pool.delete_all()
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.summary(), flush=True)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
