"""A household's sales and acquisitions, as the wash-sale rule reads them.

:func:`household_sales` (loss sales from ``realized``), :func:`household_acquisitions`
(purchases from ``transactions``, else open lots), :func:`resolve_symbols` (rows without a
symbol matched to a position by description), :func:`planned_sales` and
:func:`groups_setting`. Used by :mod:`toolkit.tax.wash`, the wash-sale threats, the
year-to-date profile (:func:`toolkit.tax.profile_for`), the planner's wash guard and
:func:`toolkit.history.rebuild_lots`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.errors import HouseholdError
from toolkit.household import per_household
from toolkit.schema import DATE_DTYPE, Action, TaxType
from toolkit.tax.wash_match import EPS

#: Columns of :func:`toolkit.tax.wash.forward_wash_check`'s frame, in order.
THREAT_COLUMNS = (
    "sale_account", "sale_symbol", "sale_quantity", "group", "account", "symbol", "date",
    "kind", "quantity", "dollars", "tax_type", "permanent", "safe_sell_date",
    "safe_buy_back_date", "note",
)


def _norm_symbol(s) -> str:
    return str(s).strip().upper()


def _norm_text(s: pd.Series) -> pd.Series:
    return s.astype("str").str.casefold().str.replace(r"[^0-9a-z]+", "", regex=True)


def resolve_symbols(tx: pd.DataFrame, positions: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Fill missing transaction symbols from the same account's position descriptions.

    Parameters
    ----------
    tx : DataFrame
        Canonical transactions (401(k) workplace rows often have no symbol).
    positions : DataFrame
        Canonical positions.

    Returns
    -------
    tuple
        ``(symbols, notes)``: the ``symbol`` column with a missing value filled where exactly
        one position of the same account has the same description (compared without case
        and punctuation), and notes on rows left without one.
    """
    sym = tx["symbol"].copy()
    need = sym.isna() & tx["description"].notna()
    notes: list[str] = []
    if not need.any():
        return sym, notes
    pos = positions.dropna(subset=["description"])
    pos = pos.assign(_d=_norm_text(pos["description"]))
    lookup = pos.groupby(["account", "_d"])["symbol"].agg(lambda x: sorted(set(x)))
    keys = list(zip(tx.loc[need, "account"], _norm_text(tx.loc[need, "description"]),
                    strict=True))
    found = [lookup.get(k) for k in keys]
    ok = [f[0] if f is not None and len(f) == 1 else None for f in found]
    sym.loc[need] = pd.Series(ok, index=sym.index[need], dtype="object")
    bad = [(k, f) for k, f, o in zip(keys, found, ok, strict=True) if o is None]
    if bad:
        desc = tx.loc[need, "description"].to_numpy()
        shown = sorted({(k[0], d, "ambiguous" if f else "no matching position")
                        for (k, f), d in zip(bad, desc[[o is None for o in ok]],
                                             strict=True)})
        notes.append(f"{len(bad)} purchase(s) without a symbol could not be matched to a "
                     "position by description, so they are not checked as replacements: "
                     + "; ".join(f"{a} {d!r} ({why})" for a, d, why in shown[:10])
                     + (" ..." if len(shown) > 10 else ""))
    return sym, notes


