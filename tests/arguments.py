"""Generated wrong command lines for the project's tools, and what a refusal must look like.

Each tool is a row of a table (``Tool``): how it is run, its options and positionals, and for
each the values it must refuse. ``invocations(tool)`` draws argument lists that hold at least
one wrong part (a valid flag with a wrong value, a flag missing its value, an unknown flag, a
stray word, odd Unicode, empty strings, huge numbers) among valid parts, so that no generated
list can start real work (a deploy, a soak, a benchmark). ``refused(tool, argv, sandbox)`` runs
one as a subprocess, in a session of its own and in an empty sandbox folder (also its
``--project-dir``), with no ``node`` on PATH (so that even a wrongly accepted list could not
deploy), and returns what went wrong: an exit status other than 2, a traceback, a refusal that
is not argparse's usage and one ``error:`` line naming the argument, a process of its session
still running, a port it was given still taken, a file left in the sandbox.

Adding a tool, or a flag to one, is one row of a table in the test module of the tool's package.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localcloud import PROJECT_ROOT

SETTINGS = settings(
    derandomize=True,  # the same examples on every run: CI is deterministic
    database=None,
    deadline=None,  # subprocesses: a slow machine is not a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
"""Hypothesis settings of every generated-arguments test (each sets its own max_examples)."""

TIMEOUT_S = 120
"""A refusal takes well under a second; this only stops a tool that wrongly started work."""

# Text a person might type by mistake: any printable or odd Unicode, never NUL (no argv holds
# it) nor a lone surrogate (no argv can encode it).
_CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
odd_text = st.text(_CHARACTERS, max_size=12)
"""Any text, empty included."""
huge = st.integers(min_value=10**6, max_value=10**40) | st.integers(
    min_value=-(10**40), max_value=-1
)
"""Numbers far out of every range, and negative ones."""
not_a_number = st.sampled_from(["", " ", "x", "1x", "0x10", "٣", "½"]) | (
    odd_text.filter(lambda s: not _is_number(s))
)
"""Text that is no number at all."""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text(values: st.SearchStrategy) -> st.SearchStrategy[str]:
    return values.map(str)


not_whole = st.sampled_from(["1.5", "nan", "inf", "1e3", "1_000", "+1", " 1"])
"""Numbers a whole-number argument does not take (Python's int() would take some)."""
bad_port = _text(st.integers(min_value=65536, max_value=10**30) | huge) | not_whole | not_a_number
"""Never a port (0 is one: a free port)."""
bad_count = (
    _text(st.integers(max_value=0) | st.integers(min_value=10**7)) | not_whole | not_a_number
)
"""Never a count (1 up to a million)."""
bad_seconds = (
    _text(st.floats(max_value=0) | st.integers(max_value=0))
    | st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", "0.0"])
    | not_a_number
)
"""Never a positive, finite number of seconds."""
bad_region = st.sampled_from(["xx-nowhere-9", "US-EAST-1", "us-east-1 ", "us-east", "mars-1"]) | (
    odd_text
)
"""Never a region the stacks know (stacks/base/zones.py's REGION_ZONE_IDS)."""
bad_host = st.sampled_from(["", "256.1.1.1", "127.0.0", "::1::", "example com", "ÿ"]) | (
    odd_text.filter(lambda s: s != "localhost" and not s.replace(".", "").isdigit())
)
"""Never an IPv4 address or ``localhost``."""
bad_url = st.sampled_from(["", "localhost:5000", "ftp://x", "http://", "http:// x"]) | (
    odd_text.filter(lambda s: not s.startswith(("http://", "https://")))
)
"""Never an http(s) URL with a host."""
bad_email = st.sampled_from(["", "ann", "@example.com", "ann@", "ann@example", "a b@c.d"])
"""Never an email address."""
bad_ref = st.sampled_from(["no-such-ref-xyz", "HEAD~99999", "", " ", "^", "@{-99}"])
"""Never a commit of this repository."""


@functools.cache
def spare_port() -> str:
    """A port that is free now, below the range the kernel hands out for port 0 and away from
    the usual defaults (3000, 5000), so that no other program is likely to take it during the
    run: the valid port the generated lists may give (and that must still be free after)."""
    return str(next(port for port in range(23000, 24000) if _free(port)))


def missing_path(sandbox: Path) -> st.SearchStrategy[str]:
    """Paths in a folder that does not exist."""
    return st.builds(lambda name: str(sandbox / "no-such-folder" / (name or "x")), odd_text)


def bad_dir(sandbox: Path) -> st.SearchStrategy[str]:
    """Never an existing folder: a missing one, a file, the empty string."""
    return st.sampled_from(["", str(sandbox / "a-file")]) | missing_path(sandbox)


def bad_file_to_read(sandbox: Path) -> st.SearchStrategy[str]:
    """Never a file that can be read: a folder, a missing one, the empty string."""
    return st.sampled_from(["", str(sandbox)]) | missing_path(sandbox)


def bad_file_to_write(sandbox: Path) -> st.SearchStrategy[str]:
    """Never a file that can be written: in a missing folder, a folder itself, under a file, the
    empty string."""
    return st.sampled_from(["", str(sandbox), str(sandbox / "a-file" / "below.json")]) | (
        missing_path(sandbox)
    )


def bad_dir_to_write(sandbox: Path) -> st.SearchStrategy[str]:
    """Never a folder that is or can be written: a file, under a file, the empty string."""
    return st.sampled_from(["", str(sandbox / "a-file")]) | st.builds(
        lambda name: str(sandbox / "a-file" / (name or "x")), odd_text
    )


def prepare_sandbox(sandbox: Path) -> None:
    """The fixed contents the path strategies rely on: a file where a folder is expected."""
    (sandbox / "a-file").write_text("not a folder\n", encoding="utf-8")


@dataclass(frozen=True)
class Option:
    """A flag; ``good``: values it takes (``None``: a switch); ``bad``: values it refuses."""

    flag: str
    good: st.SearchStrategy[str] | None = None
    bad: st.SearchStrategy[str] | None = None


@dataclass(frozen=True)
class Positional:
    """A positional argument: values it takes, values it refuses."""

    good: st.SearchStrategy[str]
    bad: st.SearchStrategy[str]


@dataclass(frozen=True)
class Tool:
    """One command of the project: ``command`` after the interpreter (``-m module``) or a script
    run by bash (``script``); ``base``: the words that choose it (``user add``, ``--down``)."""

    name: str
    command: tuple[str, ...]
    options: tuple[Option, ...] = ()
    positionals: tuple[Positional, ...] = ()
    base: tuple[str, ...] = ()
    project_dir: bool = False
    """Whether it takes ``--project-dir`` (given the sandbox)."""
    script: bool = False
    examples: int = 10
    env: dict[str, str] = field(default_factory=dict)

    @property
    def flags(self) -> tuple[str, ...]:
        """Every flag it knows (``--help`` included)."""
        return ("--help", "-h", "--project-dir", *(option.flag for option in self.options))


def _unknown_flag(tool: Tool) -> st.SearchStrategy[str]:
    """A flag the tool does not know, nor any flag's abbreviation (argparse takes those)."""
    letters = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-"), min_size=1, max_size=10)
    words = st.one_of(letters, st.text(_CHARACTERS, min_size=1, max_size=8))
    return st.builds(
        lambda prefix, word: prefix + word, st.sampled_from(["--", "-"]), words
    ).filter(
        lambda flag: (
            flag not in ("-", "--")
            and not any(known.startswith(flag.split("=")[0]) for known in tool.flags)
            # "-p5" is "-p 5", "-hx" asks for help
            and not any(flag.startswith(short) for short in tool.flags if len(short) == 2)
            and not _is_number(flag)
        )
    )


def _stray_word() -> st.SearchStrategy[str]:
    return odd_text.filter(lambda s: not s.startswith("-"))


@st.composite
def invocations(draw, tool: Tool) -> tuple[list[str], list[str]]:
    """(argument list, the flags it gets wrong): at least one wrong part among valid ones. Half
    the lists get exactly one thing wrong, a value (the part argparse alone would not catch);
    the others mix wrong values, unknown flags, stray words and a flag missing its value."""
    targets = [f"positional {index}" for index in range(len(tool.positionals))]
    targets += [option.flag for option in tool.options if option.bad is not None]
    single = draw(st.sampled_from(targets)) if targets and draw(st.booleans()) else None
    wrong: list[list[str]] = []
    right: list[list[str]] = []
    named: list[str] = []
    words: list[str] = []
    for index, positional in enumerate(tool.positionals):
        if single == f"positional {index}" or (single is None and draw(st.booleans())):
            words.append(draw(positional.bad))
            named.append("")
        else:
            words.append(draw(positional.good))
    for option in tool.options:
        if single == option.flag or (
            single is None and option.bad is not None and draw(st.integers(0, 3)) == 0
        ):
            value = draw(option.bad)
            inline = draw(st.booleans())
            wrong.append([f"{option.flag}={value}"] if inline else [option.flag, value])
            named.append(option.flag)
        elif draw(st.booleans()):
            right.append([option.flag] if option.good is None else [option.flag, draw(option.good)])
    extra = 0 if single else draw(st.integers(0 if named else 1, 2))
    for _ in range(extra):
        kind = draw(st.sampled_from(["unknown flag", "stray word"]))
        wrong.append([draw(_unknown_flag(tool) if kind == "unknown flag" else _stray_word())])
        named.append("")
    parts = draw(st.permutations([*wrong, *right]))
    argv = [*tool.base, *words, *(word for part in parts for word in part)]
    valued = [option for option in tool.options if option.good is not None]
    if valued and not single and draw(st.integers(0, 5)) == 0:  # a flag missing its value
        option = draw(st.sampled_from(valued))
        argv.append(option.flag)
        named.append(option.flag)
    return argv, named


@dataclass
class Outcome:
    """What one run did."""

    argv: list[str]
    status: int
    stdout: str
    stderr: str
    problems: list[str] = field(default_factory=list)


def run(tool: Tool, argv: list[str], sandbox: Path) -> Outcome:
    """Run ``tool`` with ``argv`` in ``sandbox``; the outcome with every problem found."""
    if tool.project_dir:  # after the words that choose the command (``user add --project-dir``)
        base = len(tool.base)
        argv = [*argv[:base], "--project-dir", str(sandbox), *argv[base:]]
    if tool.script:
        command = ["bash", str(PROJECT_ROOT / tool.command[0]), *argv]
    else:
        command = [sys.executable, *tool.command, *argv]
    before = _files(sandbox)
    ports = [port for port in _ports(argv) if _free(port)]
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        command,
        cwd=sandbox,
        env=_environment(tool, sandbox),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_session(process.pid)
        out, err = process.communicate()
        timed_out = True
    outcome = Outcome(
        argv, process.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    )
    if timed_out:
        outcome.problems.append(f"still running after {TIMEOUT_S} s (started work)")
    left = _session_members(process.pid)
    if left:
        _kill_session(process.pid)
        outcome.problems.append(f"processes left running: {left}")
    taken = [port for port in ports if not _free(port)]
    if taken:
        outcome.problems.append(f"ports left taken: {taken}")
    added = sorted(str(path.relative_to(sandbox)) for path in _files(sandbox) - before)
    if added:
        outcome.problems.append(f"files left behind: {added}")
        _clean(sandbox, before)
    return outcome


def refusal_problems(outcome: Outcome, named: list[str]) -> list[str]:
    """What is wrong with ``outcome`` as a refusal: exit 2, no traceback, argparse's usage, then
    one ``error:`` message that names a wrong argument (a value the message echoes may hold a
    line break of its own)."""
    problems = list(outcome.problems)
    streams = outcome.stdout + outcome.stderr
    if "Traceback (most recent call last)" in streams:
        problems.append("a traceback")
    if outcome.status != 2:
        problems.append(f"exit status {outcome.status}, not 2")
        return problems
    errors = outcome.stderr.count(": error: ")
    if not outcome.stderr.startswith("usage: "):
        problems.append(f"no usage line: {outcome.stderr[:200]!r}")
    elif errors != 1:
        problems.append(f"{errors} error messages: {outcome.stderr[-300:]!r}")
    else:
        message = outcome.stderr.split(": error: ", 1)[1]
        generic = ("unrecognized arguments", "expected one argument", "the following arguments")
        flags = [flag for flag in named if flag]
        names = any(flag in message for flag in flags) or message.startswith("argument ")
        if not (names or message.startswith(generic)):
            problems.append(f"the error names no argument: {message[:200]!r}")
    return problems


def _environment(tool: Tool, sandbox: Path) -> dict[str, str]:
    """The tools' environment, with no ``node`` on PATH: cdktf cannot start, so nothing can be
    deployed even if a wrong list were taken for a right one."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "API_BASE_URL", "PYTEST", "COV_", "COVERAGE"))
    }
    env.update(
        {
            "PATH": os.pathsep.join(
                [str(Path(sys.executable).parent), *_path_without_node(sandbox)]
            ),
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(tool.env)
    return env


NODE = ("node", "nodejs", "npm", "npx", "corepack")


def _path_without_node(sandbox: Path) -> list[str]:
    """PATH's folders, those that hold Node.js replaced by one of links to all their other
    programs (beside the sandbox, so that it does not count as something left in it)."""
    paths = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    links = sandbox.parent / f"{sandbox.name}-path"
    if not links.is_dir():
        links.mkdir()
        for folder in (Path(p) for p in paths if (Path(p) / "node").exists()):
            for program in folder.iterdir():
                if program.name not in NODE and not (links / program.name).exists():
                    (links / program.name).symlink_to(program)
    kept = [p for p in paths if not (Path(p) / "node").exists()]
    return [*kept, str(links)]


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*")) if os.access(root, os.R_OK) else set()


def _clean(sandbox: Path, keep: set[Path]) -> None:
    for path in sorted(_files(sandbox) - keep, reverse=True):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _ports(argv: list[str]) -> list[int]:
    """The ports 1..65535 that ``argv`` names after a port flag."""
    found = []
    for flag, value in zip(argv, [*argv[1:], ""], strict=True):
        name, _, inline = flag.partition("=")
        if name.endswith("port") or name == "-p":
            text = inline or value
            if text.isascii() and text.isdigit() and 0 < int(text) < 65536:
                found.append(int(text))
    return found


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _session_members(session: int) -> list[int]:
    """Processes still in the session the run started (its own, and whatever it spawned)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":  # fields: state ppid pgrp session
                members.append(int(stat.parent.name))
    return members


def _kill_session(session: int) -> None:
    for pid in _session_members(session):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


HEAVY = (
    "boto3",
    "botocore.session",
    "botocore.config",
    "moto",
    "werkzeug",
    "cdktf",
    "localcloud.runner",
    "localcloud.gateway.server",
    "localcloud.emulator.moto_app",
)
"""What only the work needs, never a refusal: AWS's SDK and its sessions, the emulator, the web
server, cdktf, the runner, the gateway's server."""

_REFUSE = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
except SystemExit as exit:
    print(exit.code, *sorted(sys.modules))
"""


def heavy_after_refusal(module: str, argv: list[str], cwd: Path) -> tuple[int | None, list[str]]:
    """(exit status, the ``HEAVY`` modules imported) of ``python -m module argv`` refusing
    ``argv``, run in a child as the command runs (``runpy``, as ``-m`` does)."""
    found = subprocess.run(
        [sys.executable, "-c", _REFUSE, module, *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    status, *modules = found.stdout.split() or ["None"]
    heavy = [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]
    return (int(status) if status.isdigit() else None), heavy


def check_refusals(tool: Tool, sandbox: Path, survey: list | None = None) -> None:
    """Run ``tool.examples`` generated wrong lists; each must be refused cleanly (``survey``:
    record every outcome and its problems there instead of failing)."""

    @settings(SETTINGS, max_examples=tool.examples)
    @given(invocations(tool))
    def refuses(invocation):
        argv, named = invocation
        outcome = run(tool, argv, sandbox)
        problems = refusal_problems(outcome, named)
        if survey is not None:
            survey.append((tool.name, outcome, problems))
            return
        assert not problems, f"{tool.name} {argv!r}: {problems}\n{outcome.stdout}{outcome.stderr}"

    refuses()
