"""What the functions do at import (Lambda's init phase), in a fresh interpreter set up as Lambda
sets one up, with tracing active: no AWS client is made until a request needs one, the orders
function's idempotency layer shares the DynamoDB client, X-Ray patches botocore alone, and the
client made on first use goes to the environment's endpoint.

bench/handlers_bench.py measures what this saves; these tests keep it from coming back.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import HANDLERS

ENDPOINT = "http://127.0.0.1:4566"
# Counts every botocore client made (boto3's too), imports the three functions, then does what
# their first requests do: the DynamoDB client, then the orders function's idempotency layer.
_CHILD = """
import json, sys
import botocore.session

made = []
create_client = botocore.session.Session.create_client

def counting(self, service_name, *args, **kwargs):
    made.append(service_name)
    return create_client(self, service_name, *args, **kwargs)

botocore.session.Session.create_client = counting
import orders, products, users
from aws_xray_sdk.core import patcher
from store.data import dynamo
from store.runtime.observability import tracer

facts = {"tracing": not tracer.disabled, "at_import": list(made)}
facts["patched"] = sorted(patcher._PATCHED_MODULES)
facts["endpoint"] = dynamo.client().meta.endpoint_url
orders._idempotent()
facts["after_first_requests"] = list(made)
print(json.dumps(facts))
"""


@pytest.fixture(name="facts", scope="module")
def facts_fixture():
    """What a fresh interpreter set up as Lambda observed (one interpreter for all the tests)."""
    env = {key: value for key, value in os.environ.items() if key != "POWERTOOLS_TRACE_DISABLED"}
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(HANDLERS),
            "AWS_LAMBDA_FUNCTION_NAME": "store-test",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_ENDPOINT_URL": ENDPOINT,
            "PYTHONPATH": str(HANDLERS),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        cwd=HANDLERS,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tracing_is_active_as_in_lambda(facts):
    assert facts["tracing"] is True


def test_importing_the_functions_makes_no_aws_client(facts):
    assert facts["at_import"] == []


def test_x_ray_patches_botocore_alone(facts):
    assert facts["patched"] == ["botocore"]


def test_the_client_made_on_first_use_goes_to_the_environments_endpoint(facts):
    assert facts["endpoint"] == ENDPOINT


def test_the_idempotency_layer_shares_the_dynamodb_client(facts):
    assert facts["after_first_requests"] == ["dynamodb"]
