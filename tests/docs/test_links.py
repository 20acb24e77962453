"""Every link of README.md and docs/*.md resolves inside the repository, anchors included, and
nothing points outside it (but for a few public documentation sites and the local cloud's own
loopback URLs). Links inside code are not links, so they are not checked here."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.docs.markdown import (
    ROOT,
    documents,
    heading_anchors,
    matches,
    prose_lines,
    relative,
    without_code_spans,
)

# Hosts a page may link to besides the repository: the vendors' own documentation, and the
# local cloud's loopback addresses (what a reader opens while it runs).
ALLOWED_HOSTS = frozenset(
    {"docs.aws.amazon.com", "developer.hashicorp.com", "127.0.0.1", "localhost"}
)
# Folders that exist on a working machine but never in a clone.
UNTRACKED = frozenset(
    {".venv", "node_modules", ".localcloud", "cdktf.out", "cfn-outputs", "ci-out", ".git"}
)

_INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^\s>]+)>")
_BARE_URL = re.compile(r"(?<![<(\w])(https?://[^\s)<>`]+)")
_BRIEF = re.compile(r"\.\./shared|shared/(API|DESIGN)\.md")


def links(path: Path) -> list[tuple[int, str]]:
    """Every link target of a page outside code, with its line."""
    found = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        text = without_code_spans(line)
        targets = [m.group(1) for m in _INLINE.finditer(text)]
        targets += [m.group(1) for m in _AUTOLINK.finditer(text)]
        reference = _REFERENCE.match(text)
        if reference:
            targets.append(reference.group(1))
        bare = _INLINE.sub("", _AUTOLINK.sub("", text))
        targets += [m.group(1).rstrip(".,;:") for m in _BARE_URL.finditer(bare)]
        found += [(number, target) for target in targets]
    return found


def problem(page: Path, target: str) -> str | None:
    """What is wrong with one link, or None."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return _external_problem(parts.scheme, parts.hostname)
    if not parts.path:
        return _anchor_problem(page, parts.fragment, same_page=True)
    return _file_problem(page, unquote(parts.path), parts.fragment)


def _external_problem(scheme: str, host: str | None) -> str | None:
    if scheme not in ("http", "https"):
        return f"uses the scheme {scheme!r}"
    return None if host in ALLOWED_HOSTS else f"links outside the repository to {host}"


def _anchor_problem(page: Path, fragment: str, same_page: bool = False) -> str | None:
    if fragment in heading_anchors(page.read_text(encoding="utf-8")):
        return None
    return f"has no heading #{fragment}" + ("" if same_page else f" in {relative(page)}")


def _file_problem(page: Path, path: str, fragment: str) -> str | None:
    resolved = (page.parent / path).resolve()
    if not resolved.is_relative_to(ROOT):
        return "points outside the repository"
    first = resolved.relative_to(ROOT).parts[:1]
    if first and first[0] in UNTRACKED:
        return f"points into {first[0]}/, which a clone does not have"
    if not resolved.exists():
        return f"points to {relative(resolved)}, which does not exist"
    if not fragment:
        return None
    if resolved.suffix != ".md" or not resolved.is_file():
        return "has an anchor on something that is not a Markdown page"
    return _anchor_problem(resolved, fragment)


PAGES = documents()


def test_there_are_pages_with_links():
    assert (ROOT / "docs").is_dir(), "docs/ is missing"
    assert sum(len(links(page)) for page in PAGES) > 20


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_every_link_resolves_inside_the_repository(page):
    broken = [
        f"{relative(page)} line {line}: ({target}) {why}"
        for line, target in links(page)
        if (why := problem(page, target))
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_nothing_refers_to_the_brief(page):
    mentions = [f"{relative(page)} line {number}" for number, _ in matches(page, _BRIEF)]
    assert not mentions, "the repository documents itself; no ../shared: " + ", ".join(mentions)


def test_the_checker_catches_what_it_should(tmp_path):
    page = ROOT / "docs" / "api.md"
    assert problem(page, "../README.md#the-two-commands") is None
    assert problem(page, "#conventions") is None
    assert problem(page, "../../shared/API.md") == "points outside the repository"
    assert problem(page, "missing.md") == "points to docs/missing.md, which does not exist"
    assert problem(page, "#no-such-heading") == "has no heading #no-such-heading"
    assert "no heading" in problem(page, "architecture.md#no-such-heading")
    assert problem(page, "https://example.com/x") == "links outside the repository to example.com"
    assert problem(page, "../.localcloud/env").startswith("points into .localcloud/")
    sample = tmp_path / "sample.md"
    sample.write_text(
        "[a](a.md) and <https://x.example> and https://y.example/z.\n"
        "`[not](code.md)`\n```\n[nor](fenced.md)\n```\n[ref]: b.md\n",
        encoding="utf-8",
    )
    assert [target for _, target in links(sample)] == [
        "a.md",
        "https://x.example",
        "https://y.example/z",
        "b.md",
    ]
