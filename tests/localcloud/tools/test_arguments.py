"""Wrong command lines of ``python -m localcloud`` (every command) and of the local cloud's other
entry points: each refused with argparse's usage and one line naming the argument, exit 2,
nothing started, nothing left (``tests/arguments.py`` generates them and checks each run).

A new command or flag is one row (or one ``Option``) of ``tools``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from hypothesis import strategies as st

from localcloud.base import arguments
from localcloud.tools import cli, soak
from tests.arguments import (
    Option,
    Positional,
    Tool,
    bad_count,
    bad_dir,
    bad_dir_to_write,
    bad_email,
    bad_file_to_write,
    bad_host,
    bad_port,
    bad_region,
    bad_seconds,
    bad_url,
    check_refusals,
    heavy_after_refusal,
    prepare_sandbox,
    spare_port,
)

BAD_STACK = st.sampled_from(["", "ecommerce-nowhere", "ecommerce local", "../x", "ECOMMERCE-LOCAL"])
EMAIL = Positional(good=st.just("ann@example.com"), bad=bad_email)
FAULT_TARGET = Positional(
    good=st.just("dynamodb:GetItem"),
    bad=st.sampled_from(
        ["", "dynamodb", ":", "nope:GetItem", "dynamodb:Nope", "lambda:a/b", "lambda:"]
    ),
)
BAD_FAULT_ERROR = st.sampled_from(["", "NoSuchKey", "Throttling", "ÿ", "TransactionConflict"])
"""Never an error of dynamodb:GetItem (a transaction conflict is TransactWriteItems' own)."""
BAD_FAULT_CALL = st.sampled_from(
    ["", "dynamodb", ":", "nope:GetItem", "dynamodb:Nope", "cognito-idp:JWKS", "dynamodb:getitem"]
)
"""Never an AWS call a handler can make."""
BAD_SHARE = st.sampled_from(["-0.1", "1.5", "nan", "inf", "", "x", "½"])
BAD_LATENCY = st.sampled_from(["", "x", "-5ms", "1h", "61s", "ms", "1e3ms"])
BAD_WITHOUT = st.sampled_from(["", "TagResource", "lambda:*", "lambda:Tag Resource", "lambda:X@"])
DURATION = Positional(
    good=st.sampled_from(["90m", "2d", "1h30m"]),
    bad=st.sampled_from(["", "90", "m", "-5m", "0m", "3651d", "1y", "5 minutes", "½h"]),
)


def tools(sandbox) -> dict[str, Tool]:
    """Every command, by name: its flags and the values each must refuse."""
    project = Option("--project-dir", st.just(str(sandbox)), bad_dir(sandbox))
    ready = Option("--ready-file", st.just(str(sandbox / "ready.json")), bad_file_to_write(sandbox))
    timeout = Option("--timeout", st.sampled_from(["1", "0.5", "900"]), bad_seconds)
    region = Option("--region", st.sampled_from(["us-east-1", "eu-west-1"]), bad_region)
    host = Option("--host", st.sampled_from(["127.0.0.1", "localhost"]), bad_host)
    port = Option("--port", st.sampled_from(["0", spare_port()]), bad_port)
    emulator_port = Option("--emulator-port", st.sampled_from(["0", spare_port()]), bad_port)
    switches = tuple(
        Option(flag)
        for flag in ("--prewarm", "--destroy", "--watch", "--quiet", "--verbose", "--cold")
    )
    up_options = (
        project,
        Option("--stack", st.just("ecommerce-local"), BAD_STACK),
        host,
        port,
        emulator_port,
        region,
        ready,
        timeout,
        *switches,
    )
    localcloud = ("-m", "localcloud")
    rows = (
        Tool("up", localcloud, up_options, project_dir=True, examples=30),
        Tool(
            "--down",
            localcloud,
            (project, timeout, Option("--forget")),
            base=("--down",),
            project_dir=True,
        ),
        Tool("--wait", localcloud, (project, timeout, ready), base=("--wait",), project_dir=True),
        Tool(
            "user add",
            localcloud,
            (project, ready, Option("--admin")),
            (EMAIL,),
            base=("user", "add"),
            project_dir=True,
        ),
        Tool("token", localcloud, (project, ready), (EMAIL,), base=("token",), project_dir=True),
        Tool(
            "faults add",
            localcloud,
            (
                project,
                ready,
                Option("--error", st.sampled_from(["ThrottlingException"]), BAD_FAULT_ERROR),
                Option("--rate", st.sampled_from(["0", "0.2", "1"]), BAD_SHARE),
                Option("--count", st.sampled_from(["1", "3"]), bad_count),
                Option("--latency", st.sampled_from(["300ms", "1.5s"]), BAD_LATENCY),
                Option("--crash"),
                Option("--hang"),
                Option("--at", st.just("dynamodb:TransactWriteItems"), BAD_FAULT_CALL),
            ),
            (FAULT_TARGET,),
            base=("faults", "add"),
            project_dir=True,
        ),
        Tool(
            "faults list",
            localcloud,
            (project, ready, Option("--json")),
            base=("faults", "list"),
            project_dir=True,
        ),
        Tool(
            "faults clear", localcloud, (project, ready), base=("faults", "clear"), project_dir=True
        ),
        Tool("clock", localcloud, (project, ready), base=("clock",), project_dir=True),
        Tool(
            "clock advance",
            localcloud,
            (project, ready),
            (DURATION,),
            base=("clock", "advance"),
            project_dir=True,
        ),
        Tool(
            "mail",
            localcloud,
            (
                project,
                ready,
                Option("--to", st.just("ann@example.com"), bad_email),
                Option("--json"),
            ),
            base=("mail",),
            project_dir=True,
        ),
        Tool(
            "rehearse",
            localcloud,
            (
                Option("--json"),
                Option(
                    "--without",
                    st.sampled_from(["lambda:TagResource", "sqs:SendMessage@it-tap"]),
                    BAD_WITHOUT,
                ),
                Option(
                    "--work-dir", st.just(str(sandbox / "rehearsal")), bad_dir_to_write(sandbox)
                ),
            ),
            base=("rehearse",),
        ),
        Tool(
            "soak",
            ("-m", "localcloud.tools.soak"),
            (
                project,
                Option("--logs", st.just(str(sandbox / "logs")), bad_dir_to_write(sandbox)),
                Option("--json", st.just(str(sandbox / "soak.json")), bad_file_to_write(sandbox)),
                region,
                emulator_port,
                *switches[1:],
            ),
            (Positional(good=st.sampled_from(["1", "2"]), bad=bad_count),),
            project_dir=True,
            examples=15,
        ),
        Tool(
            "gateway",
            ("-m", "localcloud.gateway"),
            (
                Option("--endpoint-url", st.just("http://127.0.0.1:5000"), bad_url),
                region,
                Option("--api-id", st.just("abc123")),
                host,
                port,
                Option("--code-dir", st.just(str(sandbox)), bad_dir(sandbox)),
                Option("--concurrency-cap", st.sampled_from(["1", "8"]), bad_count),
                switches[0],
            ),
        ),
        Tool(
            "docs",
            ("-m", "localcloud.tools.api_docs"),
            (
                Option(
                    "--api-url",
                    st.just("https://abc.execute-api.us-east-1.amazonaws.com/dev"),
                    bad_url,
                ),
                host,
                port,
            ),
        ),
        Tool(
            "synth",
            ("-m", "localcloud.deploy.synth"),
            (project, Option("--stack", st.just("ecommerce-local"), BAD_STACK)),
            base=("--record",),
            project_dir=True,
        ),
        Tool(
            "moto_server",
            ("-m", "localcloud.emulator.moto_server"),
            (
                Option("--host", st.just("127.0.0.1"), bad_host),
                Option("--port", st.sampled_from(["0", spare_port()]), bad_port),
                Option("--warm", st.just("us-east-1")),
            ),
        ),
    )
    return {row.name: row for row in rows}


NAMES = tuple(tools(Path("/")))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """An empty project folder each run's --project-dir and working directory."""
    folder = tmp_path_factory.mktemp("sandbox")
    prepare_sandbox(folder)
    return folder


@pytest.mark.parametrize("name", NAMES)
def test_wrong_arguments_are_refused(name, sandbox):
    check_refusals(tools(sandbox)[name], sandbox)


@pytest.mark.parametrize(
    ("check", "text", "value"),
    [
        (arguments.port, "0", 0),
        (arguments.port, "65535", 65535),
        (arguments.count, "1", 1),
        (arguments.count, "1000000", 1_000_000),
        (arguments.seconds, "0.5", 0.5),
        (arguments.seconds, "900", 900.0),
        (arguments.share, "0", 0.0),
        (arguments.share, "1", 1.0),
        (arguments.region, "eu-west-1", "eu-west-1"),
        (arguments.host, "127.0.0.1", "127.0.0.1"),
        (arguments.host, "localhost", "localhost"),
        (arguments.http_url, "http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        (arguments.email, "ann.lee+shop@example.co.uk", "ann.lee+shop@example.co.uk"),
        (arguments.stack, "ecommerce-local", "ecommerce-local"),
        (arguments.stack, "ecommerce-bootstrap", "ecommerce-bootstrap"),
        (arguments.commit, "HEAD", "HEAD"),
    ],
)
def test_each_type_takes_what_it_documents(check, text, value):
    assert check(text) == value


def test_path_types_take_what_exists_or_can_be_written(tmp_path):
    assert arguments.existing_dir(str(tmp_path)) == tmp_path
    assert arguments.file_to_write(str(tmp_path / "out.json")) == tmp_path / "out.json"
    assert arguments.dir_to_write(str(tmp_path)) == tmp_path
    deeper = tmp_path / "new" / "logs"
    assert arguments.dir_to_write(str(deeper)) == deeper
    assert not (tmp_path / "new").exists()  # a check creates nothing


@pytest.mark.parametrize(
    ("check", "text", "says"),
    [
        (arguments.port, "-1", "must be a port from 1 to 65535, or 0 for a free one (got '-1')"),
        (arguments.region, "xx-nowhere-9", "must be a region the stacks know (REGION_ZONE_IDS"),
        (arguments.seconds, "nan", "must be a number of seconds above 0 (got 'nan')"),
        (arguments.share, "1.5", "must be a number from 0 to 1 (got '1.5')"),
        (arguments.count, "9" * 5000, "must be a whole number from 1 to 1,000,000 (got '999"),
    ],
)
def test_each_type_says_what_it_accepts(check, text, says):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        check(text)
    assert str(refused.value).startswith(says)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 400


def test_a_start_takes_its_documented_options(tmp_path):
    args = cli.parse_args(
        [
            *("--project-dir", str(tmp_path), "--port", "0", "--emulator-port", "4566"),
            *("--region", "eu-west-1", "--timeout", "30", "--ready-file", str(tmp_path / "r.json")),
        ]
    )
    assert (args.port, args.emulator_port, args.region, args.timeout) == (0, 4566, "eu-west-1", 30)
    assert args.project_dir == tmp_path and args.stack == "ecommerce-local"
    assert cli.parse_args([]).region is None  # then $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1


def test_the_soak_passes_a_start_its_options(tmp_path):
    args = soak.parse_args(
        ["3", "--project-dir", str(tmp_path), "--region", "eu-west-1", "--quiet"]
    )
    assert args.cycles == 3
    assert soak.start_options(args) == [
        *("--stack", "ecommerce-local", "--host", "127.0.0.1", "--emulator-port", "0"),
        *("--region", "eu-west-1", "--quiet"),
    ]


@pytest.mark.parametrize("given", [["--down"], ["--port", "5000"], ["--ready-file", "r.json"]])
def test_the_soak_refuses_what_it_sets_itself(given, capsys):
    with pytest.raises(SystemExit) as refused:
        soak.parse_args(given)
    assert refused.value.code == 2
    assert "the soak sets it itself" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        ("localcloud", ["--port", "99999"]),
        ("localcloud", ["--down", "--timeout", "0"]),
        ("localcloud", ["user", "add", "ann@example"]),
        ("localcloud", ["faults", "add", "dynamodb:GetItem", "--share", "2"]),
        ("localcloud", ["clock", "advance", "0m"]),
        ("localcloud", ["mail", "--to", "ann"]),
        ("localcloud", ["rehearse", "--without", "lambda:*"]),
        ("localcloud.tools.soak", ["0"]),
        ("localcloud.gateway", ["--endpoint-url", "ftp://x"]),
        ("localcloud.tools.api_docs", ["--port", "x"]),
        ("localcloud.emulator.moto_server", ["--port", "99999"]),
    ],
)
def test_a_wrong_command_line_is_refused_before_the_heavy_imports(module, argv, tmp_path):
    """The parse comes first: boto3, moto, werkzeug, the runner and the gateway's server are
    imported only by the work a right command line asks for."""
    assert heavy_after_refusal(module, argv, tmp_path) == (2, [])


@pytest.mark.parametrize("argv", [["--wait", "--timeout", "0.5"], ["--down", "--timeout", "0.5"]])
def test_wait_and_down_go_without_the_runner_and_the_gateway(argv, tmp_path):
    """--wait and --down read the run's files and signal its processes: the runner's lifecycle,
    the gateway and boto3 are imported only by a start (a second of CPU each time CI waits)."""
    _, heavy = heavy_after_refusal("localcloud", ["--project-dir", str(tmp_path), *argv], tmp_path)
    assert heavy == ["localcloud.runner", "localcloud.runner.control"]
