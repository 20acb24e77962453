"""docs/operations.md lists every output of the stack, and no other, in one table (the integration
suite requires the same outputs, so a new one is documented where operators read them)."""

from tests.docs.markdown import ROOT, code_names, tables
from tests.integration.outputs import REQUIRED

OPERATIONS = ROOT / "docs" / "operations.md"


def test_the_outputs_table_lists_exactly_the_stack_outputs():
    text = OPERATIONS.read_text(encoding="utf-8")
    found = [t for t in tables(text) if t.header[:2] == ("output", "what")]
    assert len(found) == 1, "docs/operations.md needs one outputs table (output | what)"
    listed = [name for _, cells in found[0].rows for name, _ in code_names(cells[0])]
    assert len(listed) == len(set(listed)), f"outputs listed twice: {listed}"
    assert sorted(listed) == sorted(REQUIRED), (
        f"docs/operations.md lacks {sorted(set(REQUIRED) - set(listed))}; "
        f"lists outputs the stack does not declare: {sorted(set(listed) - set(REQUIRED))}"
    )
