"""End to end: the README's main command on the project's own ``ecommerce-local`` stack.

``python -m localcloud`` starts the emulator, runs the real ``cdktf deploy``, serves the API;
the contract's basic calls answer through the gateway; ``terraform plan -detailed-exitcode``
right after the deploy finds no drift; ``--down`` destroys, stops and removes everything.
Slow (minutes): selected with ``-m localcloud``, and run by CI.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from localcloud import PROJECT_ROOT
from localcloud.runner import process_alive
from stacks.config import load as load_config

pytestmark = pytest.mark.localcloud

WORK = PROJECT_ROOT / ".localcloud"


def _exports(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = shlex.split(value)[0]
    return values


def _timed(method: str, url: str, **kwargs):
    started = time.monotonic()
    response = requests.request(method, url, timeout=60, **kwargs)
    return response, round((time.monotonic() - started) * 1000, 1)


def test_up_serve_plan_down(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    started = time.monotonic()
    log_path = tmp_path / "localcloud.log"
    log = open(log_path, "w")  # noqa: SIM115 - the runner writes here until it exits
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    measurements: dict[str, object] = {}
    try:
        waited = subprocess.run(
            [sys.executable, "-m", "localcloud", "--wait", "--timeout", "900"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=960,
            check=False,
        )
        if waited.returncode != 0:
            process.terminate()
            process.wait(300)
            pytest.fail(f"{waited.stderr.strip()}\n{log_path.read_text()[-6000:]}")
        measurements["first_answer_s"] = round(time.monotonic() - started, 1)
        ready = json.loads((WORK / "ready.json").read_text())
        measurements.update(ready["timings"])
        base = ready["apiUrl"]
        assert base == waited.stdout.strip()

        flat = json.loads(Path(ready["flatOutputsFile"]).read_text())
        all_outputs = json.loads(Path(ready["outputsFile"]).read_text())
        assert all_outputs["ecommerce-local"] == flat
        assert flat["ApiGatewayStageName"] == ready["stage"] == "local"
        for key in ("ApiGatewayId", "ApiGatewayUrl", "ProductsLambdaName", "Region", "VpcId"):
            assert flat.get(key), key

        created, measurements["cold_post_products_ms"] = _timed(
            "POST",
            base + "products",
            json={"name": "Local widget", "price": 12.5, "category": "tools", "stock": 3},
        )
        assert created.status_code == 201, created.text
        product = created.json()
        assert created.headers.get("Vary") == "Origin"
        fetched, measurements["warm_get_product_ms"] = _timed(
            "GET", base + f"products/{product['productId']}"
        )
        assert fetched.status_code == 200
        assert fetched.json()["productId"] == product["productId"]
        warm = [_timed("GET", base + f"products/{product['productId']}")[1] for _ in range(20)]
        measurements["warm_get_product_median_ms"] = sorted(warm)[len(warm) // 2]

        # An origin the local configuration allows (whatever ECOMMERCE_LOCAL_CORS_ORIGINS says).
        origin = {"Origin": load_config("local", dict(os.environ)).cors_allowed_origins[0]}
        if origin["Origin"] == "*":
            origin["Origin"] = "http://localhost:3000"
        preflight = requests.options(base + "products", headers=origin, timeout=30)
        assert preflight.status_code in (200, 204)
        assert preflight.headers.get("Access-Control-Allow-Origin") in ("*", origin["Origin"])
        unknown = requests.get(base + "no-such-route", headers=origin, timeout=30)
        assert unknown.status_code == 403
        assert unknown.json() == {"message": "Missing Authentication Token"}
        assert unknown.headers.get("Access-Control-Allow-Origin") in ("*", origin["Origin"])
        invalid = requests.post(
            base + "products",
            data="{not json",
            timeout=30,
            headers={"Content-Type": "application/json"},
        )
        assert invalid.status_code == 400

        plan_env = {**env, **_exports(Path(ready["envFile"]))}
        plan_started = time.monotonic()
        plan = subprocess.run(
            ["terraform", "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false"],
            cwd=ready["terraformDir"],
            env=plan_env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        measurements["plan_s"] = round(time.monotonic() - plan_started, 1)
        measurements["plan_exit"] = plan.returncode
        drift = [
            line for line in plan.stdout.splitlines() if line.strip().startswith(("~", "+", "-"))
        ]
        assert plan.returncode == 0, "\n".join(drift[:40]) + plan.stderr[-2000:]

        run = json.loads((WORK / "run.json").read_text())
        emulator_pid = run["emulatorPid"]
        port = int(base.split(":")[2].split("/")[0])
        down_started = time.monotonic()
        downed = subprocess.run(
            [sys.executable, "-m", "localcloud", "--down"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        measurements["down_s"] = round(time.monotonic() - down_started, 1)
        assert downed.returncode == 0, downed.stderr
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(300)
        log.close()
        print(json.dumps({"localcloud_measurements": measurements}))
    output = log_path.read_text()
    assert "Traceback" not in output
    assert not process_alive(emulator_pid)
    for leftover in ("state", "ready.json", "run.json", "env", "functions"):
        assert not (WORK / leftover).exists(), leftover
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the gateway's port is free again
