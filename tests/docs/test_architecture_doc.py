"""docs/architecture.md's overrides table lists exactly the environment variables the
configuration reads: the loaders are run on a mapping that records every name they ask for, so a
variable added to (or dropped from) the configuration without its row fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from stacks.base.config import ENVIRONMENTS, load_all
from stacks.base.delivery_config import load_account, load_bootstrap
from stacks.base.selection import chosen
from tests.docs.markdown import ROOT, code_names, tables

ARCHITECTURE = ROOT / "docs" / "architecture.md"
# Enough for every loader to read all it can: a bucket (the bootstrap stack's), a repository.
GIVEN = {"ECOMMERCE_STATE_BUCKET": "acme-store-tf-state", "ECOMMERCE_GITHUB_REPOSITORY": "a/b"}


class Recording(Mapping[str, str]):
    """The environment as the loaders see it: ``GIVEN``, and a note of every name asked for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return GIVEN[key]

    def __iter__(self) -> Iterator[str]:
        return iter(GIVEN)

    def __len__(self) -> int:
        return len(GIVEN)


def read_variables() -> set[str]:
    """Every variable the configuration reads, one environment's own written ``<ENV>``."""
    environ = Recording()
    load_all(environ)
    load_account(environ)
    load_bootstrap(environ)
    chosen(["ecommerce-dev"], environ)
    own = re.compile(rf"^ECOMMERCE_({'|'.join(name.upper() for name in ENVIRONMENTS)})_")
    return {own.sub("ECOMMERCE_<ENV>_", name) for name in environ.asked}


def documented_variables() -> list[str]:
    """The variables the overrides table names (a row may name a second one in parentheses)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    found = [t for t in tables(text) if t.header[:2] == ("variable", "effect")]
    assert len(found) == 1, "docs/architecture.md needs one overrides table (variable | effect)"
    return [name for _, cells in found[0].rows for name, _ in code_names(cells[0])]


def test_the_overrides_table_lists_exactly_the_variables_read():
    listed, read = documented_variables(), read_variables()
    assert len(listed) == len(set(listed)), f"variables listed twice: {listed}"
    assert set(listed) == read, (
        f"docs/architecture.md lacks {sorted(read - set(listed))}; "
        f"lists variables nothing reads: {sorted(set(listed) - read)}"
    )


def test_the_recording_sees_what_a_loader_asks():
    environ = Recording()
    load_bootstrap(environ)
    assert {"ECOMMERCE_STATE_BUCKET", "ECOMMERCE_BOOTSTRAP_STATE"} <= environ.asked
