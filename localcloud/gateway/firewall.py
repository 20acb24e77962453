"""The web ACL on a stage, evaluated as AWS WAF evaluates it, before API Gateway's own checks.

The gateway reads each stage's web ACL back from the emulator (moto stores it as deployed: rules,
overrides, custom responses and bodies, the association's body inspection limit) and runs its
rules in priority order. A rule that blocks ends the evaluation with its custom response (or, with
none, API Gateway's ``WAF_FILTERED`` response); a rule that counts adds its labels and goes on;
the web ACL's default action applies when no rule ended it.

What runs exactly as AWS documents it: the project's own rules (AND, OR, NOT, size constraints
and regular expressions on a header, the body, the query string, the URI path or the method,
with the NONE and LOWERCASE text transformations; the rate-based rule per address over its
evaluation window; label matches) and, of AWS's managed rule groups, the rules whose behaviour
AWS documents precisely (``DOCUMENTED_RULES``: the common rule set's size restrictions and
missing User-Agent, the known bad inputs' PROPFIND), with the stack's rule action overrides.
Everything else of a managed group (reputation lists, the XSS and SQL injection engines) is
not evaluated here; ``WebAcl.problems`` names each kind of statement that is not.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from localcloud.gateway.proxy import IncomingRequest

SIZE_LIMITS = {"KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}
DEFAULT_BODY_LIMIT = "KB_16"  # API Gateway's, unless the web ACL's association config says more
CONTENT_TYPES = {
    "APPLICATION_JSON": "application/json",
    "TEXT_PLAIN": "text/plain",
    "TEXT_HTML": "text/html",
}
COMPARE = {
    "EQ": lambda a, b: a == b,
    "NE": lambda a, b: a != b,
    "LE": lambda a, b: a <= b,
    "LT": lambda a, b: a < b,
    "GE": lambda a, b: a >= b,
    "GT": lambda a, b: a > b,
}


def _query_string(request: IncomingRequest) -> str:
    return request.query_string or urlencode(request.query_pairs)


def _uri_path(request: IncomingRequest) -> str:
    return f"/{request.stage}{request.path}"


# AWS's managed rules whose matching AWS documents exactly, in each group's order: (rule, label,
# whether a request matches). Their default action is Block.
DOCUMENTED_RULES: dict[str, tuple[tuple[str, str, Callable[[IncomingRequest], bool]], ...]] = {
    "AWSManagedRulesCommonRuleSet": (
        (
            "NoUserAgent_HEADER",
            "awswaf:managed:aws:core-rule-set:NoUserAgent_Header",
            lambda r: not r.header("User-Agent"),
        ),
        (
            "SizeRestrictions_QUERYSTRING",
            "awswaf:managed:aws:core-rule-set:SizeRestrictions_QueryString",
            lambda r: len(_query_string(r).encode()) > 2048,
        ),
        (
            "SizeRestrictions_Cookie_HEADER",
            "awswaf:managed:aws:core-rule-set:SizeRestrictions_Cookie_Header",
            lambda r: len((r.header("Cookie") or "").encode()) > 10240,
        ),
        (
            "SizeRestrictions_BODY",
            "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
            lambda r: len(r.body) > 8192,
        ),
        (
            "SizeRestrictions_URIPATH",
            "awswaf:managed:aws:core-rule-set:SizeRestrictions_URIPath",
            lambda r: len(_uri_path(r).encode()) > 1024,
        ),
    ),
    "AWSManagedRulesKnownBadInputsRuleSet": (
        (
            "PROPFIND_METHOD",
            "awswaf:managed:aws:known-bad-inputs:PROPFIND_Method",
            lambda r: r.method.upper() == "PROPFIND",
        ),
    ),
}


class NotEvaluated(Exception):
    """A statement the local cloud does not evaluate (it never matches here)."""


class RateWindows:  # pylint: disable=too-few-public-methods  # one verb: count
    """Requests counted per key over a sliding window, with an injectable clock (seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._seen: dict[tuple, deque] = {}
        self._lock = threading.Lock()

    def count(self, key: tuple, window: float) -> int:
        """Count one request for ``key``: how many there were in the last ``window`` seconds."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            seen.append(now)
            while seen and seen[0] <= now - window:
                seen.popleft()
            return len(seen)


@dataclass
class Verdict:
    """What the web ACL did with a request: ``blocked_by`` (None: allowed), the labels it added,
    and the block's answer (status, headers, body; None: API Gateway's WAF_FILTERED)."""

    blocked_by: dict | None = None
    labels: list[str] = field(default_factory=list)
    answer: tuple[int, list[tuple[str, str]], bytes] | None = None

    def log(self) -> dict:
        """The request log's ``waf`` entry, as WAF's logs and sampled requests name the rule."""
        entry: dict = {"action": "BLOCK" if self.blocked_by else "ALLOW"}
        if self.blocked_by:
            entry.update(self.blocked_by)
        if self.labels:
            entry["labels"] = self.labels
        return entry


class _Blocked(Exception):
    def __init__(self, action: dict, rule_in_group: str | None = None):
        super().__init__(rule_in_group)
        self.action = action
        self.rule_in_group = rule_in_group


class WebAcl:  # pylint: disable=too-few-public-methods  # one verb: evaluate
    """One deployed web ACL (the GetWebACL ``WebACL`` document), evaluated per request."""

    def __init__(self, acl: dict, rates: RateWindows):
        self.acl = acl
        self.rates = rates
        self.rules = sorted(acl.get("Rules") or [], key=lambda r: r.get("Priority", 0))
        limits = ((acl.get("AssociationConfig") or {}).get("RequestBody") or {}).get(
            "API_GATEWAY"
        ) or {}
        self.body_limit = SIZE_LIMITS[limits.get("DefaultSizeInspectionLimit", DEFAULT_BODY_LIMIT)]
        self.problems: list[str] = []
        for rule in self.rules:
            statement = rule.get("Statement") or {}
            if "ManagedRuleGroupStatement" not in statement:
                unsupported = _unsupported(statement)
                if unsupported:
                    self._problem(
                        f"Rule {rule['Name']} of web ACL {acl.get('Name')}: {unsupported} is not "
                        "evaluated by the local cloud (the rule never matches there)."
                    )

    def evaluate(self, request: IncomingRequest) -> Verdict:
        """Run the rules in priority order on ``request``."""
        verdict = Verdict()
        for rule in self.rules:
            try:
                self._rule(rule, request, verdict.labels)
            except _Blocked as blocked:
                verdict.blocked_by = {"terminatingRuleId": rule["Name"]}
                if blocked.rule_in_group:
                    verdict.blocked_by["ruleNameWithinRuleGroup"] = blocked.rule_in_group
                verdict.answer = self._answer(blocked.action["Block"])
                return verdict
        default = self.acl.get("DefaultAction") or {"Allow": {}}
        if "Block" in default:
            verdict.blocked_by = {"terminatingRuleId": "Default_Action"}
            verdict.answer = self._answer(default["Block"])
        return verdict

    def _rule(self, rule: dict, request: IncomingRequest, labels: list[str]) -> None:
        statement = rule.get("Statement") or {}
        if "ManagedRuleGroupStatement" in statement:
            self._managed(rule, statement["ManagedRuleGroupStatement"], request, labels)
            return
        try:
            matched = self._matches(statement, request, labels, rule["Name"])
        except NotEvaluated:  # named in ``problems`` when the web ACL was read
            return
        if not matched:
            return
        labels.extend(label["Name"] for label in rule.get("RuleLabels") or [])
        action = rule.get("Action") or {}
        if "Block" in action:
            raise _Blocked(action)

    def _managed(self, rule: dict, group: dict, request: IncomingRequest, labels: list[str]):
        """A managed rule group: its documented rules, each with its override (or Block)."""
        name = group.get("Name", "")
        if name not in DOCUMENTED_RULES:
            return  # reputation lists, detection engines: a row of the differences table
        overrides = {o["Name"]: o["ActionToUse"] for o in group.get("RuleActionOverrides") or []}
        group_counts = "Count" in (rule.get("OverrideAction") or {})
        for rule_name, label, matches in DOCUMENTED_RULES[name]:
            if not matches(request):
                continue
            labels.append(label)
            action = overrides.get(rule_name, {"Block": {}})
            if "Block" in action and not group_counts:
                raise _Blocked(action, rule_name)

    def _matches(self, statement: dict, request: IncomingRequest, labels: list[str], rule: str):
        kind, body = next(iter(statement.items()))
        if kind in ("AndStatement", "OrStatement"):
            combine = all if kind == "AndStatement" else any
            return combine(self._matches(s, request, labels, rule) for s in body["Statements"])
        if kind == "NotStatement":
            return not self._matches(body["Statement"], request, labels, rule)
        if kind == "LabelMatchStatement":
            return _has_label(body, labels)
        if kind == "RateBasedStatement":
            return self._over_rate(body, request, rule)
        if kind in ("SizeConstraintStatement", "RegexMatchStatement"):
            return self._field_matches(kind, body, request)
        raise NotEvaluated(kind)

    def _over_rate(self, body: dict, request: IncomingRequest, rule: str) -> bool:
        if body.get("AggregateKeyType", "IP") != "IP" or body.get("ScopeDownStatement"):
            raise NotEvaluated("a rate-based statement other than per address")
        window = float(body.get("EvaluationWindowSec", 300))
        key = (self.acl.get("ARN"), rule, request.source_ip)
        return self.rates.count(key, window) > int(body["Limit"])

    def _field_matches(self, kind: str, body: dict, request: IncomingRequest) -> bool:
        value, oversize = self._field(body["FieldToMatch"], request)
        if oversize is not None:
            return oversize
        value = _transform(value, body.get("TextTransformations") or [])
        if kind == "SizeConstraintStatement":
            return COMPARE[body["ComparisonOperator"]](len(value), int(body["Size"]))
        return re.search(body["RegexString"], value.decode("utf-8", "replace")) is not None

    def _field(self, field_to_match: dict, request: IncomingRequest) -> tuple[bytes, bool | None]:
        """The bytes a statement inspects, and the oversize verdict (None: inspect them)."""
        kind, options = next(iter(field_to_match.items()))
        if kind == "SingleHeader":
            return (request.header(options["Name"]) or "").encode(), None
        if kind == "Body":
            if len(request.body) > self.body_limit:
                handling = options.get("OversizeHandling", "CONTINUE")
                if handling != "CONTINUE":
                    return b"", handling == "MATCH"
            return request.body[: self.body_limit], None
        if kind == "QueryString":
            return _query_string(request).encode(), None
        if kind == "UriPath":
            return _uri_path(request).encode(), None
        if kind == "Method":
            return request.method.encode(), None
        raise NotEvaluated(f"inspecting {kind}")

    def _answer(self, block: dict) -> tuple[int, list[tuple[str, str]], bytes] | None:
        custom = block.get("CustomResponse")
        if not custom:
            return None
        headers = [(h["Name"], h["Value"]) for h in custom.get("ResponseHeaders") or []]
        body = b""
        key = custom.get("CustomResponseBodyKey")
        if key:
            stored = (self.acl.get("CustomResponseBodies") or {})[key]
            headers.insert(0, ("Content-Type", CONTENT_TYPES[stored["ContentType"]]))
            body = stored["Content"].encode()
        return int(custom["ResponseCode"]), headers, body

    def _problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)


def _has_label(statement: dict, labels: list[str]) -> bool:
    """A label match: a namespace's prefix, or a label whole or without its namespaces."""
    key = statement["Key"]
    if statement.get("Scope") == "NAMESPACE":
        return any(label.startswith(key) for label in labels)
    return any(label == key or label.endswith(f":{key}") for label in labels)


