"""Before a deploy: does the account's Lambda concurrency quota leave room for the stack's
reservations?

``python scripts/ci/concurrency.py cdktf.out/stacks/ecommerce-dev/cdk.tf.json``: exit 0 when it
does; else exit 1 with one message saying what the stack reserves, what the account has, and the
quota to request. Lambda refuses a reservation that would leave the account fewer than 100
unreserved concurrent executions, and new accounts start with a quota of 10, so on such an
account the deploy would fail half-way, after the tables and the network exist.

The stack's reservations come from the synthesized stack; the account's from Lambda's
GetAccountSettings (ConcurrentExecutions, the quota; UnreservedConcurrentExecutions, what no
function has reserved) and from GetFunctionConcurrency of the stack's functions that already
exist (their reservations come back to the pool when the deploy replaces them).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3

# What Lambda keeps unreserved in every account and region, whatever the reservations.
MIN_UNRESERVED = 100
# Service Quotas' code of Lambda's "Concurrent executions" quota.
QUOTA_CODE = "L-B99A9384"


@dataclass(frozen=True)
class Verdict:
    """The check's answer: whether the deploy fits, the smallest quota that fits, and why."""

    fits: bool
    quota_needed: int
    message: str


def reservations(stack: dict) -> tuple[str, dict[str, int]]:
    """The synthesized stack's region and each function's reserved concurrency, by name."""
    region = stack["provider"]["aws"][0]["region"]
    functions = stack.get("resource", {}).get("aws_lambda_function", {}).values()
    return region, {
        f["function_name"]: int(f["reserved_concurrent_executions"])
        for f in functions
        if int(f.get("reserved_concurrent_executions", -1)) >= 0
    }


def current_reservations(lambda_client, names) -> int:
    """What the stack's functions that exist already reserve (0 for those that do not)."""
    total = 0
    for name in names:
        try:
            answer = lambda_client.get_function_concurrency(FunctionName=name)
        except lambda_client.exceptions.ResourceNotFoundException:
            continue
        total += answer.get("ReservedConcurrentExecutions", 0)
    return total


def verdict(settings: dict, wanted: dict[str, int], already: int, region: str) -> Verdict:
    """Whether ``wanted`` fits the account's ``settings`` (GetAccountSettings' AccountLimit),
    counting the ``already`` reserved by the stack's own functions as free again."""
    quota = settings["ConcurrentExecutions"]
    unreserved = settings["UnreservedConcurrentExecutions"]
    others = quota - unreserved - already
    needed = sum(wanted.values())
    quota_needed = others + needed + MIN_UNRESERVED
    if unreserved + already - needed >= MIN_UNRESERVED:
        return Verdict(True, quota_needed, f"concurrency: {needed} reserved of {quota}, fits")
    detail = ", ".join(f"{name} {n}" for name, n in sorted(wanted.items()))
    return Verdict(
        False,
        quota_needed,
        f"the account's Lambda concurrency quota in {region} is {quota} ({unreserved} unreserved);"
        f" the stack reserves {needed} ({detail}) and Lambda keeps {MIN_UNRESERVED} unreserved,"
        f" so the deploy needs a quota of at least {quota_needed}. Request it in Service Quotas:"
        f" aws service-quotas request-service-quota-increase --region {region}"
        f" --service-code lambda --quota-code {QUOTA_CODE} --desired-value {quota_needed}"
        " (Concurrent executions), or lower reserved_concurrency in stacks/base/config.py",
    )


def main(argv: list[str]) -> int:
    """Check one synthesized stack; print the verdict; 0 when it fits."""
    if len(argv) != 1:
        print("usage: concurrency.py <synthesized cdk.tf.json>", file=sys.stderr)
        return 2
    region, wanted = reservations(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    if not wanted:
        print("concurrency: the stack reserves none")
        return 0
    client = boto3.client("lambda", region_name=region)
    settings = client.get_account_settings()["AccountLimit"]
    answer = verdict(settings, wanted, current_reservations(client, wanted), region)
    print(answer.message if answer.fits else f"error: {answer.message}", file=sys.stderr)
    return 0 if answer.fits else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
