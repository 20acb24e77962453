"""CORS rules (handlers/store/spec/cors.py), including the preflight template as API Gateway runs
it."""

import re

import pytest
from store.spec import cors

from localcloud.gateway import vtl

ALLOWED = ("http://localhost:3000", "https://dev.store.example.com")


def _preflight(headers: dict[str, str]) -> vtl.Rendered:
    return vtl.render(
        cors.preflight_template(ALLOWED),
        context={"requestId": "r"},
        request=vtl.Input({}, {}, headers, ""),
    )


@pytest.mark.parametrize("name", ["Origin", "origin"])
@pytest.mark.parametrize("origin", ALLOWED)
def test_preflight_gives_each_allowed_origin_its_own(name, origin):
    rendered = _preflight({name: origin})
    assert rendered.headers == {"Access-Control-Allow-Origin": origin}
    assert rendered.body == ""


@pytest.mark.parametrize(
    "headers", [{}, {"Origin": "https://evil.example"}, {"Origin": "http://localhost:3000.evil"}]
)
def test_preflight_gives_a_foreign_origin_nothing(headers):
    rendered = _preflight(headers)
    assert rendered.headers == {} and rendered.body == ""


def test_allow_origin():
    assert cors.allow_origin("https://a.example", ["*"]) == "*"
    assert cors.allow_origin(None, ["*"]) == "*"
    assert cors.allow_origin("https://a.example", ["https://a.example"]) == "https://a.example"
    assert cors.allow_origin("https://b.example", ["https://a.example"]) is None
    assert cors.allow_origin(None, ["https://a.example"]) is None


def test_origin_pattern_matches_exactly_the_allowed_origins():
    pattern = re.compile(cors.origin_pattern(ALLOWED))
    assert all(pattern.match(origin) for origin in ALLOWED)
    for foreign in ("http://localhost:30000", "http://localhost:3000.evil", "https://devXstore"):
        assert not pattern.match(foreign), foreign
