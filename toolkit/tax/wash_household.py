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
from toolkit.tax.harvest_log import log_acquisitions
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


def sale_ids(realized: pd.DataFrame) -> list[str]:
    """The id of each realised row as a sale: ``<file>:<line>``, else ``R<position>``.

    Parameters
    ----------
    realized : DataFrame
        Canonical realised rows.

    Returns
    -------
    list of str
        One id per row, in order; all ``R<position>`` when file and line do not tell the rows
        apart.
    """
    ids = [f"{f}:{int(n)}" if isinstance(f, str) and pd.notna(n) else f"R{i}"
           for i, (f, n) in enumerate(zip(realized["source_file"], realized["source_line"],
                                          strict=True))]
    if len(set(ids)) < len(ids):
        ids = [f"R{i}" for i in range(len(realized))]
    return ids


@per_household
def household_acquisitions(household) -> tuple[pd.DataFrame, list[str]]:
    """Every acquisition in the household that can be a wash-sale replacement.

    Parameters
    ----------
    household : Household
        ``buy``, ``reinvest`` and share-carrying ``contribution`` rows of ``transactions``
        (``quantity > 0``; symbols resolved by :func:`resolve_symbols`) in every account; for
        accounts without transactions, and shares acquired before an account's first
        transaction, the open lots' ``acquired`` dates (kind ``lot``) and the realised rows'
        (kind ``sold_lot``: shares bought and sold since, tied to their sale by ``sale_id``,
        :func:`sale_ids`); replacements in the household's harvest log that no transaction
        shows yet (kind ``harvest_log``,
        :func:`~toolkit.tax.harvest_log.log_acquisitions`).

    Returns
    -------
    tuple
        ``(acquisitions, notes)``: ``acq_id``, ``account``, ``symbol``, ``date``,
        ``quantity`` (shares), ``cost`` (dollars), ``kind``, ``lot_id``, ``sale_id``,
        ``tax_type``; notes on rows that could not be used.
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
    # Shares a broker's realised rows say were bought, where no transaction shows the buy:
    # sold since, but bought inside a window all the same (each tied to its sale, so a
    # wash-sale chain can follow it: toolkit.tax.wash_chain).
    r = household.realized
    r_start = (r["account"].map(first) if len(first) else
               pd.Series(pd.NaT, index=r.index)).astype(DATE_DTYPE)
    keep = ((r_start.isna() | (r["acquired"] < r_start)) & r["acquired"].notna()
            & (r["quantity"] > 0).fillna(False)).to_numpy()
    rt = r[keep]
    ids = sale_ids(r)
    at = np.flatnonzero(keep)
    from_sold = pd.DataFrame({
        "acq_id": [f"S{i}" for i in at], "account": rt["account"], "symbol": rt["symbol"],
        "date": rt["acquired"], "quantity": rt["quantity"], "cost": rt["cost_basis"],
        "kind": "sold_lot", "lot_id": None, "sale_id": [ids[i] for i in at],
    })
    # Replacements a harvest log records that no transaction shows yet (bought after the
    # last download): shares from the dollars reinvested and the position's price.
    log = household.harvest_log
    from_log = None
    if len(log):
        pos = household.positions
        prices = pos.dropna(subset=["price"]).groupby("symbol")["price"].last()
        la, more = log_acquisitions(log, tx, prices)
        notes.extend(more)
        from_log = pd.DataFrame({
            "acq_id": [f"H{n}" for n in la["source_line"]], "account": la["account"],
            "symbol": la["symbol"], "date": la["date"], "quantity": la["quantity"],
            "cost": la["cost"], "kind": "harvest_log", "lot_id": None})
    parts = [f for f in (from_tx, from_lots, from_sold, from_log) if f is not None and len(f)]
    acq = pd.concat(parts, ignore_index=True) if parts else from_tx.iloc[:0]
    if "sale_id" not in acq.columns:
        acq["sale_id"] = None
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
    ids = sale_ids(r)
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


def _holdings(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """The distinct (account, symbol) pairs of a frame (a frame of lots is long)."""
    d = frame[["account", "symbol"]].drop_duplicates()
    return set(zip(d["account"].tolist(), d["symbol"].tolist(), strict=True))


@per_household
def unlisted_lots(household) -> pd.DataFrame:
    """Open lots the history replay leaves in holdings that no file lists.

    An account whose only file is its history (or a holding its positions file does not
    list) still holds what the history says it bought and did not sell: those lots are not
    positions (no price, not valued or planned), but a wash-sale replacement among them
    takes its basis like any other lot.

    Parameters
    ----------
    household : Household
        Reads ``household.history.lots`` (none when the household was not replayed), the
        positions and the lots.

    Returns
    -------
    DataFrame
        Canonical lots (:data:`~toolkit.schema.LOTS`) of the (account, symbol) pairs with
        neither a position nor a lot in the household, less the shares that realised rows
        dated on a day the history sold none of that holding say were sold (the history
        missed those sales: a broker's realised file covers them). Those rows relieve the
        lots acquired on their ``acquired`` date first, then the oldest.
    """
    if household.history is None:
        return household.lots.iloc[:0]
    hist = household.history.lots
    if hist.empty:
        return hist
    known = _holdings(household.positions) | _holdings(household.lots)
    keep = [k not in known for k in zip(hist["account"], hist["symbol"], strict=True)]
    out = hist[np.asarray(keep, dtype=bool)].reset_index(drop=True)
    if out.empty:
        return out
    sells = household.transactions[household.transactions["action"].eq(Action.SELL.value)]
    sold_days = set(zip(sells["account"], sells["symbol"], sells["date"], strict=True))
    pairs = set(zip(out["account"], out["symbol"], strict=True))
    r = household.realized
    missed = [(a, s, q, acq) for a, s, day, q, acq in zip(
        r["account"], r["symbol"], r["sold"], r["quantity"], r["acquired"], strict=True)
        if (a, s) in pairs and (a, s, day) not in sold_days and pd.notna(q) and q > 0]
    if not missed:
        return out
    qty = out["quantity"].to_numpy(dtype="float64").copy()
    basis = out["cost_basis"].to_numpy(dtype="float64").copy()
    for a, s, q, acq in missed:
        mine = out.index[out["account"].eq(a) & out["symbol"].eq(s)]
        mine = sorted(mine, key=lambda i: (out["acquired"].iat[i] != acq, out["acquired"].iat[i]))
        left = float(q)
        for i in mine:
            take = min(left, qty[i])
            if take <= EPS:
                continue
            basis[i] -= basis[i] * take / qty[i]
            qty[i] -= take
            left -= take
            if left <= EPS:
                break
    out = out.assign(quantity=qty, cost_basis=basis)
    return out[qty > EPS].reset_index(drop=True)


#: Columns of :func:`expected_reinvestments`, in order.
REINVESTMENT_COLUMNS = ("account", "symbol", "n", "last_date", "next_date", "quantity",
                        "dollars", "note")


def expected_reinvestments(household, *, as_of=None) -> pd.DataFrame:
    """Dividend reinvestments the household should expect: purchases the wash rule counts.

    A holding still held whose account reinvested its distributions in the past year (any
    household account: a reinvestment in an IRA washes a taxable loss as well, Rev. Rul.
    2008-5) will most likely buy shares again. The wash-sale guard of the planner and the
    harvest tool treat such a holding as a purchase of its group: a loss sale of the group
    within 30 days of ``next_date`` (or at any time when ``next_date`` is unknown) may be
    washed.

    Parameters
    ----------
    household : Household
        ``reinvest`` rows of ``transactions`` (symbols resolved by :func:`resolve_symbols`)
        and the positions (only holdings with shares are kept).
    as_of : date-like, optional
        The day to look back a year from (default ``household.as_of``).

    Returns
    -------
    DataFrame
        :data:`REINVESTMENT_COLUMNS`, one row per (account, symbol) sorted by both: ``n``
        reinvestments in the year up to ``as_of``, ``last_date``, ``next_date`` (the last
        plus the median gap between them; NaT with a single one), ``quantity`` and
        ``dollars`` of the last one (shares, dollars), and a ``note``.
    """
    day0 = pd.Timestamp(household.as_of if as_of is None else as_of).normalize()
    tx = household.transactions
    pos = household.positions
    reinv = tx[tx["action"].eq(Action.REINVEST.value)
               & (tx["date"] > day0 - pd.Timedelta(days=365)) & (tx["date"] <= day0)]
    empty = pd.DataFrame({
        "account": pd.Series(dtype="str"), "symbol": pd.Series(dtype="str"),
        "n": pd.Series(dtype="int64"), "last_date": pd.Series(dtype=DATE_DTYPE),
        "next_date": pd.Series(dtype=DATE_DTYPE), "quantity": pd.Series(dtype="float64"),
        "dollars": pd.Series(dtype="float64"), "note": pd.Series(dtype="str")})
    if reinv.empty:
        return empty
    sym, _ = resolve_symbols(reinv, pos)
    reinv = reinv.assign(symbol=sym).dropna(subset=["symbol"])
    still = pos.loc[pos["quantity"] > 0, ["account", "symbol"]].drop_duplicates()
    reinv = reinv.merge(still, on=["account", "symbol"], how="inner")
    if reinv.empty:
        return empty
    reinv = reinv.sort_values(["account", "symbol", "date"], kind="stable")
    g = reinv.groupby(["account", "symbol"], sort=True)
    gap = reinv["date"].diff().where(reinv[["account", "symbol"]].eq(
        reinv[["account", "symbol"]].shift()).all(axis=1))
    per = pd.DataFrame({
        "n": g.size(), "last_date": g["date"].last(),
        "gap": gap.groupby([reinv["account"], reinv["symbol"]]).median(),
        "quantity": g["quantity"].last(), "dollars": -g["amount"].last(),
    }).reset_index()
    per["next_date"] = (per["last_date"] + per["gap"]).where(per["gap"].notna()).astype(
        DATE_DTYPE)
    per["n"] = per["n"].astype("int64")
    per["note"] = [f"{n} reinvestment(s) in the past year, last {d.date()}; turn off "
                   "reinvestment or wait" for n, d in zip(per["n"], per["last_date"],
                                                            strict=True)]
    for c in ("account", "symbol", "note"):
        per[c] = per[c].astype("str")
    return per[list(REINVESTMENT_COLUMNS)].reset_index(drop=True)


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
