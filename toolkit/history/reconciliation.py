"""Do a household's lots explain its positions? The reconciliation report.

The planner may only sell lots it can trust. :func:`reconcile` compares, per account and
symbol, the shares and basis of the positions with those of the lots (from a broker's lot
file or rebuilt from history by :func:`toolkit.history.rebuild_lots`) and with the shares the
transaction history implies, and says which holdings are trusted.

Statuses (:data:`STATUSES`), checked in this order:

``rows_skipped``
    A data row of the holding (a position, lot or trade row naming its account and symbol)
    could not be read by its loader (:attr:`Household.unreliable
    <toolkit.household.Household.unreliable>`): what is known of the holding may be
    incomplete, whatever the other figures say. Never trusted, in any account type.
``position_without_lots``
    A taxable position no lots cover (no lot file, and a history that does not explain it).
``lots_without_position``
    Lots of a symbol the account no longer holds.
``quantity_mismatch``
    The lots hold more or fewer shares than the position (beyond ``share_tolerance``).
``basis_missing``
    The lots hold the position's shares but at least one has no cost basis (a transfer in
    without basis, a lot file with blank cost).
``basis_mismatch``
    Quantities agree but the lots' total basis differs from the basis the position reports
    by more than ``dollar_tolerance`` plus ``price_rounding`` a share (a wrong
    ``cost_basis_method``, a missed adjustment). The per-share part is there because some
    brokers give basis only as a price per share rounded to 4 decimals (E*TRADE's
    ``Price Paid $``, for the position and for each lot): each figure is then off by up to
    $0.00005 a share, so the lots' total and the position's can differ by up to $0.0001 a
    share held (1,000 shares: $0.10) with nothing wrong.
``matched``
    Quantities agree (and bases, where the position gives one).
``not_needed``
    A tax-advantaged account (IRA, Roth, 401(k), HSA, ...): sales there realise no gain, so
    lots are not needed; lots that exist and disagree with the position are still reported
    (``quantity_mismatch`` or ``lots_without_position``).

``trusted`` is True for ``matched`` in taxable accounts and for ``not_needed``.
Cash positions (asset class ``cash``: sweeps and money-market funds) are left out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.history.replay import HistoryResult, rebuild_lots
from toolkit.history.replay import fmt_shares as _qty
from toolkit.schema import TaxType

__all__ = ["COLUMNS", "STATUSES", "reconcile", "reconcile_frames", "reconciliation_summary",
           "replay_for"]

#: Every status :func:`reconcile` gives, in the order of the module docstring.
STATUSES = ("rows_skipped", "position_without_lots", "lots_without_position", "quantity_mismatch",
            "basis_missing", "basis_mismatch", "matched", "not_needed")
#: Columns of the report, in order.
COLUMNS = ("account", "symbol", "tax_type", "position_quantity", "lots_quantity",
           "history_quantity", "position_basis", "lots_basis", "status", "detail",
           "lots_source", "trusted")


def _money(x: float) -> str:
    return f"${x:,.2f}"


def replay_for(household) -> HistoryResult:
    """One replay of a household's whole transaction history, with its accounts' methods.

    Parameters
    ----------
    household : Household
        Uses ``accounts`` (``cost_basis_method``), ``transactions``, ``realized``,
        ``positions`` (symbols of rows without one) and ``as_of``.

    Returns
    -------
    HistoryResult
        :func:`~toolkit.history.rebuild_lots` over every account and symbol.
    """
    acc = household.accounts
    methods = dict(zip(acc["account"], acc["cost_basis_method"].fillna("fifo"), strict=True))
    return rebuild_lots(household.transactions, methods=methods, realized=household.realized,
                        as_of=household.as_of, positions=household.positions)


def _history_quantity(implied: pd.DataFrame, pairs: set[tuple[str, str]]) -> pd.Series:
    """Net shares the transactions imply per (account, symbol), for the pairs given."""
    if implied.empty:
        return pd.Series(dtype="float64")
    imp = implied.set_index(["account", "symbol"])["quantity"]
    return imp[np.fromiter((k in pairs for k in imp.index), dtype=bool, count=len(imp))]


def reconcile(household, *, share_tolerance: float = 1e-6, dollar_tolerance: float = 0.01,
              price_rounding: float = 0.0001) -> pd.DataFrame:
    """Compare each holding's position with its lots and its history (see module docstring).

    A household carrying its history replay (``household.history``: every loaded household,
    :mod:`toolkit.examples`, anything built through
    :func:`~toolkit.history.replay_household`) is not replayed again: at the default
    tolerances its stored report is returned, at others the report is rebuilt from the
    stored replay. A household without one (built by :meth:`Household.from_frames` alone,
    or changed with :meth:`Household.replace`) has its history replayed here, each call.

    Parameters
    ----------
    household : Household
        Uses ``accounts`` (tax types), ``positions``, ``lots``, and the history replay
        (``history``, else ``transactions``, ``realized`` and ``as_of``).
    share_tolerance : float, default 1e-6
        Shares by which lots and position may differ and still agree.
    dollar_tolerance : float, default 0.01
        Dollars by which the lots' basis and the position's basis may differ, plus
        ``price_rounding`` per share held.
    price_rounding : float, default 0.0001
        Dollars a share by which the two bases may also differ: the rounding of a basis
        given as a 4-decimal price per share (see the module docstring).

    Returns
    -------
    DataFrame
        One row per account and non-cash symbol held in a position or a lot, columns
        :data:`COLUMNS`: ``tax_type``; ``position_quantity`` (shares, NaN without a
        position), ``lots_quantity`` (shares in lots, 0 without lots), ``history_quantity``
        (net shares the transactions imply, NaN when there are none for the symbol);
        ``position_basis`` and ``lots_basis`` (dollars, NaN when unknown or any lot's basis is
        missing); ``status`` (one of :data:`STATUSES`), ``detail`` (a sentence with the
        numbers), ``lots_source`` (``"broker"``, ``"history"`` or ``"none"``) and
        ``trusted`` (bool). Rows follow the household's account order.
    """
    stored = household.history
    if stored is not None and (share_tolerance, dollar_tolerance, price_rounding) == (
            _SHARES, _DOLLARS, _PRICE):
        return stored.reconciliation
    implied = stored.implied if stored is not None else replay_for(household).implied
    return reconcile_frames(household.accounts, household.positions, household.lots, implied,
                            share_tolerance=share_tolerance,
                            dollar_tolerance=dollar_tolerance, price_rounding=price_rounding,
                            unreliable=household.unreliable)


#: Default tolerances of :func:`reconcile` (the stored report uses them).
_SHARES = 1e-6
_DOLLARS = 0.01
_PRICE = 0.0001


def reconcile_frames(accounts: pd.DataFrame, positions: pd.DataFrame, lots: pd.DataFrame,
                     implied: pd.DataFrame, *, share_tolerance: float = _SHARES,
                     dollar_tolerance: float = _DOLLARS, price_rounding: float = _PRICE,
                     unreliable: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reconciliation report from a household's frames and its replay's implied shares.

    Parameters
    ----------
    accounts, positions, lots : DataFrame
        The household's canonical frames.
    implied : DataFrame
        :attr:`HistoryResult.implied <toolkit.history.HistoryResult>` of the household's
        history (:func:`replay_for`).
    share_tolerance, dollar_tolerance, price_rounding : float
        As for :func:`reconcile`.
    unreliable : DataFrame, optional
        :attr:`Household.unreliable <toolkit.household.Household.unreliable>`: holdings with
        rows the loaders could not read (``rows_skipped``).

    Returns
    -------
    DataFrame
        As :func:`reconcile`.
    """
    acc = accounts
    types = dict(zip(acc["account"], acc["tax_type"], strict=True))
    pos = positions
    cash = set(zip(pos.loc[pos["asset_class"].eq("cash"), "account"],
                   pos.loc[pos["asset_class"].eq("cash"), "symbol"], strict=True))
    pos = pos[pos["asset_class"].ne("cash")]
    pos_keys = set(zip(pos["account"], pos["symbol"], strict=True))
    if cash:
        lots = lots[~pd.MultiIndex.from_frame(lots[["account", "symbol"]]).isin(list(cash))]

    key = ["account", "symbol"]
    pg = pos.assign(_nb=pos["cost_basis"].isna()).groupby(key, sort=False)
    p = pd.DataFrame({"P": pg["quantity"].sum(min_count=1), "pb": pg["cost_basis"].sum(),
                      "_nb": pg["_nb"].any()})
    p["pb"] = p["pb"].mask(p["_nb"])
    lots = lots.assign(_nb=lots["cost_basis"].isna(),
                       _mq=lots["quantity"].where(lots["cost_basis"].isna(), 0.0),
                       _h=lots["lot_id"].astype("str").str.startswith("history:").fillna(False))
    lg = lots.groupby(key, sort=False)
    lt = pd.DataFrame({"L": lg["quantity"].sum(), "lb": lg["cost_basis"].sum(),
                       "n": lg.size(), "miss": lg["_nb"].sum(), "miss_q": lg["_mq"].sum(),
                       "hist": lg["_h"].all()})
    lt["lb"] = lt["lb"].mask(lt["miss"] > 0)

    order = {a: i for i, a in enumerate(acc["account"])}
    lot_keys = lots[["account", "symbol"]].drop_duplicates().to_numpy().tolist()
    unread: dict[tuple[str, str], tuple[int, str]] = {}
    if unreliable is not None and len(unreliable):
        u = unreliable[unreliable["account"].notna() & unreliable["symbol"].notna()]
        unread = {(a, s): (int(n), d) for a, s, n, d in zip(
            u["account"], u["symbol"], u["rows"], u["detail"], strict=True)
            if (a, s) not in cash}
    keys = list(dict.fromkeys([*zip(pos["account"], pos["symbol"], strict=True),
                               *sorted(map(tuple, lot_keys)), *unread]))
    keys.sort(key=lambda k: order.get(k[0], len(order)))
    hist = _history_quantity(implied, set(keys))
    idx = pd.MultiIndex.from_arrays([[a for a, _ in keys], [s for _, s in keys]], names=key)
    p = p.reindex(idx)
    lt = lt.reindex(idx)
    h = hist.reindex(idx) if len(hist) else pd.Series(np.nan, index=idx)

    rows = []
    for k, P, pb, has_lots, L, lb, n, miss, miss_q, from_hist, H in zip(
            keys, p["P"].tolist(), p["pb"].tolist(), lt["n"].notna().tolist(),
            lt["L"].tolist(), lt["lb"].tolist(), lt["n"].tolist(), lt["miss"].tolist(),
            lt["miss_q"].tolist(), lt["hist"].tolist(), h.tolist(), strict=True):
        a, s = k
        has_pos = k in pos_keys
        L = float(L) if has_lots else 0.0
        n = int(n) if has_lots else 0
        tt = types.get(a, TaxType.TAXABLE.value)
        taxable = not TaxType(tt).tax_advantaged
        source = "none" if not has_lots else ("history" if from_hist else "broker")
        agree = has_pos and not math.isnan(P) and abs(L - P) <= share_tolerance
        hist_note = (f"; the history implies {_qty(H)} shares" if not math.isnan(H) else
                     "; there is no history of it")
        plural = "s" if n != 1 else ""
        lot_words = (f"{n} lot{plural} rebuilt from history" if source == "history" else
                     f"{n} broker lot{plural}")
        hold = "holds" if n == 1 else "hold"
        if k in unread:
            status = "rows_skipped"
            nr, why = unread[k]
            held = (f"the position holds {_qty(P)} shares" if has_pos and not math.isnan(P)
                    else "no position was loaded")
            detail = (f"{nr} row{'s' if nr != 1 else ''} of this holding could not be read "
                      f"({why}): {held} and {_qty(L)} shares in lots, which may be incomplete; "
                      "not traded unless allowed.")
        elif has_lots and not has_pos:
            status = "lots_without_position"
            detail = (f"{lot_words} {hold} {_qty(L)} shares but the account has no position in "
                      f"{s}{hist_note}.")
        elif has_lots and not agree:
            status = "quantity_mismatch"
            pq = "no share count" if math.isnan(P) else f"{_qty(P)} shares"
            diff = "" if math.isnan(P) else f" ({_qty(abs(L - P))} {'more' if L > P else 'fewer'})"
            detail = f"the position holds {pq} but {lot_words} {hold} {_qty(L)}{diff}{hist_note}."
        elif not taxable:
            status = "not_needed"
            detail = (f"{tt} account: sales realise no taxable gain, so lots are not needed"
                      + (f"; {lot_words} {'agrees' if n == 1 else 'agree'} with the position."
                         if has_lots else "."))
        elif not has_lots:
            status = "position_without_lots"
            detail = f"the position holds {_qty(P)} shares but no file gives lots"
            if math.isnan(H):
                detail += f" and the account has no history of {s}."
            elif abs(H - P) <= share_tolerance:
                detail += (f"; the history implies {_qty(H)} shares, as held: lots can be "
                           "rebuilt from it (toolkit.rebuild_lots).")
            else:
                detail += (f", and the history implies {_qty(H)} shares, which does not "
                           "explain it.")
        elif miss:
            status = "basis_missing"
            m = int(miss)
            detail = (f"{lot_words} {hold} {_qty(L)} shares, as the position does, but {m} "
                      f"lot{'s' if m != 1 else ''} ({_qty(float(miss_q))} shares) "
                      f"{'have' if m != 1 else 'has'} no cost basis.")
        elif not math.isnan(pb) and abs(lb - pb) > dollar_tolerance + price_rounding * L:
            status = "basis_mismatch"
            detail = (f"{lot_words} {hold} {_qty(L)} shares, as the position does, but their "
                      f"basis {_money(lb)} differs from the position's {_money(pb)} by "
                      f"{_money(abs(lb - pb))}.")
        else:
            status = "matched"
            pos_b = ("the position gives no basis" if math.isnan(pb) else
                     f"position {_money(pb)}")
            detail = (f"{lot_words} {hold} {_qty(L)} shares, as the position does; basis "
                      f"{_money(lb)} ({pos_b}).")
        trusted = status == "not_needed" or (status == "matched" and taxable)
        rows.append((a, s, tt, P, L, H, pb, lb, status, detail, source, trusted))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for c in ("account", "symbol", "tax_type", "status", "detail", "lots_source"):
        out[c] = out[c].astype("str")
    for c in ("position_quantity", "lots_quantity", "history_quantity", "position_basis",
              "lots_basis"):
        out[c] = out[c].astype("float64")
    out["trusted"] = out["trusted"].astype("bool")
    return out


def _clean(v, digits: int):
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else round(float(v), digits)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def reconciliation_summary(report: pd.DataFrame) -> dict:
    """Counts per status and the untrusted rows, as plain data (for the CLI and JSON).

    Parameters
    ----------
    report : DataFrame
        The frame :func:`reconcile` returns.

    Returns
    -------
    dict
        ``counts``: status -> number of holdings, every status of :data:`STATUSES` in order;
        ``unreconciled``: the rows with ``trusted`` False, as dicts of :data:`COLUMNS`
        (shares rounded to 6 decimals, dollars to cents, NaN as None).
    """
    counts = {s: int((report["status"] == s).sum()) for s in STATUSES}
    money = {"position_basis", "lots_basis"}
    rows = [{c: _clean(r[c], 2 if c in money else 6) for c in COLUMNS}
            for r in report[~report["trusted"]].to_dict(orient="records")]
    return {"counts": counts, "unreconciled": rows}
