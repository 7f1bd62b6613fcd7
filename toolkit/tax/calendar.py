"""The wash-sale calendar: what is blocked across the household today, and until when.

Two things block trades in a group of substantially identical securities (IRC §1091; the
61-day window of :mod:`toolkit.tax.wash`):

- **A recent loss sale** (``household.realized``, in a taxable account, sold within the last
  30 days) whose loss is not yet washed: buying the group in *any* household account before
  the sale date + 31 days washes it (for good when the buy is in an IRA, 401(k) or HSA). Read
  from :func:`~toolkit.tax.wash.wash_sale_result` (the unmatched, still ``allowed`` loss).
- **A recent purchase** (in the last 30 days, or already recorded in the next 30) in any
  account: selling the group at a loss in a taxable account before the purchase date + 31
  days is washed by it. Read from :func:`~toolkit.tax.wash.forward_wash_check` run on every
  taxable holding, assuming the lots bought before the window are the ones sold (so a
  purchase in the same account inside the window counts; its shares already used as
  replacement for an earlier loss do not).

Planned contributions and expected dividend reinvestments have no fixed end: they are listed
as ``ongoing`` threats, filtered as :func:`toolkit.tax.harvest.harvest` does (a reinvestment
expected more than 30 days after ``as_of`` is not a threat to a sale today).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.household import Household
from toolkit.schema import DATE_DTYPE, TaxType
from toolkit.tax import wash_household as hh
from toolkit.tax.wash import (
    SubstantiallyIdentical,
    forward_wash_check,
    wash_sale_result,
    wash_window,
)

__all__ = ["CALENDAR_COLUMNS", "wash_calendar"]

#: Columns of :func:`wash_calendar`, in order.
CALENDAR_COLUMNS = (
    "group", "symbols", "do_not_buy_until", "buy_blocked_by", "loss_at_stake",
    "do_not_sell_at_loss_until", "sell_blocked_by", "sell_block_permanent", "ongoing", "note",
)
_EPS = 0.005  # dollars


def _join(values: Iterable) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values if isinstance(v, str) and v))


def _ongoing_text(t: pd.Series) -> str:
    where = f"{t['account']} ({t['tax_type']})"
    if t["kind"] == "scheduled_contribution":
        return f"planned contribution to {where} buys {t['symbol']} (date not given)"
    when = f"expected {pd.Timestamp(t['date']).date()}" if pd.notna(t["date"]) else \
        "date unknown"
    return f"reinvestment of {t['symbol']} in {where}, {when}"


def wash_calendar(household: Household, *,
                  policy: str | SubstantiallyIdentical = "same_security", as_of=None,
                  groups: Iterable[Iterable[str]] | None = None) -> pd.DataFrame:
    """What the wash-sale rule blocks across the household on ``as_of``, and until when.

    Parameters
    ----------
    household : Household
        Realised sales (``household.realized``), acquisitions (transactions and lots),
        positions, contributions and accounts, as :func:`~toolkit.tax.wash.wash_sale_result`
        and :func:`~toolkit.tax.wash.forward_wash_check` read them.
    policy : str or SubstantiallyIdentical, default "same_security"
        Which securities are substantially identical (``same_security``, ``same_index``).
    as_of : date-like, optional
        Today (default ``household.as_of``).
    groups : iterable of iterable of str, optional
        Declared groups; default ``household.settings["substantially_identical"]``.

    Returns
    -------
    DataFrame
        One row per group with something blocked or an ongoing threat, columns
        :data:`CALENDAR_COLUMNS`, earliest date first:

        - ``group``: the group key (:func:`~toolkit.tax.wash.identity_groups`); ``symbols``
          the household's symbols in it, ``";"``-joined;
        - ``do_not_buy_until`` (date): the first day buying the group in any account no longer
          washes a recent loss (latest loss sale + 31 days); NaT when nothing blocks buying;
          ``buy_blocked_by`` the account(s) of those loss sales; ``loss_at_stake`` their loss
          not yet washed (dollars, 0 when none);
        - ``do_not_sell_at_loss_until`` (date): the first day a loss sale in a taxable account
          is out of reach of the group's recent purchases (latest purchase + 31 days); NaT
          when none; ``sell_blocked_by`` the account(s) of those purchases;
          ``sell_block_permanent`` True when one is in a tax-advantaged account (the washed
          loss would be lost for good);
        - ``ongoing``: planned contributions and expected reinvestments that would wash a
          loss sale of the group today, ``"; "``-joined (``""`` when none);
        - ``note``: the same in one plain sentence per block.
    """
    day0 = pd.Timestamp(as_of if as_of is not None else household.as_of).normalize()
    before, after = wash_window()
    pol = SubstantiallyIdentical.coerce(policy, hh.groups_setting(household, groups))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = wash_sale_result(household, policy=pol, groups=())

    # --- loss sales still open: buying the group washes them
    r = done.rows
    open_ = r[(r["allowed"] > _EPS) & (r["sale_date"] <= day0)
              & (r["sale_date"] + pd.Timedelta(days=after) >= day0)]
    buy = open_.groupby("group", sort=False).agg(
        last_sale=("sale_date", "max"), buy_blocked_by=("account", _join),
        loss_at_stake=("allowed", "sum"))

    # --- purchases in the window: a loss sale of the group is washed
    threats = forward_wash_check(household, _planned_sales(household, day0, before),
                                 as_of=day0, policy=pol, groups=())
    threats = threats.drop_duplicates(["account", "symbol", "date", "kind", "quantity"])
    recent = threats[threats["kind"] == "recent_purchase"]
    sell = recent.groupby("group", sort=False).agg(
        do_not_sell_at_loss_until=("safe_sell_date", "max"),
        sell_blocked_by=("account", _join), sell_block_permanent=("permanent", "any"))
    later = threats[(threats["kind"] != "recent_purchase")
                    & ~(threats["date"] > day0 + pd.Timedelta(days=after)).fillna(False)]
    ongoing = later.assign(text=[_ongoing_text(t) for _, t in later.iterrows()]).groupby(
        "group", sort=False)["text"].agg(_join) if len(later) else pd.Series(dtype="str")

    keys = list(dict.fromkeys([*buy.index, *sell.index, *ongoing.index]))
    if not keys:
        return _empty()
    out = pd.DataFrame(index=pd.Index(keys, name="group"))
    out["symbols"] = _symbols(household, pol, keys, r, threats)
    out["do_not_buy_until"] = (buy["last_sale"] + pd.Timedelta(days=after + 1)).reindex(keys)
    out["buy_blocked_by"] = buy["buy_blocked_by"].reindex(keys)
    out["loss_at_stake"] = buy["loss_at_stake"].reindex(keys).fillna(0.0).round(2)
    out["do_not_sell_at_loss_until"] = sell["do_not_sell_at_loss_until"].reindex(keys)
    out["sell_blocked_by"] = sell["sell_blocked_by"].reindex(keys)
    out["sell_block_permanent"] = sell["sell_block_permanent"].reindex(keys).fillna(False)
    out["ongoing"] = ongoing.reindex(keys).fillna("")
    out = out.reset_index()
    out["note"] = [_note(row, open_, recent) for _, row in out.iterrows()]
    first = out[["do_not_buy_until", "do_not_sell_at_loss_until"]].min(axis=1)
    out = out.assign(_first=first).sort_values(["_first", "group"], kind="stable",
                                                na_position="last")
    return _typed(out.drop(columns="_first").reset_index(drop=True))


def _planned_sales(household: Household, day0: pd.Timestamp, before: int) -> pd.DataFrame:
    """Every taxable holding, selling the lots bought before the window (else all of it)."""
    types = household.accounts.set_index("account")["tax_type"]
    pos = household.positions
    pos = pos[pos["account"].map(types).eq(TaxType.TAXABLE.value)
              & pos["asset_class"].ne("cash") & (pos["quantity"] > 0)]
    held = pos[["account", "symbol"]].drop_duplicates()
    lots = household.lots
    old = lots[lots["acquired"] < day0 - pd.Timedelta(days=before)]
    qty = old.groupby(["account", "symbol"])["quantity"].sum()
    q = [qty.get((a, s), np.nan) for a, s in zip(held["account"], held["symbol"], strict=True)]
    return held.assign(quantity=np.where(np.asarray(q, dtype=float) > 0, q, np.nan)
                       ).reset_index(drop=True)


def _symbols(household: Household, pol: SubstantiallyIdentical, keys: list[str],
             rows: pd.DataFrame, threats: pd.DataFrame) -> list[str]:
    syms = pd.concat([household.positions["symbol"], household.lots["symbol"],
                      household.transactions["symbol"], household.realized["symbol"],
                      rows["symbol"], threats["symbol"]], ignore_index=True).dropna()
    k = pol.keys(syms, household.securities)
    return [";".join(sorted(k.index[k == g])) for g in keys]


def _fmt_date(d) -> str:
    return str(pd.Timestamp(d).date())


def _note(row: pd.Series, open_: pd.DataFrame, recent: pd.DataFrame) -> str:
    parts = []
    g = row["group"]
    if pd.notna(row["do_not_buy_until"]):
        s = open_[open_["group"] == g].sort_values("sale_date")
        sales = ", ".join(f"{a} on {_fmt_date(d)}" for a, d in
                          dict.fromkeys(zip(s["account"], s["sale_date"], strict=True)))
        parts.append(f"Sold at a loss in {sales} (${row['loss_at_stake']:,.2f} not yet washed): "
                     f"do not buy {row['symbols'].replace(';', ', ')} in any account before "
                     f"{_fmt_date(row['do_not_buy_until'])} (in an IRA, 401(k) or HSA the loss "
                     "would be lost for good).")
    if pd.notna(row["do_not_sell_at_loss_until"]):
        p = recent[recent["group"] == g].sort_values("date")
        buys = ", ".join(f"{sym} in {a} on {_fmt_date(d)}" for sym, a, d in dict.fromkeys(
            zip(p["symbol"], p["account"], p["date"], strict=True)))
        end = " (for good: a purchase is in a tax-advantaged account)" if row[
            "sell_block_permanent"] else ""
        parts.append(f"Bought {buys}: a loss sale before "
                     f"{_fmt_date(row['do_not_sell_at_loss_until'])} would be washed{end}.")
    if row["ongoing"]:
        parts.append(f"Ongoing: {row['ongoing']}.")
    return " ".join(parts)


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    out = out[list(CALENDAR_COLUMNS)].copy()
    for c in ("do_not_buy_until", "do_not_sell_at_loss_until"):
        out[c] = pd.to_datetime(out[c]).astype(DATE_DTYPE)
    for c in ("group", "symbols", "buy_blocked_by", "sell_blocked_by", "ongoing", "note"):
        out[c] = out[c].astype("str")
    out["loss_at_stake"] = out["loss_at_stake"].astype("float64")
    out["sell_block_permanent"] = out["sell_block_permanent"].astype("bool")
    return out


def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: pd.Series(dtype="object") for c in CALENDAR_COLUMNS}))
