"""README.md is the front door: the two commands, CI's sentence, every output of the stack, and
a map that reaches every page of docs/."""

import re

from tests.docs.markdown import ROOT, code_names, tables
from tests.integration.outputs import REQUIRED

README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def test_the_two_commands_and_what_ci_runs():
    assert "| `./scripts/up.sh` |" in TEXT, "the main job's command is missing from its table"
    assert "| `./scripts/test.sh` |" in TEXT, "the test command is missing from its table"
    assert "CI's `.ci/run` calls the latter, `./scripts/test.sh`" in TEXT
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_outputs_table_lists_exactly_the_stack_outputs():
    found = [t for t in tables(TEXT) if t.header[:2] == ("output", "what")]
    assert len(found) == 1, "README.md needs one outputs table (output | what)"
    listed = [name for _, cells in found[0].rows for name, _ in code_names(cells[0])]
    assert len(listed) == len(set(listed)), f"outputs listed twice: {listed}"
    assert sorted(listed) == sorted(REQUIRED), (
        f"README lacks {sorted(set(REQUIRED) - set(listed))}; "
        f"lists outputs the stack does not declare: {sorted(set(listed) - set(REQUIRED))}"
    )


def test_the_map_reaches_every_page():
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", TEXT))
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert pages, "docs/ has no pages"
    assert pages <= linked, f"README.md does not link {sorted(pages - linked)}"


def test_the_differences_it_names_are_rows_of_the_full_table():
    [short] = [t for t in tables(TEXT) if t.header == ("what", "on AWS", "on the local cloud")]
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    [full] = [t for t in tables(architecture) if t.header[:3] == short.header]
    rows = {cells[0]: cells for _, cells in full.rows}
    assert len(short.rows) >= 5
    for _, cells in short.rows:
        assert cells[0] in rows, f"README's row {cells[0]!r} is not in docs/architecture.md"
        # The README shortens a row, never says something else: its AWS side is the same.
        assert cells[1] == rows[cells[0]][1], cells[0]
