"""The local gateway evaluates the stage's web ACL before API Gateway's own checks: a web ACL like
the stack's (stacks/store/firewall.py), created on an emulator of its own in the shape the Terraform
provider sends, read back from it, in front of a small API of MOCK integrations."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse

import pytest
import requests

from localcloud.base import aws
from localcloud.emulator.process import Emulator
from localcloud.gateway.firewall import RateWindows, WebAcl
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.server import Gateway, serve
from stacks.store.firewall_answers import BLOCK_ANSWERS
from tests.localcloud.conftest import CORS_ORIGINS, LogCapture

REGION = aws.DEFAULT_REGION
RATE_LIMIT = 10
ALLOWED = CORS_ORIGINS[0]


def _block(key: str, *headers: tuple[str, str]) -> dict:
    response = {"ResponseCode": BLOCK_ANSWERS[key][0], "CustomResponseBodyKey": key}
    if headers:
        response["ResponseHeaders"] = [{"Name": n, "Value": v} for n, v in headers]
    return {"Block": {"CustomResponse": response}}


def _visibility(name: str) -> dict:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _origin_rule() -> dict:
    origin = {"SingleHeader": {"Name": "origin"}}
    none = [{"Priority": 0, "Type": "NONE"}]
    allowed = "^(" + "|".join(o.replace(".", r"\.") for o in CORS_ORIGINS) + ")$"
    return {
        "AndStatement": {
            "Statements": [
                {
                    "SizeConstraintStatement": {
                        "FieldToMatch": origin,
                        "ComparisonOperator": "GT",
                        "Size": 0,
                        "TextTransformations": none,
                    }
                },
                {
                    "NotStatement": {
                        "Statement": {
                            "RegexMatchStatement": {
                                "RegexString": allowed,
                                "FieldToMatch": origin,
                                "TextTransformations": none,
                            }
                        }
                    }
                },
            ]
        }
    }


def rules() -> list[dict]:
    """The stack's rules, as the provider sends them, with a rate limit a test can reach."""
    cors = ("Access-Control-Allow-Origin", ALLOWED)
    body_over_64_kib = {
        "SizeConstraintStatement": {
            "FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
            "ComparisonOperator": "GT",
            "Size": 65536,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    crs = {
        "VendorName": "AWS",
        "Name": "AWSManagedRulesCommonRuleSet",
        "RuleActionOverrides": [
            {"Name": "NoUserAgent_HEADER", "ActionToUse": _block("forbidden", cors)},
            {"Name": "SizeRestrictions_QUERYSTRING", "ActionToUse": _block("forbidden", cors)},
            {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}},
        ],
    }
    rate = {"Limit": RATE_LIMIT, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}
    own = [
        ("foreign-origin", _origin_rule(), _block("forbidden")),
        ("body-over-64-kib", body_over_64_kib, _block("payload-too-large", cors)),
    ]
    listed = [{"Name": n, "Statement": s, "Action": a} for n, s, a in own]
    listed.append(
        {
            "Name": "AWSManagedRulesCommonRuleSet",
            "Statement": {"ManagedRuleGroupStatement": crs},
            "OverrideAction": {"None": {}},
        }
    )
    # An IP reputation list: stored, not evaluated (docs/architecture.md, differences).
    listed.append(
        {
            "Name": "AWSManagedRulesAmazonIpReputationList",
            "Statement": {
                "ManagedRuleGroupStatement": {
                    "VendorName": "AWS",
                    "Name": "AWSManagedRulesAmazonIpReputationList",
                }
            },
            "OverrideAction": {"None": {}},
        }
    )
    listed.append(
        {
            "Name": "rate-limit-per-ip",
            "Statement": {"RateBasedStatement": rate},
            "Action": _block("too-many-requests", cors),
        }
    )
    return [
        {**r, "Priority": i, "VisibilityConfig": _visibility(r["Name"])}
        for i, r in enumerate(listed)
    ]


def bodies() -> dict:
    """The web ACL's custom response bodies, as the stack's."""
    return {
        key: {
            "ContentType": "APPLICATION_JSON",
            "Content": json.dumps({"error": {"code": code, "message": m, "details": []}}),
        }
        for key, (_, code, m) in BLOCK_ANSWERS.items()
    }


def _mock_api(apigw) -> str:
    """A REST API whose GET and POST /items answer 200 from a MOCK integration, stage local."""
    api = apigw.create_rest_api(name="guarded")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    for verb in ("GET", "POST"):
        method = {"restApiId": api, "resourceId": items, "httpMethod": verb}
        apigw.put_method(**method, authorizationType="NONE")
        apigw.put_integration(
            **method, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
        )
        apigw.put_method_response(**method, statusCode="200")
        apigw.put_integration_response(
            **method, statusCode="200", responseTemplates={"application/json": '{"ok": true}'}
        )
    apigw.put_gateway_response(
        restApiId=api,
        responseType="WAF_FILTERED",
        statusCode="403",
        responseTemplates={"application/json": '{"error": {"code": "FORBIDDEN"}}'},
    )
    apigw.create_deployment(restApiId=api, stageName="local")
    return api


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """An emulator of its own holding the API and its web ACL, and the gateway serving it."""
    emulator = Emulator("127.0.0.1", 0, tmp_path_factory.mktemp("waf") / "emulator.log")
    emulator.start()
    session = aws.session(REGION)
    apigw = session.client("apigateway", endpoint_url=emulator.url)
    wafv2 = session.client("wafv2", endpoint_url=emulator.url)
    api = _mock_api(apigw)
    acl = wafv2.create_web_acl(
        Name="guarded-api",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=rules(),
        VisibilityConfig=_visibility("guarded-api"),
        CustomResponseBodies=bodies(),
        AssociationConfig={"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_64"}}},
    )["Summary"]
    wafv2.associate_web_acl(
        WebACLArn=acl["ARN"],
        ResourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/local",
    )
    log = LogCapture()
    gateway = Gateway(
        emulator.url,
        region=REGION,
        api_id=api,
        extract_dir=tmp_path_factory.mktemp("fn"),
        log_stream=log,
        poll_interval=0,
    )
    clock = [0.0]
    gateway.snapshots.reader.rates.clock = lambda: clock[0]
    server = serve(gateway, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {
        "base": f"http://127.0.0.1:{server.port}/local",
        "log": log,
        "clock": clock,
        "gateway": gateway,
        "wafv2": wafv2,
        "acl": acl,
    }
    server.shutdown()
    server.server_close()
    gateway.close()
    emulator.stop()


def _waf_log(guarded, response) -> dict:
    request_id = response.headers["x-amzn-RequestId"]
    record = next(r for r in guarded["log"].records() if r.get("requestId") == request_id)
    return record.get("waf", {})


def _error(response) -> str:
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]["code"]