def _transform(value: bytes, transformations: list[dict]) -> bytes:
    for transformation in sorted(transformations, key=lambda t: t.get("Priority", 0)):
        kind = transformation.get("Type", "NONE")
        if kind == "LOWERCASE":
            value = value.lower()
        elif kind != "NONE":
            raise NotEvaluated(f"the {kind} text transformation")
    return value


STATEMENTS = {
    "AndStatement",
    "OrStatement",
    "NotStatement",
    "LabelMatchStatement",
    "RateBasedStatement",
    "SizeConstraintStatement",
    "RegexMatchStatement",
}
FIELDS = {"SingleHeader", "Body", "QueryString", "UriPath", "Method"}


def _unsupported(statement: dict) -> str | None:
    """What of ``statement`` the gateway does not evaluate (None: all of it)."""
    kind, body = next(iter(statement.items()))
    if kind not in STATEMENTS:
        return f"a {kind}"
    nested = body.get("Statements") or ([body["Statement"]] if "Statement" in body else [])
    found = [_unsupported(s) for s in nested]
    if kind == "RateBasedStatement" and (
        body.get("AggregateKeyType", "IP") != "IP" or body.get("ScopeDownStatement")
    ):
        found.append("a rate-based statement other than per address")
    if "FieldToMatch" in body:
        field_kind = next(iter(body["FieldToMatch"]))
        if field_kind not in FIELDS:
            found.append(f"inspecting {field_kind}")
    for transformation in body.get("TextTransformations") or []:
        if transformation.get("Type") not in ("NONE", "LOWERCASE"):
            found.append(f"the {transformation.get('Type')} text transformation")
    return next((f for f in found if f), None)
