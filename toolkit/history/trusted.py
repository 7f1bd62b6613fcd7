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

__all__ = ["HouseholdLots", "lots_from_history", "replay_household"]

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


def replay_household(household: Household, *, rebuild: bool = True) -> Household:
    """The household with its history replayed once and the result kept (``history``).

    Parameters
    ----------
    household : Household
        Uses its accounts (tax types, ``cost_basis_method``), positions, lots,
        transactions, realised rows and ``as_of``.
    rebuild : bool, default True
        Add rebuilt lots (and their sales) for taxable holdings no file gives lots for, where
        the history explains the position (:func:`lots_from_history`; what
        :func:`toolkit.load_household` does). False keeps the lots as given and only
        records the replay and the reconciliation (the tests' factories).

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
    if rebuild:
        used = lots_from_history(household.accounts, household.positions, lots,
                                 household.transactions, realized, as_of=household.as_of,
                                 replay=res)
        lots, realized = used.lots, used.realized
        warnings.extend(used.warnings)
        if used.provenance:
            prov = pd.concat([prov.reindex(columns=PROVENANCE_COLUMNS),
                              pd.DataFrame(used.provenance, columns=PROVENANCE_COLUMNS)],
                             ignore_index=True)
    report = reconcile_frames(household.accounts, household.positions, lots, res.implied)
    history = LotHistory(lots=res.lots, realized=res.realized, implied=res.implied,
                         reconciliation=report, warnings=res.warnings)
    return household.replace(lots=lots, realized=realized, provenance=prov,
                             warnings=tuple(warnings), history=history)