def test_the_web_acl_is_read_back_as_deployed(guarded):
    served = guarded["gateway"].served
    assert set(served.web_acls) == {"local"}
    acl = served.web_acls["local"]
    assert [r["Name"] for r in acl.rules][:2] == ["foreign-origin", "body-over-64-kib"]
    assert acl.body_limit == 64 * 1024
    assert served.problems == []


def test_a_10_kb_body_from_an_allowed_origin_gets_the_apis_answer(guarded):
    body = json.dumps({"description": "x" * 10 * 1024})
    response = requests.post(
        guarded["base"] + "/items", data=body, headers={"Origin": ALLOWED}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}
    # The common rule set's 8 KB limit counted: a label, no block.
    waf = _waf_log(guarded, response)
    assert waf == {
        "action": "ALLOW",
        "labels": ["awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"],
    }


@pytest.mark.parametrize("size, status", [(65536, 200), (65537, 413)])
def test_a_body_over_64_kib_is_the_contracts_413(guarded, size, status):
    response = requests.post(guarded["base"] + "/items", data=b"x" * size, timeout=30)
    assert response.status_code == status
    if status == 413:
        assert _error(response) == "PAYLOAD_TOO_LARGE"
        assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
        assert _waf_log(guarded, response)["terminatingRuleId"] == "body-over-64-kib"


def test_a_foreign_origin_is_the_contracts_403_without_an_allow_header(guarded):
    response = requests.get(
        guarded["base"] + "/items", headers={"Origin": "https://foreign.example"}, timeout=30
    )
    assert response.status_code == 403
    assert _error(response) == "FORBIDDEN"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _waf_log(guarded, response) == {"action": "BLOCK", "terminatingRuleId": "foreign-origin"}
    allowed = requests.get(guarded["base"] + "/items", headers={"Origin": ALLOWED}, timeout=30)
    assert allowed.status_code == 200


