"""docs/operations.md lists every alarm the stacks create, and no other (read from the synthesized
stacks, so the runbook cannot miss one)."""

from tests.docs.markdown import ROOT, code_names, tables

RUNBOOK = ROOT / "docs" / "operations.md"


def _documented_alarms() -> list[str]:
    found = [
        t
        for t in tables(RUNBOOK.read_text(encoding="utf-8"))
        if t.header[:3] == ("alarm", "metric", "fires when, per minute")
    ]
    assert len(found) == 1, "docs/operations.md needs one alarm table (alarm | metric | ...)"
    return [name for _, cells in found[0].rows for name, _ in code_names(cells[0])]


def test_the_runbook_lists_every_alarm(env):
    prefix = f"{env.config.prefix}-"
    created = sorted(
        alarm["alarm_name"].removeprefix(prefix)
        for alarm in env.resources("aws_cloudwatch_metric_alarm").values()
    )
    documented = _documented_alarms()
    assert len(documented) == len(set(documented)), f"alarms listed twice: {documented}"
    assert sorted(documented) == created, (
        f"{env.config.name}: the runbook lacks {sorted(set(created) - set(documented))} and "
        f"lists alarms the stack does not create: {sorted(set(documented) - set(created))}"
    )
