"""Mapping templates (localcloud/gateway/vtl.py): Velocity with API Gateway's variables."""

import json

import pytest

from localcloud.gateway import vtl


def _render(template, *, headers=None, query=None, path=None, body="", stage=None):
    return vtl.render(
        template,
        context={"requestId": "req-1", "identity": {"sourceIp": "203.0.113.9"}},
        request=vtl.Input(path or {}, query or {}, headers or {}, body),
        stage_variables=stage,
    )


def test_context_input_and_stage_variables():
    rendered = _render(
        '{"id":"$context.requestId","ip":"$context.identity.sourceIp","q":"$input.params(\'q\')",'
        '"h":"$input.params(\'x-token\')","p":"$input.params(\'id\')","name":$input.json(\'$.name\'),'
        '"n":$input.path(\'$.n\'),"s":"$stageVariables.flavour"}',
        headers={"X-Token": "t"},
        query={"q": "search"},
        path={"id": "7"},
        body='{"name": "Ann \\"A\\"", "n": 3}',
        stage={"flavour": "vanilla"},
    )
    assert json.loads(rendered.body) == {
        "id": "req-1",
        "ip": "203.0.113.9",
        "q": "search",
        "h": "t",
        "p": "7",
        "name": 'Ann "A"',
        "n": 3,
        "s": "vanilla",
    }


def test_response_overrides_are_collected():
    rendered = _render(
        "#set($context.responseOverride.status = 418)"
        '#set($context.responseOverride.header.X-Custom-Header = "v")done'
    )
    assert (rendered.body, rendered.status, rendered.headers) == (
        "done",
        418,
        {"X-Custom-Header": "v"},
    )


def test_util_helpers():
    rendered = _render(
        '$util.escapeJavaScript(\'a"b\')|$util.urlEncode("a b&c")|$util.urlDecode("a+b%26c")|'
        '$util.base64Encode("hi")|$util.base64Decode("aGk=")|$util.parseJson(\'{"k": "v"}\').k'
    )
    assert rendered.body == 'a\\"b|a+b%26c|a b&c|aGk=|hi|v'


def test_a_broken_template_is_an_error():
    with pytest.raises(vtl.TemplateError, match="mapping template failed"):
        _render("#if($x")


def test_substitution_leaves_directives_and_replaces_known_variables():
    text = "$context.a.b|${context.a.b}|$stageVariables.s|$context.unknown|#if(1)x#end|$other"
    assert vtl.substitute(text, {"context.a.b": "1", "stageVariables.s": "2"}) == (
        "1|1|2||#if(1)x#end|$other"
    )
