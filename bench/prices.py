"""The price file, bench/prices.json: every unit price the cost benchmark uses, each with its unit
and source, and the assumptions (traffic, sizes) it prices with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).with_name("prices.json")


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    """The price file, checked for the keys this module uses."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, entry in data["prices"].items():
        if not {"price", "unit", "source"} <= entry.keys():
            raise ValueError(f"The price '{name}' in {path} needs a price, a unit and a source.")
    return data


def unit_price(prices: dict[str, Any], name: str) -> float:
    """The unit price called ``name``."""
    return prices["prices"][name]["price"]


def assumption(prices: dict[str, Any], name: str) -> float:
    """The assumption called ``name`` (a number or, per stack, a mapping)."""
    return prices["assumptions"][name]["value"]
