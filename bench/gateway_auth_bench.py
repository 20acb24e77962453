"""What the local gateway's token check and web ACL cost per request: the same function behind a
method with Cognito user pool authorization and behind one without, and on a stage whose web ACL
is the stack's (stacks/store/firewall.py) beside one with none, in one run, one process.

``python -m bench.gateway_auth_bench [--requests N]``

moto's server starts on a free loopback port (as the local cloud starts it) with a user pool, an
app client, a signed-in user, and a REST API of two methods on one trivial function: ``GET /open``
(authorization NONE) and ``GET /signed`` (COGNITO_USER_POOLS). The local gateway serves it from
this process; one keep-alive client alternates the two routes (so load changes hit both alike)
after a warm-up that fills the JWKS cache and warms the function's worker. A second stage,
``guarded``, serves the same API behind a web ACL with the stack's rules (foreign origins, the
64 KiB body limit, the five managed groups with every rule's override, the rate limit set too high
to be reached); ``GET /open`` is timed on both stages alike. Next to the HTTP figures, the check
alone (``Authorization.check``: parse, RS256 verify, claims) and the web ACL alone
(``WebAcl.evaluate``) are timed in process, and the JWKS fetches are counted (one is expected).
So is the check for function faults the gateway makes before each invocation, with no rule set
(``function_faults.FunctionRules.for_invocation``).
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import command
from bench.common import describe_machine, percentile, ratio
from bench.web_acl import GUARDED, ORIGIN, guard
from localcloud.base import arguments, aws
from localcloud.emulator.process import Emulator
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.routing import find_route
from localcloud.lambdas.function_faults import function_rules
from stacks.base.iam import assume_role_policy

if TYPE_CHECKING:
    from localcloud.gateway.server import Gateway

REGION = aws.DEFAULT_REGION
STAGE = "bench"
WARMUP = 30
HANDLER = 'def handler(event, context):\n    return {"statusCode": 200, "body": "{}"}\n'


def _package(code_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    data = buffer.getvalue()
    (code_dir / "app.zip").write_bytes(data)
    return data


def _signed_in_user(idp) -> tuple[dict, str]:
    """A user pool, its app client and a signed-in user: (the pool, an ID token)."""
    pool = idp.create_user_pool(PoolName="bench", UsernameAttributes=["email"])["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="bench")
    client_id = client["UserPoolClient"]["ClientId"]
    email, password = "bench@example.com", "Bench-Passw0rd!"
    idp.admin_create_user(UserPoolId=pool["Id"], Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool["Id"], Username=email, Password=password, Permanent=True
    )
    token = idp.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]["IdToken"]
    return pool, token


def deploy(endpoint: str, code_dir: Path) -> tuple[str, str, str]:
    """The two-route API, the pool and a signed-in user: (api id, ID token, pool id)."""
    session = aws.session(REGION)
    apigw, lam, iam, idp = (
        session.client(s, endpoint_url=endpoint)
        for s in ("apigateway", "lambda", "iam", "cognito-idp")
    )
    role = iam.create_role(
        RoleName="bench", AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )
    function = lam.create_function(
        FunctionName="bench",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": _package(code_dir)},
    )["FunctionArn"]
    pool, token = _signed_in_user(idp)
    api = apigw.create_rest_api(name="auth-bench")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    authorizer = apigw.create_authorizer(
        restApiId=api,
        name="cognito",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool["Arn"]],
        identitySource="method.request.header.Authorization",
    )["id"]
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
    for part, authorization in (("open", {}), ("signed", {"authorizerId": authorizer})):
        resource = apigw.create_resource(restApiId=api, parentId=root, pathPart=part)["id"]
        apigw.put_method(
            restApiId=api,
            resourceId=resource,
            httpMethod="GET",
            authorizationType="COGNITO_USER_POOLS" if authorization else "NONE",
            **authorization,
        )
        apigw.put_integration(
            restApiId=api,
            resourceId=resource,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    apigw.create_deployment(restApiId=api, stageName=STAGE)
    return api, token, pool["Id"]


def http_latencies(port: int, token: str, requests: int) -> dict[str, list[float]]:
    """Milliseconds per request of each route, alternating, on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    browser = {"Origin": ORIGIN, "User-Agent": "bench"}
    routes = {
        "open": (f"/{STAGE}/open", browser),
        "signed": (f"/{STAGE}/signed", {**browser, "Authorization": token}),
        "open behind the web ACL": (f"/{GUARDED}/open", browser),
    }
    latencies: dict[str, list[float]] = {name: [] for name in routes}
    for index in range(WARMUP + requests):
        for name, (path, headers) in routes.items():
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}, expected 200.")
            if index >= WARMUP:
                latencies[name].append(elapsed)
    connection.close()
    return latencies


def check_latencies(gateway: Gateway, token: str, requests: int) -> list[float]:
    """Microseconds per ``Authorization.check`` of the signed route, in process."""
    served = gateway.served
    method = find_route(served.api.root, "/signed", "GET").method
    request = IncomingRequest(
        method="GET",
        path="/signed",
        stage=STAGE,
        raw_headers=[("Authorization", token)],
        query_pairs=[],
        body=b"",
        source_ip="127.0.0.1",
        host="localhost",
    )
    samples = []
    for index in range(WARMUP + requests * 4):
        started = time.perf_counter()
        claims = served.authorization.check(method, request, {})
        elapsed = (time.perf_counter() - started) * 1e6
        if not claims:
            raise RuntimeError("The token check handed no claims over.")
        if index >= WARMUP:
            samples.append(elapsed)
    return samples


