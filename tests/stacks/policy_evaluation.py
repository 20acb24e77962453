"""A small evaluator of IAM identity policies, for the unit tests.

Nothing here can ask AWS, and the emulator does not evaluate a policy's Resource or Condition
(moto's access control says so), so the tests ask this instead: is ``action`` on ``resource``
allowed by these documents, with this request context? It knows Allow and Deny (a Deny wins),
``*`` in actions and resources, and the condition operators the project's policies use; any other
operator, or NotAction/NotResource, fails the test rather than being guessed at.

A resource may itself be a pattern (a role's ``network-interface/*``): it is then matched as
written, so it lies within a statement only if every resource it names does.
"""

from __future__ import annotations

import fnmatch

# Operators whose request value(s) must meet the statement's: one of them equal to one of the
# statement's values (ArnEquals compares ARNs as strings, without wildcards).
OPERATORS = frozenset(("StringEquals", "ArnEquals", "ForAnyValue:StringEquals"))
# Negated: the request's single value equals none of the statement's; a key the request lacks
# meets it (IAM: a negated operator matches when the key is absent).
NEGATED = frozenset(("StringNotEquals",))


def as_list(value) -> list:
    """A policy element's value as a list (IAM takes a string or a list)."""
    return [value] if isinstance(value, str) else list(value)


def condition_holds(condition: dict | None, context: dict) -> bool:
    """Whether every key of every operator is met by ``context`` (a missing key is not)."""
    for operator, keys in (condition or {}).items():
        assert operator in OPERATORS | NEGATED, f"the test's evaluator does not know {operator}"
        for key, expected in keys.items():
            actual = context.get(key)
            if operator in NEGATED:
                if actual is not None and set(as_list(actual)) & set(as_list(expected)):
                    return False
                continue
            if actual is None or not set(as_list(actual)) & set(as_list(expected)):
                return False
    return True


def matches(statement: dict, action: str, resource: str, context: dict) -> bool:
    """Whether ``statement`` applies to this request."""
    assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), statement
    return (
        any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["Action"]))
        and any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement["Resource"]))
        and condition_holds(statement.get("Condition"), context)
    )


def allowed(documents: list[dict], action: str, resource: str, context: dict | None = None) -> bool:
    """IAM's answer for one principal's identity policies: some Allow applies and no Deny."""
    applying = [
        s
        for document in documents
        for s in document["Statement"]
        if matches(s, action, resource, context or {})
    ]
    return bool(applying) and all(s["Effect"] == "Allow" for s in applying)
