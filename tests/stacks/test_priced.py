"""Every resource kind a stack synthesizes is priced by bench/fixed_cost.py's ``PRICING`` or
listed there as free while idle (``FREE_WHEN_IDLE``): a new kind without either fails here, so
``python -m bench.cost`` never drops a cost silently."""

from bench.fixed_cost import fixed_costs
from bench.prices import load_prices


def test_every_synthesized_kind_is_priced_or_free(synths, account_synth):
    # The environments and the account stack, as `python -m bench.cost` prices them by default.
    # The bootstrap stack (only with a state bucket named) is left out: its bucket's kinds are
    # reported as not priced today (S3 bills storage and requests only).
    prices = load_prices()
    stacks = {**synths, "account": account_synth}
    unpriced = {name: fixed_costs(s.json, prices)[1] for name, s in stacks.items()}
    assert not any(unpriced.values()), f"resource kinds neither priced nor free: {unpriced}"