def web_acl_latencies(gateway: Gateway, requests: int) -> list[float]:
    """Microseconds per ``WebAcl.evaluate`` of the guarded stage's web ACL, in process: a POST
    from the allowed origin with a 1 KB body (every rule runs, none blocks)."""
    web_acl = gateway.served.web_acls[GUARDED]
    request = IncomingRequest(
        method="POST",
        path="/open",
        stage=GUARDED,
        raw_headers=[("Origin", ORIGIN), ("User-Agent", "bench")],
        query_pairs=[("category", "office")],
        body=b"x" * 1024,
        source_ip="127.0.0.1",
        host="localhost",
    )
    samples = []
    for index in range(WARMUP + requests * 4):
        started = time.perf_counter()
        verdict = web_acl.evaluate(request)
        elapsed = (time.perf_counter() - started) * 1e6
        if verdict.blocked_by:
            raise RuntimeError(f"The web ACL blocked the bench's request: {verdict.blocked_by}")
        if index >= WARMUP:
            samples.append(elapsed)
    return samples


def fault_check_latencies(endpoint: str, requests: int) -> list[float]:
    """Microseconds per function-fault check, as the gateway makes one before each invocation
    (no rule set), in process."""
    rules = function_rules(endpoint)
    samples = []
    for index in range(WARMUP + requests * 4):
        started = time.perf_counter()
        faults = rules.for_invocation("bench")
        elapsed = (time.perf_counter() - started) * 1e6
        if faults.fired is not None or faults.armed:
            raise RuntimeError(f"A function fault is set in the bench: {faults}")
        if index >= WARMUP:
            samples.append(elapsed)
    return samples


def _p50_p99(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99)}


# The command line: python -m bench.gateway_auth_bench.
FLAGS = (
    command.flag("--requests", type=arguments.count, default=300, help="timed requests per route"),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the table, write the JSON."""
    return command.run(argv, "bench.gateway_auth_bench", __doc__, FLAGS, _measure)


def _measure(args: argparse.Namespace) -> command.Report:
    # The gateway's server here, not at the top: a wrong command line is refused before its
    # imports (werkzeug, botocore), which only the measurement needs.
    # pylint: disable-next=import-outside-toplevel
    from localcloud.gateway.server import Gateway, serve  # noqa: PLC0415

    work = Path(tempfile.mkdtemp(prefix="bench-gateway-auth-"))
    emulator = Emulator("127.0.0.1", 0, work / "emulator.log")
    gateway = server = None
    try:
        emulator.start()
        api_id, token, pool_id = deploy(emulator.url, work)
        guard(emulator.url, api_id)
        with open(os.devnull, "w", encoding="utf-8") as quiet:
            gateway = Gateway(
                emulator.url,
                region=REGION,
                api_id=api_id,
                code_dirs=[work],
                extract_dir=work / "functions",
                log_stream=quiet,
                poll_interval=0,
            )
            gateway.prewarm()
            server = serve(gateway, "127.0.0.1", 0)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            over_http = http_latencies(server.port, token, args.requests)
            alone = {  # in process, microseconds
                "token check": check_latencies(gateway, token, args.requests),
                "web ACL": web_acl_latencies(gateway, args.requests),
                "function-fault check": fault_check_latencies(emulator.url, args.requests),
            }
        fetches = gateway.user_pools.jwks.fetches[pool_id]
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if gateway is not None:
            gateway.close()
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    return _report(args.requests, over_http, alone, fetches)


def _report(
    requests: int,
    over_http: dict[str, list[float]],
    alone: dict[str, list[float]],
    fetches: int,
) -> command.Report:
    open_p50 = percentile(over_http["open"], 0.5)
    signed_p50 = percentile(over_http["signed"], 0.5)
    rows = [
        [
            f"GET /{name} through the gateway (ms)",
            len(values),
            percentile(values, 0.5),
            percentile(values, 0.99),
            ratio(percentile(values, 0.5), open_p50),
        ]
        for name, values in over_http.items()
    ]
    rows += [
        [f"{name} alone, in process (us)", len(values), *_p50_p99(values).values(), None]
        for name, values in alone.items()
    ]
    guarded_p50 = percentile(over_http["open behind the web ACL"], 0.5)
    report = command.Report("gateway_auth")
    report.table(
        f"Token check and web ACL in the local gateway, warm JWKS cache ({describe_machine()})",
        ["what", "n", "p50", "p99", "p50 vs open"],
        rows,
    )
    report.line(
        f"p50 difference signed - open: {signed_p50 - open_p50:.2f} ms; "
        f"behind the web ACL - open: {guarded_p50 - open_p50:.2f} ms; "
        f"JWKS fetches for the whole run: {fetches}"
    )
    report.data = {
        "requests": requests,
        "open_ms": {"p50": open_p50, "p99": percentile(over_http["open"], 0.99)},
        "signed_ms": {"p50": signed_p50, "p99": percentile(over_http["signed"], 0.99)},
        "check_us": _p50_p99(alone["token check"]),
        "guarded_ms": {
            "p50": guarded_p50,
            "p99": percentile(over_http["open behind the web ACL"], 0.99),
        },
        "web_acl_us": _p50_p99(alone["web ACL"]),
        "fault_check_us": _p50_p99(alone["function-fault check"]),
        "jwks_fetches": fetches,
    }
    return report


if __name__ == "__main__":
    main()
