"""CORS: what a browser may send and for how long it may trust a preflight. Pure data.

The one source for both places that answer CORS: API Gateway's preflight and its own errors
(``stacks/store/api.py``) and the functions' responses (``store.http.web``), so the two never
disagree.
"""

import re

# Sorted, as Powertools writes them.
ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Api-Key",
)
ALLOW_METHODS = ("GET", "POST", "PATCH", "DELETE", "OPTIONS")
MAX_AGE_SECONDS = 300


def allow_origin(request_origin: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    """The ``Access-Control-Allow-Origin`` for a request: "*" where any origin is allowed, the
    request's own origin when it is allowed, else None (no header: the browser refuses)."""
    if "*" in allowed:
        return "*"
    return request_origin if request_origin in allowed else None


def origin_pattern(allowed: tuple[str, ...] | list[str]) -> str:
    """A regular expression matching exactly the allowed origins (for the firewall's rule)."""
    return "^(" + "|".join(re.escape(origin) for origin in allowed) + ")$"


def preflight_template(allowed: tuple[str, ...] | list[str]) -> str:
    """API Gateway's MOCK preflight response template (Velocity, as API Gateway runs it) that
    gives an allowed origin its own origin back through ``$context.responseOverride`` and a
    foreign origin no Access-Control-Allow-Origin. It renders an empty body."""
    matches = " || ".join(f'$origin == "{origin}"' for origin in allowed)
    return (
        '#set($origin = $input.params().header.get("Origin"))'
        '#if("$!origin" == "")#set($origin = $input.params().header.get("origin"))#end'
        f"#if({matches})"
        "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)"
        "#end"
    )
