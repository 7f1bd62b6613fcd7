"""Build small households in tests without files: frames from plain rows, validated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from toolkit.accounts import account_key
from toolkit.household import Household, TaxProfile, validate_targets
from toolkit.schema import (
    LOTS,
    POSITIONS,
    REALIZED,
    TRANSACTIONS,
    validate_accounts,
    validate_lots,
    validate_positions,
    validate_realized,
    validate_transactions,
)
from toolkit.securities import load_securities


def frame(rows: Iterable[Mapping], schema, validate) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        return schema.empty()
    return validate(pd.DataFrame(rows))


def profile(**kw) -> TaxProfile:
    base = dict(filing_status="married_filing_jointly", year=2026, ordinary_income=185_000.0,
                state_rate=0.05)
    base.update(kw)
    return TaxProfile(**base)


def household(*, accounts: Mapping[str, str], positions=(), lots=(), transactions=(),
              realized=(), targets=None, tax_profile: TaxProfile | None = None,
              as_of="2026-11-20", contributions=None, securities=None, owners=None,
              settings=None) -> Household:
    """accounts: id -> tax type. positions/lots/transactions: iterables of dict rows.

    Positions without ``market_value`` get quantity x price; without ``asset_class`` they are
    classified by the security master.
    """
    master = securities or load_securities()
    acc = validate_accounts(pd.DataFrame([
        {"account": a, "account_key": str(account_key(a)), "name": a,
         "owner": (owners or {}).get(a, "A"), "custodian": "test", "tax_type": t}
        for a, t in accounts.items()]))
    prow = []
    for r in positions:
        r = dict(r)
        r.setdefault("market_value", r["quantity"] * r["price"])
        r.setdefault("source_file", "test")
        prow.append(r)
    pos = frame(prow, POSITIONS, validate_positions)
    if len(pos):
        cls = master.classify(pos["symbol"], pos["cusip"])
        pos["asset_class"] = pos["asset_class"].where(pos["asset_class"].notna(), cls)
        pos.loc[pos["symbol"].str.upper().eq("CASH"), "asset_class"] = "cash"
    return Household(
        name="test",
        profile=tax_profile or profile(),
        as_of=pd.Timestamp(as_of),
        targets=validate_targets(targets or {"us_equity": 0.6, "bonds": 0.4}),
        accounts=acc,
        positions=pos,
        lots=frame(lots, LOTS, validate_lots),
        transactions=frame(transactions, TRANSACTIONS, validate_transactions),
        realized=frame(realized, REALIZED, validate_realized),
        contributions=dict(contributions or {}),
        securities=master,
        settings=dict(settings or {}),
    )
