"""The seed's worked examples as households built in memory (no files).

:func:`example_a` is the seed's Example A (asset location: rebalance where it costs no tax) and
:func:`example_b` its Example B (which lots to sell for a cash need). Both are small, fully
specified :class:`~toolkit.household.Household` objects: validated with the
:mod:`toolkit.schema` validators and classified by the bundled security master, so every
toolkit function (``plan``, ``compare_methods``, ``harvest``, the widget apps) accepts them.
Money in dollars, quantities in shares, weights as fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from toolkit.history import replay_household
from toolkit.household import Household, TaxProfile

__all__ = ["EXAMPLE_B_CASH_NEED", "example_a", "example_b"]

#: Dollars Example B needs to raise from the taxable account.
EXAMPLE_B_CASH_NEED = 20_000.0


def _profile() -> TaxProfile:
    """Married filing jointly, 2026, $185,000 taxable ordinary income, 5% state."""
    return TaxProfile(filing_status="married_filing_jointly", year=2026,
                      ordinary_income=185_000.0, state_rate=0.05)


def _household(name: str, *, accounts: Mapping[str, tuple[str, str]],
               positions: Iterable[Mapping], lots: Iterable[Mapping],
               targets: Mapping[str, float], as_of: str,
               contributions: Mapping[str, float] | None = None) -> Household:
    """A validated household from plain rows (accounts: id -> (tax type, name))."""
    h = Household.from_frames(
        name=name, profile=_profile(), as_of=as_of, targets=targets,
        accounts=[{"account": a, "name": n, "owner": "joint", "custodian": "example",
                   "tax_type": t} for a, (t, n) in accounts.items()],
        positions=[{"source_file": "toolkit.examples", **r} for r in positions],
        lots=[{**r, "source_file": "toolkit.examples"} for r in lots],
        contributions=contributions)
    return replay_household(h)  # the loader's history step: the reconciliation is kept


def example_a() -> Household:
    """Seed Example A: a 60/40 household whose stocks sit in the 401(k).

    Target 60% US stocks, 40% bonds. The 401(k) ``"K"`` holds $700,000 at 80% stocks (VTI
    $560,000, BND $140,000); the taxable account ``"T"`` holds $300,000 at 70% bonds and cash
    (VTI $90,000 with a $30,000 basis bought in 2015, BND $180,000 with a $190,000 basis
    bought in 2021, $30,000 cash). Household: stocks $650,000 of $1,000,000 = 65%, bonds 32%,
    cash 3%. The 401(k) gets $1,000 of new money. As of 2026-11-20; married filing jointly,
    $185,000 taxable ordinary income, 5% state.

    What it shows: the household is 5 points overweight stocks, yet nothing taxable needs to
    be sold. The cash buys bonds and the 401(k) sells stocks for bonds inside the account,
    so the waterfall plan (:func:`toolkit.plan`) costs no tax, while rebalancing each
    account on its own (``mode="naive"``) sells in the taxable account too.

    Returns
    -------
    Household
    """
    return _household(
        "Seed Example A (60/40, stocks in the 401(k))",
        accounts={"K": ("401k", "401(k)"), "T": ("taxable", "Taxable brokerage")},
        positions=[
            {"account": "K", "symbol": "VTI", "quantity": 560_000 / 300.0, "price": 300.0},
            {"account": "K", "symbol": "BND", "quantity": 140_000 / 75.0, "price": 75.0},
            {"account": "T", "symbol": "VTI", "quantity": 300.0, "price": 300.0,
             "cost_basis": 30_000.0},
            {"account": "T", "symbol": "BND", "quantity": 2_400.0, "price": 75.0,
             "cost_basis": 190_000.0},
            {"account": "T", "symbol": "CASH", "quantity": 30_000.0, "price": 1.0},
        ],
        lots=[
            {"account": "T", "symbol": "VTI", "quantity": 300.0, "cost_basis": 30_000.0,
             "acquired": "2015-01-05", "lot_id": "VTI-2015"},
            {"account": "T", "symbol": "BND", "quantity": 2_400.0, "cost_basis": 190_000.0,
             "acquired": "2021-01-05", "lot_id": "BND-2021"},
        ],
        targets={"us_equity": 0.6, "bonds": 0.4},
        as_of="2026-11-20",
        contributions={"K": 1_000.0},
    )


def example_b(newer_lot_short_term: bool = True) -> Household:
    """Seed Example B: $20,000 needed from a taxable account with an old and a new lot.

    The taxable account ``"TAX"`` holds 300 VTI at $250 in two lots: lot ``"A"``, 200 shares
    bought 2018-06-11 for $12,000 ($60 a share, long-term), and lot ``"B"``, 100 shares bought
    about a year ago for $23,000 ($230 a share). There is also an (empty) traditional IRA
    ``"IRA"``. As of 2026-06-15; married filing jointly, $185,000 taxable ordinary income, 5%
    state; target 60% US stocks, 40% bonds.

    What it shows: raising :data:`EXAMPLE_B_CASH_NEED` ($20,000 = 80 shares) by FIFO sells the
    old lot and realises a $15,200 long-term gain ($3,040 of tax), while selling the new lot
    realises $1,600 ($432 short-term, or $320 long-term once it is over a year old): run
    ``toolkit.compare_methods(h, "TAX", "VTI", dollars=20_000)``.

    Parameters
    ----------
    newer_lot_short_term : bool, default True
        True: lot B was bought 2025-08-15 (ten months before, short-term, long-term from
        2026-08-16). False: bought 2025-05-15 (thirteen months before, long-term).

    Returns
    -------
    Household
    """
    acquired = "2025-08-15" if newer_lot_short_term else "2025-05-15"
    term = "short-term" if newer_lot_short_term else "long-term"
    return _household(
        f"Seed Example B (newer lot {term})",
        accounts={"TAX": ("taxable", "Taxable brokerage"),
                  "IRA": ("traditional_ira", "Traditional IRA")},
        positions=[{"account": "TAX", "symbol": "VTI", "quantity": 300.0, "price": 250.0,
                    "cost_basis": 35_000.0}],
        lots=[{"account": "TAX", "symbol": "VTI", "quantity": 200.0, "cost_basis": 12_000.0,
               "acquired": "2018-06-11", "lot_id": "A"},
              {"account": "TAX", "symbol": "VTI", "quantity": 100.0, "cost_basis": 23_000.0,
               "acquired": acquired, "lot_id": "B"}],
        targets={"us_equity": 0.6, "bonds": 0.4},
        as_of="2026-06-15",
    )
