"""Where lots become trusted: the household's one history replay, and the lots it supplies.

:func:`replay_household` is the history step of building a household: it replays the whole
transaction history once (:func:`~toolkit.history.rebuild_lots`), uses the rebuilt lots of
taxable holdings no file gives lots for where, and only where, the history explains the
position (:func:`lots_from_history`), and keeps the replay and the reconciliation report
(:func:`~toolkit.history.reconcile`) with the household (``Household.history``).
:func:`toolkit.load_household`, :mod:`toolkit.examples` and the tests' factories call it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.history.reconciliation import reconcile_frames, replay_for
from toolkit.history.replay import HistoryResult, fmt_shares, rebuild_lots, rows_among
from toolkit.household import Household, LotHistory
from toolkit.schema import REALIZED, TaxType, validate_lots, validate_realized

__all__ = ["HouseholdLots", "HouseholdSales", "lots_from_history", "replay_household",
           "sales_from_history"]

#: Columns of ``Household.provenance``.
PROVENANCE_COLUMNS = ["file", "format", "frame", "key", "rows", "used", "reason"]


@dataclass(frozen=True)
class HouseholdLots:
    """What :func:`lots_from_history` adds to a household.

    Attributes
    ----------
    lots, realized : DataFrame
        The household's lots and realised rows with the rebuilt ones added.
    provenance : list of dict
        Rows for ``Household.provenance`` (``frame`` ``lots``/``realized``, ``format``
        ``history``).
    warnings : list of str
        Notes for ``Household.warnings``.
    result : HistoryResult or None
        The replay, when one ran.
    """

    lots: pd.DataFrame
    realized: pd.DataFrame
    provenance: list[dict]
    warnings: list[str]
    result: HistoryResult | None = None


def lots_from_history(accounts: pd.DataFrame, positions: pd.DataFrame, lots: pd.DataFrame,
                      transactions: pd.DataFrame, realized: pd.DataFrame, *, as_of=None,
                      share_tolerance: float = 1e-6,
                      replay: HistoryResult | None = None) -> HouseholdLots:
    """Lots rebuilt from history for taxable holdings that no file gives lots for.

    For every taxable account and non-cash symbol with a position and transactions but no
    lots from any file, the account's history of that symbol is replayed with the account's
    ``cost_basis_method`` (:func:`~toolkit.history.rebuild_lots`). The rebuilt lots are used
    only where they hold the position's quantity (within ``share_tolerance`` shares);
    elsewhere no lots are invented and :func:`~toolkit.history.reconcile` reports the
    holding. The rebuilt sales of the symbols used are added to ``realized`` unless a broker
    realised row covers the same sale (same account, symbol and sold date). Tax-advantaged
    accounts are skipped: their lots carry no tax consequence.

    Parameters
    ----------
    accounts, positions, lots, transactions, realized : DataFrame
        The household's canonical frames (household account ids).
    as_of : date-like, optional
        Valuation date; later rows are not replayed.
    share_tolerance : float, default 1e-6
        Shares by which the lots may differ from the position.
    replay : HistoryResult, optional
        A replay of the whole history already run (:func:`replay_household` passes it, and
        reports its warnings itself); default: the histories of the holdings concerned are
        replayed here and their warnings are in the result's ``warnings``.

    Returns
    -------
    HouseholdLots
    """
    types = accounts.set_index("account")["tax_type"]
    taxable = set(types[types == TaxType.TAXABLE.value].index)
    pos = positions[positions["account"].isin(taxable) & positions["asset_class"].ne("cash")]
    have = set(zip(lots["account"], lots["symbol"], strict=True))
    want = {k for k in zip(pos["account"], pos["symbol"], strict=True) if k not in have}
    given = replay is not None
    if replay is None:
        tx = transactions[transactions["account"].isin({a for a, _ in want})]
        if not want or tx.empty:
            return HouseholdLots(lots, realized, [], [])
        methods = dict(zip(accounts["account"], accounts["cost_basis_method"].fillna("fifo"),
                           strict=True))
        replay = rebuild_lots(tx, methods=methods, realized=realized, as_of=as_of,
                              positions=positions)
    res = replay
    implied = res.implied[rows_among(res.implied, ("account", "symbol"), want)]
    if implied.empty:
        return HouseholdLots(lots, realized, [], [], res)
    held = pos.groupby(["account", "symbol"])["quantity"].sum()
    prov: list[dict] = []
    notes = [] if given else [f"history: {w}" for w in res.warnings]
    used: set[tuple[str, str]] = set()
    for r in implied.itertuples(index=False):
        k = (r.account, r.symbol)
        p = held.get(k, np.nan)
        files = r.files or "the transactions"
        label = f"{r.account} {r.symbol}"
        if pd.notna(p) and abs(r.lots_quantity - p) <= share_tolerance:
            used.add(k)
            n = int(((res.lots["account"] == r.account) & (res.lots["symbol"] == r.symbol))
                    .sum())
            prov.append({"file": files, "format": "history", "frame": "lots", "key": label,
                         "rows": n, "used": True,
                         "reason": f"lots rebuilt from history of {files}"})
        else:
            prov.append({"file": files, "format": "history", "frame": "lots", "key": label,
                         "rows": 0, "used": False,
                         "reason": f"history of {files} leaves {fmt_shares(r.lots_quantity)} "
                                   f"shares in lots but the position holds {fmt_shares(p)}: "
                                   "no lots rebuilt"})
            notes.append(f"account {r.account} {r.symbol}: the history ({files}) does not "
                         f"explain the position ({fmt_shares(p)} shares held, "
                         f"{fmt_shares(r.lots_quantity)} in rebuilt lots); no lots are used "
                         "(see toolkit.reconcile)")
    if not used:
        return HouseholdLots(lots, realized, prov, notes, res)
    pick = rows_among(res.lots, ("account", "symbol"), used)
    new_lots = validate_lots(pd.concat([lots, res.lots[pick]], ignore_index=True))
    rz = res.realized[rows_among(res.realized, ("account", "symbol"), used)]
    covered = set(zip(realized["account"], realized["symbol"], realized["sold"], strict=True))
    rz = rz[~rows_among(rz, ("account", "symbol", "sold"), covered)]
    new_rz = realized
    if len(rz):
        new_rz = validate_realized(pd.concat([realized, rz[REALIZED.names]],
                                             ignore_index=True))
        for (a, s), g in rz.groupby(["account", "symbol"], sort=True):
            prov.append({"file": ", ".join(dict.fromkeys(g["source_file"].dropna())),
                         "format": "history", "frame": "realized", "key": f"{a} {s}",
                         "rows": len(g), "used": True,
                         "reason": "sales rebuilt from history; no broker realised row "
                                   "covers them"})
    return HouseholdLots(new_lots, new_rz, prov, notes, res)


@dataclass(frozen=True)
class HouseholdSales:
    """What :func:`sales_from_history` adds to a household's realised rows.

    Attributes
    ----------
    realized : DataFrame
        The realised rows with the replayed sales no broker row covers added.
    provenance : list of dict
        Rows for ``Household.provenance`` (``frame`` ``realized``, ``format`` ``history``):
        per account and symbol, the replayed sales used, and those a broker's rows replace.
    warnings : list of str
        Notes for ``Household.warnings``.
    """

    realized: pd.DataFrame
    provenance: list[dict]
    warnings: list[str]


def sales_from_history(accounts: pd.DataFrame, realized: pd.DataFrame, replay: HistoryResult,
                       *, share_tolerance: float = 1e-6) -> HouseholdSales:
    """Every sale a history replays in a taxable account, as realised rows.

    A sale is a sale whether or not a position remains, and whether or not the replay's lots
    are used for the position: each sell the replay matched to lots gives a realised row per
    lot piece (FIFO or the account's method: :func:`~toolkit.history.rebuild_lots`), and the
    shares of a sell that found no lots in the history (bought before it starts) give one
    with its proceeds and an unknown basis (``cost_basis`` NaN, ``acquired`` NaT; a warning
    says so). Dedupe: a broker's realised row for the same account, symbol and sale date
    wins over the replay (it carries the broker's lot identification, basis adjustments and
    wash-sale figure); where the broker's rows hold fewer shares that day than the history
    sold, a warning gives both counts. Tax-advantaged accounts are left out (no gain or loss
    is recognised there).

    Parameters
    ----------
    accounts, realized : DataFrame
        The household's accounts and the realised rows from its files (household account ids).
    replay : HistoryResult
        The household's one replay (:func:`replay_household` runs it).
    share_tolerance : float, default 1e-6
        Shares by which the broker's rows may fall short of the history's and still cover it.

    Returns
    -------
    HouseholdSales
    """
    types = accounts.set_index("account")["tax_type"]
    taxable = set(types[types == TaxType.TAXABLE.value].index)
    rz = replay.realized
    rz = rz[rz["account"].isin(taxable)]
    un = replay.unmatched
    un = un[un["account"].isin(taxable) & un["action"].eq("sell")]
    parts = [rz[REALIZED.names]] if len(rz) else []
    if len(un):
        parts.append(pd.DataFrame({
            "account": un["account"], "symbol": un["symbol"], "quantity": un["quantity"],
            "acquired": pd.NaT, "sold": un["date"], "proceeds": un["proceeds"],
            "cost_basis": np.nan, "gain": np.nan, "term": None, "wash_sale_disallowed": np.nan,
            "source_file": un["source_file"], "source_line": un["source_line"]}))
    if not parts:
        return HouseholdSales(realized, [], [])
    hist = validate_realized(pd.concat(parts, ignore_index=True), where="replayed sales")
    hist = hist.assign(_unknown=hist["cost_basis"].isna())
    covered = set(zip(realized["account"], realized["symbol"], realized["sold"], strict=True))
    cov = rows_among(hist, ("account", "symbol", "sold"), covered)
    prov: list[dict] = []
    notes: list[str] = []
    add, dup = hist[~cov], hist[cov]
    for (a, s), g in add.groupby(["account", "symbol"], sort=True):
        unknown = g[g["_unknown"]]
        reason = "sales rebuilt from history; no broker realised row covers them"
        if len(unknown):
            reason += (f" ({fmt_shares(unknown['quantity'].sum())} share(s) with no purchase "
                       "in the history: basis unknown)")
        prov.append({"file": _files(g), "format": "history", "frame": "realized",
                     "key": f"{a} {s}", "rows": len(g), "used": True, "reason": reason})
        for r in unknown.itertuples(index=False):
            notes.append(f"account {a} {s}: {fmt_shares(r.quantity)} share(s) sold on "
                         f"{r.sold.date()} ({_where(r.source_file, r.source_line)}) have no "
                         "purchase in the history: the sale is counted with proceeds "
                         f"${r.proceeds:,.2f} and an unknown cost basis (add the broker's "
                         "realised gain/loss file or the lots)")
    if len(dup):
        broker_q = realized.groupby(["account", "symbol", "sold"])["quantity"].sum()
        broker_files = realized.groupby(["account", "symbol"])["source_file"].agg(
            lambda x: ", ".join(dict.fromkeys(x.dropna())) or "the broker's realised rows")
        for (a, s), g in dup.groupby(["account", "symbol"], sort=True):
            prov.append({"file": _files(g), "format": "history", "frame": "realized",
                         "key": f"{a} {s}", "rows": len(g), "used": False,
                         "reason": "the same sales are in the broker's realised rows "
                                   f"({broker_files.get((a, s))}), which are used: they carry "
                                   "the broker's lot identification, basis and wash-sale "
                                   "figures"})
            for day, d in g.groupby("sold", sort=True):
                have = float(broker_q.get((a, s, day), 0.0))
                sold = float(d["quantity"].sum())
                if sold - have > share_tolerance:
                    notes.append(f"account {a} {s}: the history sold {fmt_shares(sold)} "
                                 f"shares on {day.date()} but the broker's realised rows hold "
                                 f"{fmt_shares(have)}; the broker's rows are used, so "
                                 f"{fmt_shares(sold - have)} share(s) of that sale are not in "
                                 "this year's gains")
    out = realized
    if len(add):
        out = validate_realized(pd.concat([realized, add[REALIZED.names]], ignore_index=True))
    return HouseholdSales(out, prov, notes)


def _unlisted_notes(positions: pd.DataFrame, lots: pd.DataFrame,
                    implied: pd.DataFrame) -> list[str]:
    """Holdings the history leaves shares in that no file lists (not valued, not planned)."""
    if implied.empty:
        return []
    known = set(zip(positions["account"], positions["symbol"], strict=True)) | set(
        zip(lots["account"], lots["symbol"], strict=True))
    left = implied[(implied["lots_quantity"] > 1e-6)
                   & ~rows_among(implied, ("account", "symbol"), known)]
    return [f"account {r.account} {r.symbol}: the history ({r.files or 'the transactions'}) "
            f"leaves {fmt_shares(r.lots_quantity)} shares that no positions file lists: they "
            "are not valued or planned (add the account's positions file); their sales and "
            "purchases still count for this year's gains and wash sales"
            for r in left.itertuples(index=False)]


def _files(g: pd.DataFrame) -> str:
    return ", ".join(dict.fromkeys(g["source_file"].dropna())) or "the transactions"


def _where(file, line) -> str:
    if isinstance(file, str) and pd.notna(line):
        return f"{file} line {int(line)}"
    return "the transactions"


def replay_household(household: Household, *, rebuild: bool = True) -> Household:
    """The household with its history replayed once and the result kept (``history``).

    Parameters
    ----------
    household : Household
        Uses its accounts (tax types, ``cost_basis_method``), positions, lots,
        transactions, realised rows and ``as_of``.
    rebuild : bool, default True
        Add rebuilt lots for taxable holdings no file gives lots for, where the history
        explains the position (:func:`lots_from_history`), and every sale the history
        replays in a taxable account that no broker realised row covers
        (:func:`sales_from_history`): what :func:`toolkit.load_household` does. False keeps
        the lots and realised rows as given and only records the replay and the
        reconciliation (the tests' factories).

    Returns
    -------
    Household
        A new household: ``lots``, ``realized``, ``provenance`` and ``warnings`` with what
        the rebuild added (every note of the replay is a warning, ``"history: ..."``), and
        ``history`` (:class:`~toolkit.household.LotHistory`) holding every lot and sale the
        replay found, the shares it implies per holding and the reconciliation report at the
        default tolerances.
    """
    res = replay_for(household)
    lots, realized = household.lots, household.realized
    prov = household.provenance
    warnings = [*household.warnings, *(f"history: {w}" for w in res.warnings)]
    added: list[dict] = []
    if rebuild:
        used = lots_from_history(household.accounts, household.positions, lots,
                                 household.transactions, realized, as_of=household.as_of,
                                 replay=res)
        lots = used.lots
        warnings.extend(used.warnings)
        added.extend(p for p in used.provenance if p["frame"] != "realized")
        # every sale the history replays, position or not (lots_from_history's own sales
        # are among them)
        sold = sales_from_history(household.accounts, realized, res)
        realized = sold.realized
        warnings.extend(sold.warnings)
        added.extend(sold.provenance)
    if added:
        prov = pd.concat([prov.reindex(columns=PROVENANCE_COLUMNS),
                          pd.DataFrame(added, columns=PROVENANCE_COLUMNS)], ignore_index=True)
    warnings.extend(_unlisted_notes(household.positions, lots, res.implied))
    report = reconcile_frames(household.accounts, household.positions, lots, res.implied,
                              unreliable=household.unreliable)
    history = LotHistory(lots=res.lots, realized=res.realized, implied=res.implied,
                         reconciliation=report, warnings=res.warnings)
    return household.replace(lots=lots, realized=realized, provenance=prov,
                             warnings=tuple(warnings), history=history)
