"""Build small households in tests without files: frames from plain rows, validated."""

from __future__ import annotations

from collections.abc import Mapping

from toolkit.history import replay_household
from toolkit.household import Household, TaxProfile


def profile(**kw) -> TaxProfile:
    base = dict(filing_status="married_filing_jointly", year=2026, ordinary_income=185_000.0,
                state_rate=0.05)
    base.update(kw)
    return TaxProfile(**base)


def household(*, accounts: Mapping[str, str], positions=(), lots=(), transactions=(),
              realized=(), targets=None, tax_profile: TaxProfile | None = None,
              as_of="2026-11-20", contributions=None, securities=None, owners=None,
              settings=None, pending=(), skipped=None) -> Household:
    """accounts: id -> tax type. positions/lots/transactions: iterables of dict rows.

    Built like every household (:meth:`Household.from_frames`, then the history step
    :func:`toolkit.history.replay_household`), except that no lots are rebuilt from the
    history: a test gives the lots it means. Positions without ``market_value`` get
    quantity x price; without ``asset_class`` they are classified by the security master.
    """
    h = Household.from_frames(
        name="test",
        profile=tax_profile or profile(),
        as_of=as_of,
        targets=targets or {"us_equity": 0.6, "bonds": 0.4},
        accounts=[{"account": a, "name": a, "owner": (owners or {}).get(a, "A"),
                   "custodian": "test", "tax_type": t} for a, t in accounts.items()],
        positions=[{"source_file": "test", **r} for r in positions],
        lots=lots,
        transactions=transactions,
        realized=realized,
        contributions=contributions,
        securities=securities,
        settings=settings,
        pending=pending,
        skipped=skipped,
    )
    return replay_household(h, rebuild=False)
