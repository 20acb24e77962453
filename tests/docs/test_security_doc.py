"""docs/security.md explains exactly the checks .checkov.yaml skips, no more and no fewer."""

import re

from tests.docs.markdown import ROOT, code_names, tables

CHECKOV = ROOT / ".checkov.yaml"
SECURITY = ROOT / "docs" / "security.md"


def skipped_checks() -> list[str]:
    """The ids under ``skip-check:`` in .checkov.yaml."""
    ids, inside = [], False
    for line in CHECKOV.read_text(encoding="utf-8").splitlines():
        if re.match(r"^[\w-]+:", line):
            inside = line.startswith("skip-check:")
            continue
        match = re.match(r"^\s*-\s*(CKV\w+)", line)
        if inside and match:
            ids.append(match.group(1))
    return ids


def documented_checks() -> list[str]:
    """The checks in docs/security.md's table of skips (header ``check | why it is skipped``)."""
    found = [t for t in tables(SECURITY.read_text(encoding="utf-8")) if t.header[0] == "check"]
    assert len(found) == 1, "docs/security.md needs one table of skipped checks (check | why)"
    return [name for _, cells in found[0].rows for name, _ in code_names(cells[0])]


def test_every_skip_is_explained_once_and_nothing_else():
    skipped, documented = skipped_checks(), documented_checks()
    assert skipped, ".checkov.yaml skips nothing? The parser found no skip-check list"
    assert len(documented) == len(set(documented)), f"listed twice: {documented}"
    assert sorted(documented) == sorted(skipped), (
        f"docs/security.md explains {sorted(documented)}, .checkov.yaml skips {sorted(skipped)}: "
        f"unexplained {sorted(set(skipped) - set(documented))}, "
        f"not skipped {sorted(set(documented) - set(skipped))}"
    )
