"""The gateway's log: one JSON line per request (``requestId``, ``method``, ``path``, ``status``,
``latencyMs`` and what the answer says: ``resource``, ``integration``, ``function``, ``start``,
``initMs``, ``durationMs``, ``queuedMs``, ``error``, ``authError``, ``waf``, ``fault``: the
rule that injected a function fault) and per event of
what it serves (``reloaded``, ``reload-failed``, ``prewarm-failed``)."""

from __future__ import annotations

from localcloud.base.output import JsonLines

GatewayLog = JsonLines
"""The gateway's lines are the process's JSON lines (``localcloud.base.output``)."""
