"""Just enough GitHub-flavoured Markdown for the documentation tests: fenced code, tables,
headings and their anchors, links. Standard library only, so these tests stay fast."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository."""

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_DELIMITER = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


@dataclass(frozen=True)
class Table:
    """A table: where it starts (1-based line), its header cells and its rows of cells."""

    line: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def documents() -> list[Path]:
    """The repository's documentation: README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def relative(path: Path) -> str:
    """A path as the repository names it."""
    return path.relative_to(ROOT).as_posix()


def matches(path: Path, pattern: re.Pattern) -> list[tuple[int, re.Match]]:
    """Every match of ``pattern`` in a page, code included, with its line number."""
    text = path.read_text(encoding="utf-8")
    return [
        (number, match)
        for number, line in enumerate(text.splitlines(), start=1)
        for match in pattern.finditer(line)
    ]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        fence = _FENCE.match(line)
        if fence and (fenced is None or fence.group(1) == fenced):
            fenced = fence.group(1) if fenced is None else None
            continue
        if fenced is None:
            lines.append((number, line))
    return lines


def without_code_spans(line: str) -> str:
    """The line with its inline code removed (links inside code are not links)."""
    return _CODE_SPAN.sub("", line)


def split_row(line: str) -> tuple[str, ...]:
    """A table row's cells, split on unescaped pipes as GitHub does (code spans included)."""
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return tuple(cell.replace("\\|", "|").strip() for cell in cells)


def tables(text: str) -> list[Table]:
    """Every table outside fenced code."""
    lines = prose_lines(text)
    found = []
    index = 0
    while index < len(lines) - 1:
        number, line = lines[index]
        following = lines[index + 1][1]
        if line.lstrip().startswith("|") and _DELIMITER.match(following.strip()):
            rows = []
            index += 2
            while index < len(lines) and lines[index][1].lstrip().startswith("|"):
                rows.append((lines[index][0], split_row(lines[index][1])))
                index += 1
            found.append(Table(number, split_row(line), tuple(rows)))
        else:
            index += 1
    return found


def heading_anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings: lower case, punctuation dropped, spaces to
    hyphens, and ``-1``, ``-2``... on repeats."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(text):
        match = _HEADING.match(line)
        if not match:
            continue
        title = _CODE_SPAN.sub(lambda m: m.group(2), match.group(2))
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link keeps its text
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def code_names(cell: str) -> list[tuple[str, bool]]:
    """The code spans of a cell, each with whether a ``?`` follows it (an optional name)."""
    return [(m.group(1), m.group(2) == "?") for m in re.finditer(r"`([^`]+)`(\?)?", cell)]
