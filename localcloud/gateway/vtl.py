"""Mapping templates as API Gateway runs them: Velocity (VTL) for integration request and
response templates, and plain variable substitution for gateway responses.

VTL is evaluated by airspeed-ext (the Velocity engine localstack maintains for parity with AWS:
Velocity 1.7 identifiers such as ``Access-Control-Allow-Origin`` included), with the variables
API Gateway defines: ``$context`` (including ``$context.responseOverride.status`` and
``.header.<name>``), ``$input``, ``$util`` and ``$stageVariables``. A gateway response template
is not run by VTL on AWS (only simple variable substitution), so it is not run by VTL here.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import airspeed


class TemplateError(Exception):
    """The template does not parse or fails to render (API Gateway answers 500)."""


@dataclass
class Rendered:
    """A rendered template and the overrides it set."""

    body: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Input:
    """``$input``: the request's parameters and body."""

    def __init__(self, path: dict, query: dict, headers: dict, body: str):
        self._params = {"path": dict(path), "querystring": dict(query), "header": dict(headers)}
        self.body = body

    def params(self, name: str | None = None) -> Any:
        """``$input.params()``: every parameter by location; ``$input.params(x)``: path, then
        query string, then header (header names without regard to case)."""
        if name is None:
            return self._params
        for location in ("path", "querystring"):
            if name in self._params[location]:
                return self._params[location][name]
        lowered = {k.lower(): v for k, v in self._params["header"].items()}
        return lowered.get(name.lower(), "")

    def path(self, expression: str) -> Any:
        """``$input.path(x)``: a JSONPath ($, $.a.b) into the body, as an object."""
        value: Any = json.loads(self.body or "{}")
        for part in [p for p in expression.removeprefix("$").split(".") if p]:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def json(self, expression: str) -> str:
        """``$input.json(x)``: the same, as JSON text."""
        return json.dumps(self.path(expression))


class Util:  # pylint: disable=invalid-name  # the VTL names
    """``$util``: the helpers API Gateway provides."""

    @staticmethod
    def escapeJavaScript(text: str) -> str:
        """Escape for a JavaScript (JSON) string."""
        return json.dumps(str(text))[1:-1].replace("'", "\\'")

    @staticmethod
    def parseJson(text: str) -> Any:
        """Parse JSON text."""
        return json.loads(text)

    @staticmethod
    def urlEncode(text: str) -> str:
        """application/x-www-form-urlencoded encoding."""
        return urllib.parse.quote_plus(str(text))

    @staticmethod
    def urlDecode(text: str) -> str:
        """Its inverse."""
        return urllib.parse.unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: str) -> str:
        """Base64 of the UTF-8 text."""
        return base64.b64encode(str(text).encode()).decode()

    @staticmethod
    def base64Decode(text: str) -> str:
        """Its inverse."""
        return base64.b64decode(str(text)).decode()


def render(
    template: str,
    *,
    context: dict[str, Any],
    request: Input,
    stage_variables: dict[str, str] | None = None,
) -> Rendered:
    """Run a mapping template; collect what it set in ``$context.responseOverride``."""
    override: dict[str, Any] = {"status": None, "header": {}}
    namespace = {
        "context": {**context, "responseOverride": override},
        "input": request,
        "util": Util(),
        "stageVariables": dict(stage_variables or {}),
    }
    try:
        body = airspeed.Template(template).merge(namespace)
    except Exception as exc:  # airspeed raises several types; all mean a broken template
        raise TemplateError(f"mapping template failed: {exc}") from exc
    status = override["status"]
    headers = {str(k): str(v) for k, v in override["header"].items() if v is not None}
    return Rendered(body, int(status) if status not in (None, "") else None, headers)


_VARIABLE = re.compile(r"\$(?:\{(?P<braced>(?:context|stageVariables)(?:\.[\w-]+)+)\}|"
                       r"(?P<bare>(?:context|stageVariables)(?:\.[A-Za-z_][\w]*)+))")  # fmt: skip


def substitute(template: str, variables: dict[str, str]) -> str:
    """A gateway response template: each ``$context.x`` / ``$stageVariables.x`` (or ``${...}``)
    replaced by its value, unknown ones by nothing; everything else, ``#if`` included, stays."""

    def value(match: re.Match) -> str:
        return variables.get(match.group("braced") or match.group("bare"), "")

    return _VARIABLE.sub(value, template)
