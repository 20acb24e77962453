"""``--without``: grants taken out of the CI roles before a rehearsal, so that a test can prove a
missing grant is caught (and named) at the step that needs it.

An item is ``ACTION`` (``lambda:TagResource``: out of every statement that allows it) or
``ACTION@TEXT`` (``lambda:TagResource@event-source-mapping``: out of the statements' resources
whose ARN pattern contains TEXT only, the action kept on the others). The roles' customer-managed
policies get a new default version without it; a Deny would do more than take a grant out (it
would refuse the action on resources that another grant allows).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass

_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Removal:
    """One grant to take out: ``action``, on resources whose pattern contains ``within`` (all
    when empty)."""

    action: str
    within: str = ""

    def __str__(self) -> str:
        return f"{self.action}@{self.within}" if self.within else self.action


def removals(text: str) -> tuple[Removal, ...]:
    """An argparse type: ``ACTION[@TEXT][,ACTION[@TEXT]...]``."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        action, _, within = item.partition("@")
        if not _ACTION.match(action) or (item.endswith("@") or " " in within):
            shown = item if len(item) <= 40 else item[:37] + "..."
            raise argparse.ArgumentTypeError(
                "must be IAM actions such as lambda:TagResource, comma-separated, each "
                f"optionally @TEXT to take it out only where the resource contains TEXT "
                f"(got {shown!r})"
            )
        found.append(Removal(action, within))
    return tuple(dict.fromkeys(found))


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _without(statement: dict, removal: Removal) -> list[dict]:
    """``statement`` with the grant taken out: zero, one or two statements."""
    actions = _listed(statement.get("Action", []))
    named = [a for a in actions if a.lower() == removal.action.lower()]
    if statement.get("Effect") != "Allow" or not named or "NotResource" in statement:
        return [statement]
    rest = [a for a in actions if a not in named]
    resources = _listed(statement.get("Resource", []))
    kept = [r for r in resources if removal.within not in r] if removal.within else []
    if len(kept) == len(resources):
        return [statement]
    parts = []
    if rest:
        parts.append(statement | {"Action": rest})
    if kept:
        sid = statement.get("Sid")
        parts.append(
            statement | {"Action": named, "Resource": kept} | ({"Sid": f"{sid}Kept"} if sid else {})
        )
    return parts


def edit(document: dict, wanted: tuple[Removal, ...]) -> tuple[dict, set[Removal]]:
    """``document`` without the grants of ``wanted``; which of them it held."""
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    held: set[Removal] = set()
    for removal in wanted:
        edited = []
        for statement in statements:
            parts = _without(statement, removal)
            if parts != [statement]:
                held.add(removal)
            edited += parts
        statements = edited
    return document | {"Statement": statements}, held


def apply(iam, role_names: list[str], wanted: tuple[Removal, ...]) -> list[str]:
    """Take ``wanted`` out of the managed policies of ``role_names`` (as the administrator);
    the policies changed, as ``role: policy``. Raises ValueError naming a removal no role held."""
    changed, held = [], set()
    for role in role_names:
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        for policy in attached:
            arn = policy["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
            document = document["PolicyVersion"]["Document"]
            if isinstance(document, str):
                document = json.loads(document)
            edited, found = edit(document, wanted)
            if not found:
                continue
            held |= found
            iam.create_policy_version(
                PolicyArn=arn, PolicyDocument=json.dumps(edited), SetAsDefault=True
            )
            changed.append(f"{role}: {policy['PolicyName']}")
    missing = [str(r) for r in wanted if r not in held]
    if missing:
        raise ValueError(f"no CI role is granted {', '.join(missing)} by name")
    return changed