def _get_without_user_agent(url: str):
    """A GET with no User-Agent at all (urllib3 would add its own)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest("GET", parts.path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    answer = requests.models.Response()
    answer.status_code = response.status
    answer.headers = requests.structures.CaseInsensitiveDict(response.getheaders())
    answer._content = response.read()  # pylint: disable=protected-access
    connection.close()
    return answer


@pytest.mark.parametrize("rule", ["NoUserAgent_HEADER", "SizeRestrictions_QUERYSTRING"])
def test_a_managed_rule_blocks_with_the_stacks_override(guarded, rule):
    url = guarded["base"] + "/items"
    if rule == "NoUserAgent_HEADER":
        response = _get_without_user_agent(url)
    else:
        response = requests.get(url, params={"q": "x" * 2049}, timeout=30)
    assert response.status_code == 403
    assert _error(response) == "FORBIDDEN"
    # As WAF's logs and sampled requests name it: the web ACL's rule and the group's rule.
    waf = _waf_log(guarded, response)
    assert waf["terminatingRuleId"] == "AWSManagedRulesCommonRuleSet"
    assert waf["ruleNameWithinRuleGroup"] == rule


def _request(source_ip="10.0.0.1", **fields) -> IncomingRequest:
    base = {
        "method": "GET",
        "path": "/items",
        "stage": "local",
        "raw_headers": [("User-Agent", "test")],
        "query_pairs": [],
        "body": b"",
        "source_ip": source_ip,
        "host": "127.0.0.1",
    }
    return IncomingRequest(**{**base, **fields})


def test_the_rate_limit_counts_each_address_over_its_window():
    clock = [1000.0]
    acl = WebAcl(
        {"ARN": "acl", "Rules": rules(), "CustomResponseBodies": bodies()},
        RateWindows(lambda: clock[0]),
    )
    verdicts = [acl.evaluate(_request()) for _ in range(RATE_LIMIT + 1)]
    assert [v.blocked_by for v in verdicts[:RATE_LIMIT]] == [None] * RATE_LIMIT
    assert verdicts[-1].blocked_by == {"terminatingRuleId": "rate-limit-per-ip"}
    assert verdicts[-1].answer[0] == 429
    assert acl.evaluate(_request(source_ip="10.0.0.2")).blocked_by is None  # per address
    clock[0] += 299  # still inside the 300-second window: every request is still counted
    assert acl.evaluate(_request()).blocked_by is not None
    clock[0] += 300  # all of them outside it
    assert acl.evaluate(_request()).blocked_by is None


def test_over_the_rate_limit_is_the_contracts_429(guarded):
    guarded["clock"][0] += 10_000  # a fresh window for this address
    answers = [requests.get(guarded["base"] + "/items", timeout=30) for _ in range(RATE_LIMIT + 1)]
    assert [r.status_code for r in answers] == [200] * RATE_LIMIT + [429]
    assert _error(answers[-1]) == "TOO_MANY_REQUESTS"
    assert _waf_log(guarded, answers[-1])["terminatingRuleId"] == "rate-limit-per-ip"
    guarded["clock"][0] += 10_000


def test_a_block_without_a_custom_response_is_api_gateways_waf_filtered():
    acl = WebAcl(
        {
            "Rules": [
                {"Name": "all", "Priority": 0, "Statement": _origin_rule(), "Action": {"Block": {}}}
            ]
        },
        RateWindows(),
    )
    verdict = acl.evaluate(_request(raw_headers=[("Origin", "https://foreign.example")]))
    assert verdict.blocked_by == {"terminatingRuleId": "all"} and verdict.answer is None


def test_a_statement_it_cannot_evaluate_is_named_and_never_matches():
    statement = {"GeoMatchStatement": {"CountryCodes": ["NL"]}}
    acl = WebAcl(
        {
            "Name": "acl",
            "Rules": [
                {"Name": "geo", "Priority": 0, "Statement": statement, "Action": {"Block": {}}}
            ],
        },
        RateWindows(),
    )
    assert acl.problems == [
        "Rule geo of web ACL acl: a GeoMatchStatement is not evaluated by the local cloud "
        "(the rule never matches there)."
    ]
    assert acl.evaluate(_request()).blocked_by is None


def _put(guarded, default_action: dict, acl_rules: list[dict]) -> None:
    """Replace the web ACL's default action and rules (a redeploy of the firewall)."""
    wafv2, acl = guarded["wafv2"], guarded["acl"]
    current = wafv2.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])
    wafv2.update_web_acl(
        Name=acl["Name"],
        Scope="REGIONAL",
        Id=acl["Id"],
        LockToken=current["LockToken"],
        DefaultAction=default_action,
        Rules=acl_rules,
        VisibilityConfig=_visibility("guarded-api"),
        CustomResponseBodies=bodies(),
    )


def test_a_changed_web_acl_is_picked_up(guarded):
    gateway = guarded["gateway"]
    assert gateway.refresh() is False
    _put(guarded, {"Block": {}}, [])
    try:
        assert gateway.refresh() is True
        response = requests.get(guarded["base"] + "/items", timeout=30)
        assert response.status_code == 403
        assert response.json() == {"error": {"code": "FORBIDDEN"}}  # the API's WAF_FILTERED
    finally:
        _put(guarded, {"Allow": {}}, rules())
        gateway.refresh()
