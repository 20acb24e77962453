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
}


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
        assert attribute == "arn", match.group(0)
        return _ARNS[kind].format(
            region=synth.config.region,
            account=ACCOUNT,
            id=name,
            name=resource.get("name"),
            bucket=resource.get("bucket"),
            host=str(resource.get("url", "")).removeprefix("https://"),
        )

    resolved = _REFERENCE.sub(value, text)
    assert "${" not in resolved, resolved
    if not owners:
        return resolved, {}
    defaults = synth.json["provider"]["aws"][0]["default_tags"][0]["tags"]
    tags = defaults | owners[0].get("tags", {})
    return resolved, {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
