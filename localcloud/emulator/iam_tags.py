"""What the emulator's state (moto 5.2.5's backends) adds to a call being judged: the tags of the
resource it names (``aws:ResourceTag/<key>``), a KMS key's aliases (``kms:ResourceAliases``), a
role's current permissions boundary, which key an alias names and which route table an
association belongs to.

Tags are looked up for KMS keys, EC2 resources (by id), IAM roles, Lambda functions, SQS queues
and DynamoDB tables; a resource of another service has no ``aws:ResourceTag`` keys here, so a
statement conditioned on them does not apply to it (docs/local-cloud.md).
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.sqs.models import sqs_backends

from localcloud.emulator.iam_call import Call


def _ec2_backends() -> Any:
    """moto's EC2 backends, imported on the first EC2 call only: the import reads the instance
    types and zones of every region (a second of CPU), which an emulator no client asks EC2
    anything of (a stand-in deploy, most tests) is spared."""
    from moto.ec2.models import ec2_backends  # pylint: disable=import-outside-toplevel  # noqa: PLC0415

    return ec2_backends


def _pairs(tags: Any) -> dict[str, str]:
    """Tags as moto keeps them (a map, a list of Key/Value or TagKey/TagValue, or a map of
    those) as a plain map."""
    if isinstance(tags, dict):
        values = list(tags.values())
        if values and all(isinstance(v, dict) for v in values):
            tags = values
        else:
            return {str(k): str(v) for k, v in tags.items()}
    found = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("TagKey"))
        if key is not None:
            found[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    return found


def _kms(call: Call, resource: str) -> tuple[dict[str, str], list[str]] | None:
    if ":key/" not in resource or resource.endswith("/*"):
        return None
    backend = kms_backends[call.scope.account_id][call.scope.region]
    key = backend.keys.get(resource.rpartition("/")[2])
    if key is None:
        return None
    tags = backend.tagger.list_tags_for_resource(key.id)["Tags"]
    return _pairs(tags), list(key.aliases)


def _tags_of(call: Call, resource: str) -> dict[str, str] | None:  # pylint: disable=too-many-return-statements
    scope, kind = call.scope, resource.split(":")[2] if resource.count(":") >= 5 else ""
    name = resource.split(":", 5)[-1]
    if kind == "ec2":
        return dict(
            _ec2_backends()[scope.account_id][scope.region].tags.get(name.partition("/")[2], {})
        )
    if kind == "iam" and name.startswith("role/"):
        role = _role(call, name.rpartition("/")[2])
        return _pairs(role.tags) if role else None
    if kind == "lambda" and name.startswith("function:"):
        found = lambda_backends[scope.account_id][scope.region].list_functions()
        fn = next((f for f in found if f.function_name == name.split(":")[1]), None)
        return _pairs(fn.tags) if fn else None
    if kind == "sqs":
        queue = sqs_backends[scope.account_id][scope.region].queues.get(name)
        return _pairs(queue.tags) if queue else None
    if kind == "dynamodb" and name.startswith("table/"):
        table = dynamodb_backends[scope.account_id][scope.region].tables.get(name.split("/")[1])
        return _pairs(table.tags) if table else None
    return None


def _role(call: Call, name: str) -> Any:
    backend = iam_backends[call.scope.account_id][call.scope.partition]
    return next((role for role in backend.roles.values() if role.name == name), None)


def resource_context(call: Call, resource: str) -> dict[str, Any]:
    """``aws:ResourceTag/<key>`` of the resource (and ``kms:ResourceAliases`` of a key)."""
    try:
        key = _kms(call, resource)
        tags, aliases = key if key else (_tags_of(call, resource) or {}, None)
    except (KeyError, AttributeError, IndexError):
        return {}
    context: dict[str, Any] = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
    if aliases is not None:
        context["kms:ResourceAliases"] = aliases
    return context


def add_state(call: Call) -> None:
    """What the judge of ``call`` needs from the emulator's state beyond its parameters."""
    scope = call.scope
    if call.service == "kms":
        backend = kms_backends[scope.account_id][scope.region]
        call.extra["aliases"] = backend.get_key_id_from_alias
    elif call.service == "iam" and call.params.get("RoleName"):
        role = _role(call, call.params["RoleName"])
        if role is not None and role.permissions_boundary_arn:
            call.extra["role_boundary"] = role.permissions_boundary_arn
    elif call.service == "ec2":
        backend = _ec2_backends()[scope.account_id][scope.region]
        call.extra["ec2_owner"] = lambda ident: _route_table_of(backend, ident)


def _route_table_of(backend: Any, ident: str) -> str:
    """An association's route table (the resource AWS checks); any other id as it is."""
    if not ident.startswith("rtbassoc-"):
        return ident
    for table in backend.route_tables.values():
        if ident in table._associations:  # pylint: disable=protected-access
            return table.id
    return ident