@per_household
def household_acquisitions(household) -> tuple[pd.DataFrame, list[str]]:
    """Every acquisition in the household that can be a wash-sale replacement.

    Parameters
    ----------
    household : Household
        ``buy``, ``reinvest`` and share-carrying ``contribution`` rows of ``transactions``
        (``quantity > 0``; symbols resolved by :func:`resolve_symbols`) in every account; for
        accounts without transactions, and lots older than an account's first transaction,
        the open lots' ``acquired`` dates.

    Returns
    -------
    tuple
        ``(acquisitions, notes)``: ``account``, ``symbol``, ``date``, ``quantity`` (shares),
        ``tax_type``, ids and source; notes on rows that could not be used.
    """
    tx = household.transactions
    notes: list[str] = []
    act = tx["action"]
    q = tx["quantity"]
    buys = act.isin([Action.BUY.value, Action.REINVEST.value, Action.CONTRIBUTION.value]) & (
        q > 0).fillna(False)
    t = tx[buys]
    sym, more = resolve_symbols(t, household.positions)
    notes.extend(more)
    kind = t["action"].map({Action.BUY.value: "buy", Action.REINVEST.value: "reinvest",
                            Action.CONTRIBUTION.value: "contribution_purchase"})
    contrib = tx[act.eq(Action.CONTRIBUTION.value) & tx["source_line"].notna()]
    if len(contrib):
        ck = set(zip(contrib["account"], contrib["source_file"], contrib["source_line"],
                     strict=True))
        paired = [k in ck for k in zip(t["account"], t["source_file"], t["source_line"],
                                       strict=True)]
        kind = kind.where(~(np.asarray(paired) & t["action"].eq(Action.BUY.value)),
                          "contribution_purchase")
    cost = (-t["amount"]).where(t["amount"] < 0, t["price"] * t["quantity"])
    from_tx = pd.DataFrame({
        "acq_id": [f"T{i}" for i in t.index], "account": t["account"], "symbol": sym,
        "date": t["date"], "quantity": t["quantity"], "cost": cost, "kind": kind,
        "lot_id": None,
    }).dropna(subset=["symbol"])

    # Accounts without transactions (and lots older than an account's history): the lots.
    first = tx.groupby("account")["date"].min()
    lots = household.lots
    start = (lots["account"].map(first) if len(first) else
             pd.Series(pd.NaT, index=lots.index)).astype(DATE_DTYPE)
    use = start.isna() | (lots["acquired"] < start)
    lt = lots[use]
    from_lots = pd.DataFrame({
        "acq_id": [f"L{i}" for i in lt.index], "account": lt["account"], "symbol": lt["symbol"],
        "date": lt["acquired"], "quantity": lt["quantity"],
        "cost": lt["cost_basis"] - lt["wash_sale_disallowed"].fillna(0.0), "kind": "lot",
        "lot_id": lt["lot_id"],
    })
    acq = pd.concat([f for f in (from_tx, from_lots) if len(f)], ignore_index=True) if (
        len(from_tx) or len(from_lots)) else from_tx.iloc[:0]
    acq = acq.sort_values(["date", "account"], kind="stable").reset_index(drop=True)
    types = household.accounts.set_index("account")["tax_type"]
    tt = acq["account"].map(types)
    if tt.isna().any():
        unknown = sorted(set(acq.loc[tt.isna(), "account"]))
        notes.append(f"acquisitions in account(s) {', '.join(unknown)} not in the household's "
                     "accounts are treated as taxable")
    acq["tax_type"] = tt.fillna(TaxType.TAXABLE.value)
    return acq, notes


