"""A grant missing from a function's role is AWS's AccessDenied, and the caller sees the contract's
500 INTERNAL with nothing of AWS's text: on the local cloud too, which enforces the roles' policies
(each function's workers sign as its own role)."""

import json
import urllib.parse

import pytest


def _access_policy(iam, role: str) -> tuple[str, dict]:
    """The role's inline policy that grants the function its tables: name and document."""
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):  # some endpoints return it URL-encoded
            document = json.loads(urllib.parse.unquote(document))
        if any("dynamodb:GetItem" in s["Action"] for s in document["Statement"]):
            return name, document
    raise AssertionError(f"no policy of {role} grants dynamodb:GetItem")


def _without(document: dict, action: str) -> dict:
    statements = []
    for statement in document["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        kept = [a for a in actions if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


@pytest.mark.alters_stack
def test_a_grant_missing_from_the_role_is_a_500_that_leaks_nothing(api, aws, outputs):
    if outputs["Environment"] != "local":
        pytest.skip("takes a grant away from a deployed role: done on the local cloud only")
    path = f"/products/{api.create_product()['productId']}"
    assert api.get(path).status_code == 200
    function = aws("lambda").get_function_configuration(FunctionName=outputs["ProductsLambdaName"])
    role = function["Role"].rsplit("/", 1)[-1]
    iam = aws("iam")
    name, document = _access_policy(iam, role)
    iam.put_role_policy(
        RoleName=role,
        PolicyName=name,
        PolicyDocument=json.dumps(_without(document, "dynamodb:GetItem")),
    )
    try:
        refused = api.get(path)
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))
    assert refused.status_code == 500, refused.text
    assert refused.json()["error"]["code"] == "INTERNAL"
    assert "Access-Control-Allow-Origin" in refused.headers
    for leak in ("AccessDenied", "not authorized", "dynamodb", "GetItem", "arn:", role):
        assert leak not in refused.text
    # The same request with the grant back: the 500 was the missing grant.
    assert api.get(path).status_code == 200
