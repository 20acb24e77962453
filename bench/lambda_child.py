"""A function's init phase and requests in a fresh interpreter set up as Lambda sets one up, timed
in CPU milliseconds, against a stub DynamoDB in this process that answers at once (for
``bench/handlers_bench.py``).
"""

from __future__ import annotations

import collections
import contextlib
import http.server
import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import HANDLER_ENV, PYTHON, child_env

# What the child runs: the context Powertools reads, the event from the environment, then the
# timed statement and requests. The result is the last line starting with the marker.
_MARKER = "BENCH-RESULT "
_CHILD = """\
import json, os, sys, time

class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis():
        return 30_000

request = json.loads(os.environ.get("BENCH_REQUEST") or "null")
clock = time.process_time
started = clock()
{statement}
result = {{"init_ms": (clock() - started) * 1000}}
if request is not None:
    handler = sys.modules[request["module"]].handler
    samples = []
    for _ in range(1 + request["warm"]):
        started = clock()
        response = handler(request["event"], Context())
        samples.append((clock() - started) * 1000)
        if response["statusCode"] != request["status"]:
            sys.exit(f"answered {{response['statusCode']}}, expected {{request['status']}}: "
                     f"{{response.get('body')}}")
    result["first_request_ms"] = samples[0]
    result["warm_samples_ms"] = samples[1:]
print({marker!r} + json.dumps(result))
"""


# DynamoDB calls the stub has answered, by operation.
STUB_CALLS: collections.Counter = collections.Counter()


class _StubDynamoDB(http.server.BaseHTTPRequestHandler):
    """Answers every DynamoDB call at once as an empty table would; counts them by operation."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoint: one connection per client
    # Headers and body leave in two writes: without this, the body waits for the client's
    # delayed ACK (40 ms a call), which makes the run slow (not its CPU figures).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        """One call: ``{}`` (no item, written), or no responses for BatchGetItem."""
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        STUB_CALLS[operation] += 1
        body = json.dumps({"Responses": {}} if operation == "BatchGetItem" else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: the table is the output."""


@contextlib.contextmanager
def stub_dynamodb() -> Iterator[str]:
    """A stub DynamoDB endpoint on a free local port, served from a thread; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StubDynamoDB)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def lambda_environment(task_root: Path, function: str, endpoint: str) -> dict[str, str]:
    """What Lambda (and the local cloud's worker) sets for a function, plus its variables; the
    functions' AWS calls go to ``endpoint``."""
    env = child_env(**HANDLER_ENV)
    # Tracing is Active in every environment: Powertools' Tracer traces when it runs in Lambda.
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    trace_root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(task_root),
            "PYTHONPATH": str(task_root),
            "PYTHONDONTWRITEBYTECODE": "1",
            "_HANDLER": f"{function}.handler",
            "AWS_LAMBDA_FUNCTION_NAME": f"store-bench-{function}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            # Not sampled: X-Ray builds its segments and sends nothing, as in Lambda.
            "_X_AMZN_TRACE_ID": f"Root={trace_root};Parent={uuid.uuid4().hex[:16]};Sampled=0",
            "AWS_ENDPOINT_URL": endpoint,
        }
    )
    return env


def run_child(statement: str, env: dict[str, str], request: dict | None = None) -> dict[str, Any]:
    """CPU milliseconds of ``statement`` in a fresh interpreter (and of ``request``'s requests)."""
    env = {**env, "BENCH_REQUEST": json.dumps(request) if request else ""}
    script = _CHILD.format(statement=statement, marker=_MARKER)
    done = subprocess.run(
        [PYTHON, "-c", script],
        env=env,
        cwd=env["LAMBDA_TASK_ROOT"],
        capture_output=True,
        text=True,
        check=False,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith(_MARKER)]
    if done.returncode != 0 or not results:
        tail = done.stderr.strip().splitlines()[-1:] or ["no error output"]
        raise RuntimeError(f"`{statement}` failed: {tail[0]}")
    return json.loads(results[-1][len(_MARKER) :])