@per_household
def household_sales(household) -> tuple[pd.DataFrame, list[str]]:
    """Every sale of the household's realised rows, as the wash-sale rule reads them.

    Parameters
    ----------
    household : Household
        ``realized`` (proceeds, cost basis, sold date; ``gain`` fills a missing figure) and
        the accounts' tax types.

    Returns
    -------
    tuple
        ``(sales, notes)``: one row per realised row, in its order: ``sale_id``,
        ``account``, ``symbol``, ``sale_date``, ``quantity`` (shares), ``proceeds``,
        ``cost_basis`` (dollars), ``acquired``, ``tax_type``, ``reported_disallowed`` (the
        broker's wash-sale figure, 0 when none); notes on rows that could not be read.
    """
    r = household.realized
    notes: list[str] = []
    proceeds = r["proceeds"].fillna(r["cost_basis"] + r["gain"])
    basis = r["cost_basis"].fillna(r["proceeds"] - r["gain"])
    ids = [f"{f}:{int(n)}" if isinstance(f, str) and pd.notna(n) else f"R{i}"
           for i, (f, n) in enumerate(zip(r["source_file"], r["source_line"], strict=True))]
    if len(set(ids)) < len(ids):
        ids = [f"R{i}" for i in range(len(r))]
    acc = household.accounts.set_index("account")
    sales = pd.DataFrame({
        "sale_id": ids, "account": r["account"], "owner": r["account"].map(acc["owner"]),
        "symbol": r["symbol"], "sale_date": r["sold"], "acquired": r["acquired"],
        "quantity": r["quantity"], "proceeds": proceeds, "cost_basis": basis,
        "tax_type": r["account"].map(acc["tax_type"]).fillna(TaxType.TAXABLE.value),
        "reported_disallowed": r["wash_sale_disallowed"].fillna(0.0),
    })
    unknown = sales["proceeds"].isna() | sales["cost_basis"].isna()
    if unknown.any():
        notes.append(f"{unknown.sum()} realised row(s) have no proceeds or cost basis, so "
                     "whether they are losses is unknown; they are not checked")
    noacq = sales["acquired"].isna() & ((sales["cost_basis"] - sales["proceeds"]) > 0)
    if noacq.any():
        notes.append(f"{noacq.sum()} loss sale(s) have no acquisition date: their own purchase "
                     "cannot be excluded and their holding period cannot be tacked")
    return sales, notes


def groups_setting(household, groups):
    """Declared substantially-identical groups: ``groups`` if given, else the household's.

    Parameters
    ----------
    household : Household
    groups : iterable of iterable of str or None

    Returns
    -------
    iterable of iterable of str
        ``groups``, else ``household.settings["substantially_identical"]``, else ``()``.
    """
    if groups is not None:
        return groups
    return household.settings.get("substantially_identical") or ()


def planned_sales(household, sales) -> pd.DataFrame:
    """Normalise planned sales to one row per lot sold: account, symbol, quantity, acquired."""
    if isinstance(sales, pd.DataFrame):
        plan = sales.copy()
    elif isinstance(sales, str):
        plan = pd.DataFrame({"lot_id": [sales]})
    else:
        items = list(sales)
        plan = pd.DataFrame([{"lot_id": x} if isinstance(x, str) else dict(x) for x in items])
    lots = household.lots
    out = []
    for k, row in enumerate(plan.to_dict("records")):
        lid = row.get("lot_id")
        if isinstance(lid, str):
            hit = lots[lots["lot_id"] == lid]
            if hit.empty:
                raise HouseholdError(f"planned sale #{k + 1}: no open lot {lid!r}")
            lot = hit.iloc[0]
            qty = row.get("quantity")
            qty = lot["quantity"] if qty is None or pd.isna(qty) else float(qty)
            out.append({"sale": k, "account": lot["account"], "symbol": lot["symbol"],
                        "quantity": qty, "acquired": lot["acquired"]})
            continue
        if "account" not in row or "symbol" not in row:
            raise HouseholdError(f"planned sale #{k + 1}: give a lot_id, or an account and a "
                                 "symbol (and optionally a quantity)")
        acct, sym = str(row["account"]), _norm_symbol(row["symbol"])
        held = lots[(lots["account"] == acct) & (lots["symbol"].str.upper() == sym)]
        held = held.sort_values("acquired", kind="stable")  # FIFO: conservative (see Notes)
        want = row.get("quantity")
        total = float(held["quantity"].sum())
        want = total if want is None or pd.isna(want) else float(want)
        if held.empty:
            out.append({"sale": k, "account": acct, "symbol": sym, "quantity": want,
                        "acquired": pd.NaT})
            continue
        left = want
        for _, lot in held.iterrows():
            if left <= EPS:
                break
            take = min(left, float(lot["quantity"]))
            out.append({"sale": k, "account": acct, "symbol": lot["symbol"], "quantity": take,
                        "acquired": lot["acquired"]})
            left -= take
    return pd.DataFrame(out, columns=["sale", "account", "symbol", "quantity", "acquired"])
