"""Wrong command lines of the benchmarks (``python -m bench`` and each ``bench/*.py`` with a
main): each refused with argparse's usage and one line naming the argument, exit 2, before any
measurement starts (``tests/arguments.py`` generates them and checks each run).

A new benchmark or flag is one row (or one ``Option``) of ``tools``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import strategies as st

from tests.arguments import (
    Option,
    Tool,
    bad_count,
    bad_dir,
    bad_dir_to_write,
    bad_file_to_read,
    bad_file_to_write,
    bad_ref,
    bad_seconds,
    check_refusals,
    heavy_after_refusal,
    odd_text,
    prepare_sandbox,
)

COUNT = st.sampled_from(["1", "3"])
REF = st.just("HEAD")


def tools(sandbox: Path) -> dict[str, Tool]:
    """Every benchmark, by name: its flags and the values each must refuse."""
    rows = (
        Tool(
            "bench",
            ("-m", "bench"),
            (
                Option("--quick"),
                Option("--unit-tests"),
                Option("--no-localcloud"),
                Option("--localcloud-ref", REF, bad_ref),
            ),
        ),
        Tool(
            "synth_bench",
            ("-m", "bench.synth_bench"),
            (
                Option("--runs", COUNT, bad_count),
                Option("--unit-tests"),
                Option("--keep", st.just(str(sandbox / "kept")), bad_dir_to_write(sandbox)),
                Option("--child", st.just("interpreter"), st.sampled_from(["", "nope"]) | odd_text),
                Option("--outdir", st.just(str(sandbox / "out")), bad_dir_to_write(sandbox)),
                Option("--report", st.just(str(sandbox / "r.json")), bad_file_to_write(sandbox)),
            ),
        ),
        Tool(
            "handlers_bench",
            ("-m", "bench.handlers_bench"),
            (
                Option("--runs", COUNT, bad_count),
                Option("--requests", COUNT, bad_count),
                Option("--compare-with", REF, bad_ref),
            ),
        ),
        Tool(
            "requests_bench",
            ("-m", "bench.requests_bench"),
            (Option("--requests", COUNT, bad_count),),
        ),
        Tool(
            "cost",
            ("-m", "bench.cost"),
            (Option("--from", st.just(str(sandbox)), bad_dir(sandbox)),),
        ),
        Tool("watch_bench", ("-m", "bench.watch_bench"), (Option("--saves", COUNT, bad_count),)),
        Tool(
            "gateway_auth_bench",
            ("-m", "bench.gateway_auth_bench"),
            (Option("--requests", COUNT, bad_count),),
        ),
        Tool(
            "events_bench",
            ("-m", "bench.events_bench"),
            (
                Option("--orders", COUNT, bad_count),
                Option("--project-dir", st.just(str(sandbox)), bad_dir(sandbox)),
                Option(
                    "--ready-file", st.just(str(sandbox / "ready.json")), bad_file_to_write(sandbox)
                ),
            ),
            project_dir=True,
        ),
        Tool(
            "deploy_path",
            ("-m", "bench.deploy_path"),
            (
                Option("--log", st.just(str(sandbox / "a-file")), bad_file_to_read(sandbox)),
                Option("--stack", st.just(str(sandbox / "a-file")), bad_file_to_read(sandbox)),
            ),
        ),
        Tool(
            "localcloud_bench",
            ("-m", "bench.localcloud_bench"),
            (
                Option("--seconds", st.just("1"), bad_seconds),
                Option("--ref", REF, bad_ref),
                Option("--runner-ref", REF, bad_ref),
                Option("--cycles", COUNT, bad_count),
                Option("--no-load"),
                Option("--before", REF, bad_ref),
            ),
        ),
    )
    return {row.name: row for row in rows}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """An empty folder: each run's working directory."""
    folder = tmp_path_factory.mktemp("sandbox")
    prepare_sandbox(folder)
    return folder


@pytest.mark.parametrize("name", tuple(tools(Path("/"))))
def test_wrong_arguments_are_refused(name, sandbox):
    check_refusals(tools(sandbox)[name], sandbox)


@pytest.mark.parametrize(
    "module",
    [
        "bench.synth_bench",
        "bench.handlers_bench",
        "bench.requests_bench",
        "bench.cost",
        "bench.watch_bench",
        "bench.localcloud_bench",
        "bench.gateway_auth_bench",
        "bench",
    ],
)
def test_a_wrong_command_line_is_refused_before_the_heavy_imports(module, tmp_path):
    """The parse comes first: boto3, moto, werkzeug, cdktf and the local cloud's runner are
    imported only by the measurement a right command line asks for."""
    assert heavy_after_refusal(module, ["--no-such-flag"], tmp_path) == (2, [])
