"""What every benchmark's command shares: its command line (argparse, ``python -m bench.NAME``,
the module's docstring as the help, each refusal a usage line and exit 2 before anything runs)
and its report (the tables and lines it prints, in order, and the JSON it writes to
``bench/results``). A benchmark's ``main`` is then its flags and one call of ``run``."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.common import table, write_json


@dataclass(frozen=True)
class Flag:
    """One option of a benchmark's command line: ``argparse``'s ``add_argument`` arguments."""

    names: tuple[str, ...]
    options: dict[str, Any]


def flag(*names: str, **options: Any) -> Flag:
    """A flag, written as ``add_argument`` would take it."""
    return Flag(names, options)


@dataclass
class Report:
    """What a benchmark prints, in order, and the results it writes (``results/NAME.json``;
    no NAME: nothing written)."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    printed: list[str] = field(default_factory=list)

    def table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A table, right after what was printed before it."""
        self.printed.append(table(title, headers, rows))

    def line(self, text: str = "") -> None:
        """A line of text (none: a blank line)."""
        self.printed.append(text)


def parser(module: str, doc: str | None, flags: Sequence[Flag]) -> argparse.ArgumentParser:
    """The command line of ``python -m MODULE``."""
    parsed = argparse.ArgumentParser(prog=f"python -m {module}", description=doc)
    for option in flags:
        parsed.add_argument(*option.names, **option.options)
    return parsed


def run(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    argv: list[str] | None,
    module: str,
    doc: str | None,
    flags: Sequence[Flag],
    measure: Callable[[argparse.Namespace], Report],
    *,
    check: Callable[[argparse.Namespace], str | None] | None = None,
) -> dict[str, Any]:
    """Parse the command line, measure, print the report, write its JSON; return its results.

    ``check`` refuses a combination of flags: its message goes out as argparse's, exit 2, before
    anything is measured."""
    parsing = parser(module, doc, flags)
    args = parsing.parse_args(argv)
    problem = check(args) if check else None
    if problem:
        parsing.error(problem)
    report = measure(args)
    for text in report.printed:
        print(text)
    if report.name is not None:
        write_json(report.name, report.data)
    return report.data
