"""Terraform references in a synthesized stack, replaced by what AWS would make of them.

ARNs are built from the resources' names, ids are made up from their logical ids, and each
resource's tags (the provider's default tags and its own) become the request's
``aws:ResourceTag/*`` keys. Shared by the tests that read policy documents as AWS will apply them
(the permissions boundary, the check against AWS's published IAM definitions).
"""

import re

ACCOUNT = "123456789012"
_REFERENCE = re.compile(r"\$\{(data\.)?(aws_\w+)\.([\w-]+)\.(\w+)\}")
_DATA = {("aws_partition", "partition"): "aws", ("aws_caller_identity", "account_id"): ACCOUNT}
_ARNS = {
    "aws_dynamodb_table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "aws_cloudwatch_log_group": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws_kms_key": "arn:aws:kms:{region}:{account}:key/{id}",
    "aws_s3_bucket": "arn:aws:s3:::{bucket}",
    "aws_iam_openid_connect_provider": "arn:aws:iam::{account}:oidc-provider/{host}",
    "aws_sqs_queue": "arn:aws:sqs:{region}:{account}:{name}",
    "aws_sns_topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws_cloudwatch_event_bus": "arn:aws:events:{region}:{account}:event-bus/{name}",
    "aws_sesv2_email_identity": "arn:aws:ses:{region}:{account}:identity/{email_identity}",
    "aws_cloudwatch_event_rule": "arn:aws:events:{region}:{account}:rule/{bus}/{name}",
}
# A table's stream is labelled with the time it was turned on.
_STREAM_ARN = "arn:aws:dynamodb:{region}:{account}:table/{name}/stream/2026-01-01T00:00:00.000"


def resolve(synth, text: str) -> tuple[str, dict[str, str]]:
    """``text`` as AWS would see it, and the request context of the first resource it names."""
    owners: list[dict] = []

    def value(match: re.Match) -> str:
        data, kind, name, attribute = match.groups()
        if data:
            return _DATA[(kind, attribute)]
        resource = synth.resources(kind)[name]
        owners.append(resource)
        if attribute == "id":
            return f"{kind}-{name}"
        if attribute == "name":
            return resource["name"]
        assert attribute in ("arn", "stream_arn"), match.group(0)
        template = _STREAM_ARN if attribute == "stream_arn" else _ARNS[kind]
        return template.format(
            region=synth.config.region,
            account=ACCOUNT,
            id=name,
            name=resource.get("name"),
            bucket=resource.get("bucket"),
            host=str(resource.get("url", "")).removeprefix("https://"),
            email_identity=resource.get("email_identity"),
            bus=resolve(synth, resource.get("event_bus_name", ""))[0],
        )

    resolved = _REFERENCE.sub(value, text)
    assert "${" not in resolved, resolved
    if not owners:
        return resolved, {}
    defaults = synth.json["provider"]["aws"][0]["default_tags"][0]["tags"]
    tags = defaults | owners[0].get("tags", {})
    return resolved, {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
