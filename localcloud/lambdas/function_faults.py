"""Faults of the functions themselves, injected on purpose: before each invocation the gateway
asks the emulator whether a ``lambda:FUNCTION_NAME`` rule fires (``localcloud.emulator.faults``),
and hands the fault to the worker, where it strikes (``worker_main.py``): ``crash`` kills the worker
(API Gateway's 502), ``hang`` holds the handler past its timeout (504, the worker replaced).

The rules live in the emulator with the AWS faults, so ``faults list`` counts their hits and
``faults clear`` drops them; asking costs one local HTTP call per invocation."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from localcloud.emulator.faults import INVOCATIONS

ASK_TIMEOUT_S = 2.0
"""An emulator that does not answer this fast injects nothing (the invocation goes on)."""


def function_fault(endpoint_url: str, function_name: str) -> dict | None:
    """The rule (as the emulator lists it) that fires for this invocation, or None."""
    request = urllib.request.Request(
        endpoint_url.rstrip("/") + INVOCATIONS,
        data=json.dumps({"function": function_name}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=ASK_TIMEOUT_S) as response:
            return json.loads(response.read()).get("rule")
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return None
