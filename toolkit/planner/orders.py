"""The order list: what a person keys in at the custodian (or maps to its upload), per trade.

:func:`orders` turns a plan's trades into orders: one row per order, or, for a sale in a
taxable account, one row per lot it relieves (the rows of one order share ``order_id``;
``quantity`` is that lot's shares), so the custodian books the lots the plan priced (specific
identification: Treas. Reg. §1.1012-1(c)). ETFs and stocks are ordered in shares (whole
shares under the plan's default), mutual funds, collective trusts, money-market funds and
every trade in an employer plan in dollars. Market orders, good for the day; sells first
(their cash pays for the buys). The list follows no custodian's upload format (README,
"The order list").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from toolkit._xlsx import safe_frame, write_sheet
from toolkit.accounts import AccountMasker
from toolkit.planner._book import DOLLAR_VEHICLES
from toolkit.schema import TaxType

__all__ = ["ORDER_COLUMNS", "orders", "orders_to_csv", "orders_to_xlsx"]

#: Columns of :func:`orders`.
ORDER_COLUMNS = [
    "order_id", "account", "account_name", "side", "symbol", "quantity", "unit",
    "order_type", "time_in_force", "est_price", "est_amount", "lot_id", "lot_acquired",
    "lot_shares", "lot_cost_basis",
]


def _in_dollars(plan, account: str, symbol: str, tax_type: str) -> bool:
    h = plan.household
    if h is None:
        return False
    if TaxType(tax_type).is_employer_plan:
        return True
    row = h.securities.get(symbol)
    return row is not None and row["vehicle"] in DOLLAR_VEHICLES


def orders(plan) -> pd.DataFrame:
    """The plan's trades as orders (module docstring).

    Parameters
    ----------
    plan : Plan

    Returns
    -------
    DataFrame
        :data:`ORDER_COLUMNS`: ``quantity`` in ``unit`` (``shares`` or ``dollars``),
        ``order_type`` ``market``, ``time_in_force`` ``day``, ``est_price`` and
        ``est_amount`` (dollars, the plan's prices); for each lot a taxable sale relieves
        ``lot_id``, ``lot_acquired`` (date), ``lot_shares`` and ``lot_cost_basis``
        (dollars); empty for other orders.
    """
    t = plan.trades
    lots = plan.lots
    rows: list[dict] = []
    # one order per account, fund and side (the plan's steps may trade a fund twice)
    g = t.groupby(["account", "symbol", "side"], sort=False)
    order = g.agg(account_name=("account_name", "first"), tax_type=("tax_type", "first"),
                  shares=("shares", "sum"), amount=("amount", "sum"), price=("price", "first"),
                  ).reset_index()
    order["_buy"] = order["side"].ne("sell")
    order = order.sort_values(["_buy", "account"], kind="stable")
    for n, r in enumerate(order.itertuples(index=False), start=1):
        dollars = _in_dollars(plan, r.account, r.symbol, r.tax_type)
        base = {"order_id": n, "account": r.account, "account_name": r.account_name,
                "side": r.side, "symbol": r.symbol,
                "quantity": round(float(r.amount), 2) if dollars else float(r.shares),
                "unit": "dollars" if dollars else "shares", "order_type": "market",
                "time_in_force": "day", "est_price": float(r.price),
                "est_amount": round(float(r.amount), 2)}
        mine = lots[(lots["account"] == r.account) & (lots["symbol"] == r.symbol)] \
            if r.side == "sell" and len(lots) else lots[:0]
        if r.tax_type != "taxable" or mine.empty:
            rows.append(base)
            continue
        mine = mine.groupby("lot_id", sort=False).agg(
            acquired=("acquired", "first"), quantity=("quantity", "sum"),
            cost_basis=("cost_basis", "sum")).reset_index()  # a lot sold in two steps
        for lot in mine.itertuples(index=False):
            q = float(lot.quantity)
            rows.append({**base, "quantity": round(q * float(r.price), 2) if dollars else q,
                         "est_amount": round(q * float(r.price), 2), "lot_id": lot.lot_id,
                         "lot_acquired": lot.acquired, "lot_shares": q,
                         "lot_cost_basis": round(float(lot.cost_basis), 2)})
    out = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    for c in ("quantity", "est_price", "est_amount", "lot_shares", "lot_cost_basis"):
        out[c] = out[c].astype("float64")
    out["order_id"] = out["order_id"].astype("int64")
    out["lot_acquired"] = pd.to_datetime(out["lot_acquired"]).dt.normalize()
    for c in ("account", "account_name", "side", "symbol", "unit", "order_type",
              "time_in_force", "lot_id"):
        out[c] = out[c].fillna("").astype("str")
    return out


def _masked(plan, df: pd.DataFrame, mask_accounts: bool) -> pd.DataFrame:
    if not mask_accounts:
        return df
    masker = (AccountMasker.of(plan.household.accounts) if plan.household is not None
              else AccountMasker.of(list(df["account"])))
    return masker.frame(df)


def orders_to_csv(plan, path, *, mask_accounts: bool = False) -> None:
    """Write :func:`orders` as CSV (formula-safe text; dates as YYYY-MM-DD).

    Parameters
    ----------
    plan : Plan
    path : str or Path
    mask_accounts : bool, default False
        Show account ids as ``...`` plus their last three characters.
    """
    df = _masked(plan, orders(plan), mask_accounts)
    df["lot_acquired"] = df["lot_acquired"].dt.strftime("%Y-%m-%d").fillna("")
    safe_frame(df).to_csv(Path(path), index=False)


def orders_to_xlsx(plan, path, *, mask_accounts: bool = False) -> None:
    """Write :func:`orders` as a formatted workbook (one sheet, ``Orders``).

    Parameters
    ----------
    plan : Plan
    path : str or Path
    mask_accounts : bool, default False
        Show account ids as ``...`` plus their last three characters.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "Orders"
    write_sheet(ws, _masked(plan, orders(plan), mask_accounts), formats={
        "quantity": "shares", "est_price": "money", "est_amount": "money",
        "lot_acquired": "date", "lot_shares": "shares", "lot_cost_basis": "money"})
    wb.save(Path(path))
