"""README.md is the front door: the two commands, CI's sentence, the differences that matter most
day to day, and a map that reaches every page of docs/. Its reference tables live in docs/ and
are kept there (the outputs: test_operations_doc.py; the overrides: test_architecture_doc.py)."""

import re

from tests.docs.markdown import ROOT, tables

README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def test_the_two_commands_and_what_ci_runs():
    assert "| `./scripts/up.sh` |" in TEXT, "the main job's command is missing from its table"
    assert "| `./scripts/test.sh` |" in TEXT, "the test command is missing from its table"
    assert "CI's `.ci/run` calls the latter, `./scripts/test.sh`" in TEXT
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


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


def test_it_stays_a_front_door():
    """At most 140 lines: the rest belongs in docs/, which the map reaches."""
    lines = TEXT.splitlines()
    assert len(lines) <= 140, f"README.md is {len(lines)} lines: move the detail to docs/"


def test_its_sample_start_is_a_start_of_the_whole_stack():
    sample = re.search(r"```text\n\$ \./scripts/up\.sh\n(.*?)```", TEXT, re.S)
    assert sample, "README.md shows no sample start"
    deployed = re.search(r"^localcloud: deployed (\d+) resources in ", sample[1], re.M)
    assert deployed and re.search(r"^localcloud: ready in ", sample[1], re.M)
    # Every construct of the local stack (its synth had 242 resources on 2026-12-07): a sample
    # of a much smaller stack is a stale one.
    assert int(deployed[1]) >= 240
