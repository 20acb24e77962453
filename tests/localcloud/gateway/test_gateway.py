"""The local gateway's mapping rules, against a REST API built by hand in the emulator."""

from __future__ import annotations

import base64
import http.client
import json
import re
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.gateway.responses import GatewayError, gateway_response
from localcloud.gateway.server import Gateway
from localcloud.lambdas import runtimes
from localcloud.lambdas.code_store import sha256_b64
from tests.localcloud.conftest import (
    APP_CODE,
    CORS_ORIGINS,
    LogCapture,
    clients,
    command_serving,
    integrate,
    make_zip,
)


def _get(served, path, **kwargs):
    return requests.get(served.base + path, timeout=30, **kwargs)


def _records_for(served, request_id):
    return [r for r in served.log.records() if r.get("requestId") == request_id]


def test_path_parameters_and_proxy_event_shape(served, hand_built_api):
    response = _get(
        served,
        "/items/abc-123?tag=a&tag=b&single=x",
        headers={"User-Agent": "pytest-agent", "X-Custom": "v"},
    )
    assert response.status_code == 200
    payload = response.json()
    event = payload["event"]
    assert event["resource"] == "/items/{itemId}"
    assert event["path"] == "/items/abc-123"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"itemId": "abc-123"}
    assert event["queryStringParameters"] == {"tag": "b", "single": "x"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "single": ["x"]}
    assert event["stageVariables"] == {"flavour": "vanilla"}
    assert event["headers"]["X-Custom"] == "v"
    assert event["multiValueHeaders"]["X-Custom"] == ["v"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "local"
    assert context["resourcePath"] == "/items/{itemId}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/local/items/abc-123"
    assert context["apiId"] == hand_built_api.api_id
    assert context["accountId"] == "123456789012"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "pytest-agent"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert isinstance(context["requestTimeEpoch"], int)


def test_function_context_and_environment(served, emulator, hand_built_api):
    payload = _get(served, "/items/1").json()
    ctx, env = payload["context"], payload["env"]
    assert ctx["function_name"] == "app"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["invoked_function_arn"] == hand_built_api.functions["app"]
    assert 0 < ctx["remaining_ms"] <= 5000
    assert len(ctx["aws_request_id"]) == 36
    assert env["GREETING"] == "hello from app"
    assert env["AWS_ENDPOINT_URL"] == emulator.url
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "app"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    # A session of the function's role, never the administrator's key.
    assert env["AWS_ACCESS_KEY_ID"] not in (aws.ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"], None)
    assert env["_X_AMZN_TRACE_ID"].endswith("Sampled=0")
    # The extracted deployment package comes first on sys.path, and is the task root.
    assert payload["sys_path_0"] == env["LAMBDA_TASK_ROOT"]
    assert Path(env["LAMBDA_TASK_ROOT"], "app.py").is_file()


def test_function_reaches_the_emulator_as_its_role(served):
    response = _get(served, "/anything/aws")
    assert response.status_code == 200
    assert set(response.json()["functions"]) >= {"app", "slow", "stale"}
    assert response.json()["caller"] == "arn:aws:sts::123456789012:assumed-role/fn-role/app"
    assert response.json()["boto3"] == runtimes.RUNTIME_SDK["python3.12"]


def test_functions_run_on_their_runtimes_python(served):
    payload = _get(served, "/items/1").json()
    assert payload["python"] == "3.12"  # the functions' Runtime, not the project's 3.11
    assert Path(payload["executable"]).parent.parent == runtimes.environment_dir("python3.12")


def test_a_call_the_role_does_not_grant_fails_the_function(served):
    response = _get(served, "/anything/not-granted")
    assert response.status_code == 502
    record = _records_for(served, response.headers["x-amzn-RequestId"])[0]
    assert "AccessDenied" in record["error"]


def test_greedy_proxy_and_literal_priority(served):
    event = _get(served, "/deep/nested/path").json()["event"]
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "deep/nested/path"}
    # A literal resource wins over the greedy one.
    assert _get(served, "/items/7").json()["event"]["resource"] == "/items/{itemId}"


def test_unknown_route_and_method_answer_missing_authentication_token(served):
    for method, path in (("DELETE", "/items/1"), ("PUT", "/items")):
        response = requests.request(method, served.base + path, timeout=10)
        assert response.status_code == 403
        assert response.json() == {"message": "Missing Authentication Token"}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_openapi_document_is_served_at_the_stage(served):
    response = requests.get(served.base + "/openapi.json", timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": served.base}]
    assert "/products/{productId}" in document["paths"]
    other_stage = requests.get(f"http://127.0.0.1:{served.port}/prod/openapi.json", timeout=10)
    assert other_stage.status_code == 403


def test_unknown_stage_is_forbidden(served):
    response = requests.get(f"http://127.0.0.1:{served.port}/prod/items/1", timeout=10)
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_invalid_body_is_rejected_before_the_function_runs(served):
    before = len([r for r in served.log.records() if r.get("function")])
    for body in ('{"name": ""}', '{"name": "ok", "extra": 1}', "{not json", ""):
        response = requests.post(
            served.base + "/items",
            data=body,
            timeout=10,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, body
        assert response.json() == {"message": "Invalid request body"}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        record = _records_for(served, response.headers["x-amzn-RequestId"])[0]
        assert "start" not in record
    assert len([r for r in served.log.records() if r.get("function")]) == before
    ok = requests.post(served.base + "/items", json={"name": "widget"}, timeout=10)
    assert ok.status_code == 200
    assert json.loads(ok.json()["event"]["body"]) == {"name": "widget"}


def test_missing_required_query_parameter_is_rejected(served):
    response = _get(served, "/items")
    assert response.status_code == 400
    assert response.json() == {"message": "Missing required request parameters: [category]"}
    assert _get(served, "/items?category=tools").status_code == 200


def test_mock_preflight_answers_from_the_integration_response(served):
    response = requests.options(served.base + "/items", timeout=10)
    assert response.status_code == 204
    assert response.reason == "No Content"
    assert response.headers["Content-Length"] == "0"  # as API Gateway sends it on a 204
    assert len(response.headers["x-amz-apigw-id"]) == 16
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type,Idempotency-Key"
    assert response.content == b""
    record = _records_for(served, response.headers["x-amzn-RequestId"])[0]
    assert record["integration"] == "MOCK"


@pytest.mark.parametrize("origin", CORS_ORIGINS)
def test_mock_preflight_runs_its_velocity_template(served, origin):
    # The request template is VTL too (#if), and picks 204; the response template overrides
    # Access-Control-Allow-Origin with the request's origin when it is one of the allowed.
    response = requests.options(served.base + "/cors", headers={"Origin": origin}, timeout=10)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Vary"] == "Origin"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert response.content == b""


@pytest.mark.parametrize("origin", [None, "https://evil.example"])
def test_mock_preflight_gives_a_foreign_origin_no_allow_header(served, origin):
    headers = {"Origin": origin} if origin else {}
    response = requests.options(served.base + "/cors", headers=headers, timeout=10)
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_gateway_response_templates_get_substitution_not_velocity():
    # AWS: "A GatewayResponse mapping template isn't processed by the VTL engine" (only simple
    # variable substitution), so a directive stays as written and variables are replaced.
    deployed = {
        "DEFAULT_4XX": {
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin"
            },
            "responseTemplates": {
                "application/json": '{"m":$context.error.messageString,'
                '"p":"${context.resourcePath}","t":"$context.error.responseType",'
                '"x":"$context.nothing","v":"#if(true)y#end"}'
            },
        }
    }
    status, headers, body = gateway_response(
        deployed,
        GatewayError("BAD_REQUEST_PARAMETERS", "Missing required request parameters: [email]"),
        "req-1",
        request_headers={"origin": "https://shop.example.com"},
        context={"resourcePath": "/users"},
    )
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert json.loads(body) == {
        "m": "Missing required request parameters: [email]",
        "p": "/users",
        "t": "BAD_REQUEST_PARAMETERS",
        "x": "",
        "v": "#if(true)y#end",
    }


def test_multi_value_headers_both_ways(served):
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.putrequest("GET", "/local/echo/multi-in")
    connection.putheader("X-Multi", "one")
    connection.putheader("X-Multi", "two")
    connection.endheaders()
    event = json.loads(connection.getresponse().read())["event"]
    assert event["headers"]["X-Multi"] == "two"
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]

    connection.request("GET", "/local/echo/multi")
    response = connection.getresponse()
    response.read()
    assert response.status == 201
    cookies = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
    assert cookies == ["a=1", "b=2", "c=3"]
    assert response.getheader("X-Single") == "one"
    connection.close()


def test_base64_bodies_both_ways(served):
    raw = bytes(range(256))
    response = requests.post(
        served.base + "/echo",
        data=raw,
        timeout=10,
        headers={"Content-Type": "application/octet-stream"},
    )
    event = response.json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw

    text = requests.post(
        served.base + "/echo",
        data="héllo",
        timeout=10,
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert text.json()["event"]["isBase64Encoded"] is False
    assert text.json()["event"]["body"] == "héllo"

    binary = _get(served, "/echo/binary")
    assert binary.content == b"\x00\x01\xfe\xff"
    assert binary.headers["Content-Type"] == "application/octet-stream"


def test_a_chunked_body_reaches_the_function_whole(served):
    # No Content-Length: the client streams the body in chunks.
    response = requests.post(
        served.base + "/echo",
        data=iter([b'{"name": ', b'"chunked"}']),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["event"]["headers"]["Transfer-Encoding"] == "chunked"
    assert json.loads(response.json()["event"]["body"]) == {"name": "chunked"}


def test_malformed_response_and_function_error_are_502(served):
    for path in ("/echo/malformed", "/echo/raise"):
        response = _get(served, path)
        assert response.status_code == 502
        assert response.json() == {"message": "Internal server error"}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    # A function error keeps its worker warm, as Lambda does.
    again = _get(served, "/echo/raise")
    assert again.status_code == 502
    record = _records_for(served, again.headers["x-amzn-RequestId"])[0]
    assert record["start"] == "warm"
    assert "ValueError: boom" in record["error"]


def test_a_line_break_in_a_response_header_is_a_malformed_response(served):
    # It would end the header and start another one of the function's choosing.
    response = _get(served, "/echo/line-break")
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    assert "X-Injected" not in response.headers
    record = _records_for(served, response.headers["x-amzn-RequestId"])[0]
    assert "line breaks" in record["error"]


def test_warm_workers_are_reused(served):
    first = _get(served, "/items/warm").json()["pid"]
    second = _get(served, "/items/warm").json()["pid"]
    assert first == second
    # The same function sleeps 250 ms (a sleep never ends early): the logged latency covers its
    # run, so one taken before the invocation, or in seconds, is below 250. No upper bound.
    response = _get(served, "/items/sleep?s=0.25")
    record = _records_for(served, response.headers["x-amzn-RequestId"])[0]
    assert record["start"] == "warm"
    assert record["function"] == "app"
    assert record["status"] == 200
    assert record["method"] == "GET"
    assert record["path"] == "/local/items/sleep"
    assert record["latencyMs"] >= 250


class _CountingCondition(threading.Condition):
    """A pool's condition that counts the requests waiting on it for a worker."""

    def __init__(self):
        super().__init__()
        self.first_wait: float | None = None

    def wait(self, timeout=None):
        if self.first_wait is None:
            self.first_wait = time.monotonic()
        return super().wait(timeout)

    def waited(self, seconds: float) -> bool:
        """Whether a request has been waiting for ``seconds`` at least."""
        return self.first_wait is not None and time.monotonic() - self.first_wait >= seconds


def test_beyond_reserved_concurrency_a_request_waits_for_the_worker(served):
    # Locally a request over the function's reserved concurrency waits instead of a 429: its
    # invocations last several times longer than on AWS (see functions.DEFAULT_CONCURRENCY_CAP).
    # The test holds the one invocation `slow` may run (reserved 1) itself, so the request is
    # over the limit however long anything takes, and gives it back once the request waits.
    warm = _get(served, "/slow/sleep?s=0").json()["pid"]
    pool = served.gateway.served.pools["slow"]
    pool._cond = counting = _CountingCondition()
    held = pool._acquire(time.monotonic() + 30)
    results = {}
    thread = threading.Thread(target=lambda: results.update(r=_get(served, "/slow/sleep?s=0")))
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while not counting.waited(0.005) and time.monotonic() < deadline:  # queuedMs: >= 1 ms
            time.sleep(0.01)
        assert counting.waited(0.005), "the request did not wait for the held invocation"
        assert thread.is_alive() and not results  # not answered while the invocation is held
    finally:
        pool._release(held, reusable=True)
        thread.join(30)
    waited = results["r"]
    assert waited.status_code == 200
    assert waited.json()["pid"] == warm  # one worker, reserved 1: the one given back
    [record] = _records_for(served, waited.headers["x-amzn-RequestId"])
    assert record["queuedMs"] >= 5
    assert record["start"] == "warm"


def test_timeout_is_504_and_the_worker_is_replaced(served):
    warm = _get(served, "/slow/sleep?s=0").json()["pid"]
    started = time.monotonic()
    response = _get(served, "/slow/sleep?s=60")
    assert 0.9 < time.monotonic() - started < 30  # the function's 1 s timeout, not the sleep
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    after = _get(served, "/slow/sleep?s=0")
    assert after.status_code == 200
    assert after.json()["pid"] != warm
    record = _records_for(served, after.headers["x-amzn-RequestId"])[0]
    assert record["start"] == "cold"


def test_code_mismatch_is_refused(served):
    assert any("stale" in p and "CodeSha256" in p for p in served.gateway.served.problems)
    response = _get(served, "/stale")
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    record = _records_for(served, response.headers["x-amzn-RequestId"])[0]
    assert "matches no deployment package" in record["error"]
    assert "start" not in record


def test_api_found_without_an_id_unless_ambiguous(emulator, hand_built_api, tmp_path):
    gateway = Gateway(
        emulator.url, code_dirs=[hand_built_api.code_dir], extract_dir=tmp_path, poll_interval=0
    )
    assert gateway.served.api.id == hand_built_api.api_id
    gateway.close()
    apigw = clients(emulator.url)[0]
    other = apigw.create_rest_api(name="another")["id"]
    try:
        with pytest.raises(LocalCloudError, match=r"several REST APIs .*--api-id\.$"):
            Gateway(emulator.url, extract_dir=tmp_path, poll_interval=0)
    finally:
        apigw.delete_rest_api(restApiId=other)


def test_a_redeploy_is_picked_up(served, emulator, hand_built_api):
    apigw, lam, _ = clients(emulator.url)
    api_id = hand_built_api.api_id
    served.gateway.refresh()  # what the tests before this one changed, taken in
    assert served.gateway.refresh() is False  # nothing changed since
    first = make_zip({"app.py": APP_CODE.replace("hello from", "first version of")})
    (hand_built_api.code_dir / "reloaded-1.zip").write_bytes(first)
    role = lam.get_function(FunctionName="app")["Configuration"]["Role"]
    arn = lam.create_function(
        FunctionName="reloaded",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": first},
        Environment={"Variables": {"GREETING": "v1"}},
    )["FunctionArn"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="reloaded")["id"]
    integrate(apigw, api_id, resource, "GET", arn)
    # Not with stageName: moto would replace the shared stage and the variables others read.
    apigw.create_deployment(restApiId=api_id)
    assert served.gateway.refresh() is True
    response = _get(served, "/reloaded")
    assert response.status_code == 200
    assert response.json()["env"]["GREETING"] == "v1"
    # New code deployed, but its package is not where the gateway looks: refused.
    lam.update_function_code(FunctionName="reloaded", ZipFile=make_zip({"app.py": APP_CODE + "#"}))
    assert served.gateway.refresh() is True
    assert _get(served, "/reloaded").status_code == 502
    assert any("reloaded" in p for p in served.gateway.served.problems)


def test_polling_picks_up_each_redeploy_by_itself(emulator, hand_built_api, tmp_path):
    gateway = Gateway(
        emulator.url,
        api_id=hand_built_api.api_id,
        code_dirs=[hand_built_api.code_dir],
        extract_dir=tmp_path,
        log_stream=LogCapture(),
        poll_interval=0.1,
    )
    apigw = clients(emulator.url)[0]
    try:
        gateway.start_polling()
        for _ in range(2):  # and it goes on polling after a reload
            before = gateway.served
            apigw.create_deployment(restApiId=hand_built_api.api_id)
            deadline = time.monotonic() + 10
            while gateway.served is before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert gateway.served is not before
    finally:
        gateway.close()


def test_standalone_gateway_command(emulator, hand_built_api):
    with command_serving(
        "localcloud.gateway",
        *("--endpoint-url", emulator.url, "--api-id", hand_built_api.api_id),
        *("--port", "0", "--code-dir", str(hand_built_api.code_dir)),
    ) as (process, banner):
        assert banner.startswith("Local gateway serving hand-built at http://127.0.0.1:")
        url = banner.split(" at ")[1].strip()
        assert requests.get(url + "items/9", timeout=30).json()["event"]["pathParameters"] == {
            "itemId": "9"
        }
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        log = json.loads(process.stdout.readline())
        assert log["status"] == 200


def _deploy_with(lam, data: bytes, deployed: list[str]):
    """``deploy(names)`` for ``Gateway.update_code``: UpdateFunctionCode with ``data`` on the
    emulator, each name put in ``deployed``."""

    def deploy(names):
        for name in names:
            deployed.append(name)
            lam.update_function_code(FunctionName=name, ZipFile=data)

    return deploy


def test_updated_code_serves_before_it_is_deployed(emulator, hand_built_api, tmp_path):
    # Watch mode's path: nothing is read from the emulator; each new pool's worker starts
    # before the pool serves (the first request after the swap is warm), and the emulator gets
    # the code after the swap, its answer taken into the fingerprint (polling finds nothing).
    lam = clients(emulator.url)[1]
    packages = tmp_path / "packages"
    packages.mkdir()
    saved = make_zip({"app.py": APP_CODE + "\n# saved again\n"})
    broken = make_zip({"app.py": "def handler(event, context:\n"})
    for name, data in (("saved.zip", saved), ("broken.zip", broken)):
        (packages / name).write_bytes(data)
    gateway = Gateway(
        emulator.url,
        api_id=hand_built_api.api_id,
        code_dirs=[hand_built_api.code_dir, packages],
        extract_dir=tmp_path / "functions",
        log_stream=LogCapture(),
        poll_interval=0,
    )
    before = gateway.served
    gateway.keep_spares()  # workers with the libraries imported, waiting for a function
    spares = {process.pid: process for process in gateway.spares._ready}
    served_when_deployed = []

    def deploy(names):
        served_when_deployed.append(gateway.served.pools["app"].spec.code_sha256)
        return _deploy_with(lam, saved, [])(names)

    try:
        swap = gateway.update_code({"app": sha256_b64(saved)}, deploy)
        assert swap.failures == {} and swap.served_at <= swap.deployed_at
        assert served_when_deployed == [sha256_b64(saved)]  # served first, then deployed
        pool = gateway.served.pools["app"]
        assert pool is not before.pools["app"] and pool.spec.code_sha256 == sha256_b64(saved)
        assert pool.roles is before.pools["app"].roles  # no new STS client on the way
        [worker] = pool._idle  # its worker, started before the swap, in a spare
        assert worker.process.pid in spares
        response = pool.invoke({"path": "/local/items/1", "httpMethod": "GET"}, 10)
        assert json.loads(response.result["body"])["env"]["GREETING"] == "hello from app"
        # Filled again once the new code answered (in the background: waited for).
        deadline = time.monotonic() + 60
        while len(gateway.spares._ready) < len(spares) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(gateway.spares._ready) == len(spares)
        assert pool.answered.is_set()
        assert gateway.served.pools["slow"] is before.pools["slow"]  # unchanged: kept
        assert gateway.served.api is before.api
        assert lam.get_function(FunctionName="app")["Configuration"]["CodeSha256"] == (
            sha256_b64(saved)
        )
        assert gateway.refresh() is False  # the fingerprint is the emulator's already

        again = []
        swap = gateway.update_code({"app": sha256_b64(saved)}, _deploy_with(lam, saved, again))
        assert again == [] and gateway.served.pools["app"] is pool  # the same code: kept

        swap = gateway.update_code({"app": sha256_b64(broken)}, _deploy_with(lam, broken, []))
        assert list(swap.failures) == ["app"]
        assert "Runtime.UserCodeSyntaxError" in str(swap.failures["app"])
        assert gateway.refresh() is False
    finally:
        original = (hand_built_api.code_dir / "app.zip").read_bytes()
        lam.update_function_code(FunctionName="app", ZipFile=original)
        gateway.close()
    assert all(process.poll() is not None for process in spares.values())


def test_code_the_emulator_refuses_is_not_served(emulator, hand_built_api, tmp_path):
    # What runs is what is deployed: when UpdateFunctionCode fails after the swap, the gateway
    # reads what is deployed again and serves it.
    packages = tmp_path / "packages"
    packages.mkdir()
    saved = make_zip({"app.py": APP_CODE + "\n# refused\n"})
    (packages / "saved.zip").write_bytes(saved)
    gateway = Gateway(
        emulator.url,
        api_id=hand_built_api.api_id,
        code_dirs=[hand_built_api.code_dir, packages],
        extract_dir=tmp_path / "functions",
        log_stream=LogCapture(),
        poll_interval=0,
    )
    deployed = gateway.served.pools["app"].spec.code_sha256

    def refused(names):
        raise LocalCloudError(f"the emulator refused {names[0]}'s new code")

    try:
        with pytest.raises(LocalCloudError, match="refused app's new code"):
            gateway.update_code({"app": sha256_b64(saved)}, refused)
        assert gateway.served.pools["app"].spec.code_sha256 == deployed
        assert gateway.refresh() is False
        # A deploy that leaves other code on the emulator is caught the same way.
        with pytest.raises(
            LocalCloudError, match=re.escape(f"holds CodeSha256 {deployed} for app")
        ):
            gateway.update_code({"app": sha256_b64(saved)}, lambda names: None)
        assert gateway.served.pools["app"].spec.code_sha256 == deployed
        assert gateway.refresh() is False
    finally:
        gateway.close()
