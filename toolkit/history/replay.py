"""Tax lots rebuilt from transaction history.

Many exports give positions and transaction history but no tax lots. :func:`rebuild_lots`
replays a history per account and symbol, in date order, and returns the lots it leaves open,
the sales it matched to lots, the shares it implies and what it could not explain.
:func:`toolkit.history.lots_from_history` is the household step that uses those lots where,
and only where, the history explains the position.

The replay (per account and symbol, chronologically):

- **Acquisitions** open one lot each, ``lot_id`` ``history:<file>:<line>`` of the acquiring
  row, ``acquired`` its trade date: ``buy``, ``reinvest`` and share-carrying
  ``contribution`` rows (``quantity > 0``) at their cost, ``-amount`` (net of fees) when the
  amount is a cash outflow, else ``price x quantity + fees``; and ``transfer_in`` rows.
  A transfer in carries no cost in a history: its lot's basis is missing (NaN, "basis
  missing") unless the row has an amount (its absolute value) or a price (``price x
  quantity``); either may be the value on the transfer date rather than the original cost, so
  a warning says so. Its ``acquired`` is the transfer date: the original acquisition date is
  not in the history.
- **Disposals** relieve lots: ``sell`` rows (and ``transfer_out`` / in-kind ``withdrawal``
  rows, which realise nothing) with ``quantity < 0``. The account's method from ``methods``:
  ``fifo`` (default, Treas. Reg. §1.1012-1(c)(1)), ``lifo``, ``hifo`` (highest cost per share
  first, ties earliest acquired; lots without a basis last) or ``average`` (Pub 550; Reg.
  §1.1012-1(e): one pooled basis per symbol: every share sold carries the pool's average cost
  per share at the time, the shares sold for the holding period are the earliest acquired,
  and the open lots carry the pooled average at the end). ``specific`` cannot be replayed
  from a history: the broker's realised rows (``realized``) identify the lots sold, matched
  by account, symbol, sold date, quantity and acquired date; shares they do not identify are
  taken FIFO with a warning. For the other methods, a sale whose realised rows name lots other
  than the ones the method took is warned about (the account's method may be wrong).
  Each sale matched to lots gives :data:`~toolkit.schema.REALIZED` rows (one per lot piece:
  ``proceeds`` the sale's net amount pro rata to shares, else ``price x shares - fees``;
  ``term`` from the lot's ``holding_start``; ``wash_sale_disallowed`` left missing: wash
  sales are :mod:`toolkit.tax.wash`'s business). Shares a disposal finds no lots for are in
  ``unmatched``.
- **Splits** (``split`` rows) scale every open lot's quantity by ``(held + q) / held`` where
  ``q`` is the row's quantity: every broker writes a split as the *new shares received*
  (Schwab ``Stock Split`` +9 for a 10-for-1 of one share, FORMATS.md sample
  ``schwab-export.csv`` line 108; Fidelity ``DISTRIBUTION <stock>`` rows with the added shares,
  read as ``split`` by :mod:`toolkit.io.fidelity_history`; Vanguard ``Stock split``), and a
  reverse split as a negative quantity. Bases are unchanged (the cost per share scales).
  A split with no shares held is ignored with a warning. A reverse split written as two
  rows on one day (Schwab ``Reverse Split`` +1 ``TNXP`` and -1 under the old CUSIP
  ``890260854``, sample ``schwab-export.csv`` lines 111-112; Fidelity's ``REVERSE SPLIT``
  pair) is one split of ratio new / old shares; the old symbol's earlier rows are replayed
  as the new symbol's.
- **Wash sales the broker reported** (realised rows with ``wash_sale_disallowed > 0``) are
  carried onto replacement shares: acquisitions of the same account and symbol within 30 days
  before or after the sale, earliest first, the sold shares excluded (the matching of
  :mod:`toolkit.tax.wash`). The washed shares are ``quantity x disallowed / loss`` (all of them
  when the loss is not given); each replacement share gets ``disallowed / washed shares`` added
  to its basis and ``wash_sale_disallowed``, and its ``holding_start`` moves back by the days
  the sold shares were held (IRC §1091(d), §1223(3)). A replacement acquisition partly washed
  becomes two lots (``<lot_id>.1``, ``<lot_id>.2``).

Same-day order: splits first (the broker computed the new shares on the holdings before the
day's trades), then acquisitions, then disposals, so a same-day purchase can be sold (LIFO
sells it). The data say otherwise when the broker's realised rows for a sale name only lots
acquired before that day: that sale is replayed before the day's acquisitions. Rows of one
day and kind keep the order of their file, read oldest first (a file whose dates run newest
first, as Fidelity's and Schwab's do, is read bottom up).

Rows without a symbol (401(k) workplace rows) take the symbol of the same account's position
with the same description when ``positions`` are given (:mod:`toolkit.tax.wash`'s
resolution); rows still without one are reported in ``warnings``. Other share-moving rows
(``other`` corporate actions, mergers) cannot be replayed: they are counted in
``implied["ignored_rows"]`` and listed in ``warnings``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import HouseholdError
from toolkit.history._pool import EPS, Lot, Pool
from toolkit.schema import (
    DATE_DTYPE,
    LOTS,
    REALIZED,
    Action,
    CostBasisMethod,
    validate_lots,
    validate_realized,
    validate_transactions,
)
from toolkit.tax import wash_match as core
from toolkit.tax.holding import terms
from toolkit.tax.wash import wash_window
from toolkit.tax.wash_household import resolve_symbols

__all__ = [
    "IMPLIED_COLUMNS",
    "UNMATCHED_COLUMNS",
    "WASH_COLUMNS",
    "HistoryResult",
    "fmt_shares",
    "rebuild_lots",
    "rows_among",
]

#: Lot relief methods a history can be replayed with (``specific`` needs realised rows).
_METHODS = tuple(m.value for m in CostBasisMethod)
#: Columns of :attr:`HistoryResult.implied`.
IMPLIED_COLUMNS = ("account", "symbol", "quantity", "lots_quantity", "lots_basis",
                   "basis_missing", "unmatched_quantity", "rows", "ignored_rows", "first_date",
                   "last_date", "method", "files")
#: Columns of :attr:`HistoryResult.unmatched`.
UNMATCHED_COLUMNS = ("account", "symbol", "date", "action", "quantity", "requested", "held",
                     "proceeds", "source_file", "source_line", "reason")
#: Columns of :attr:`HistoryResult.wash_adjustments`.
WASH_COLUMNS = ("account", "symbol", "sale_date", "date", "quantity", "basis_added",
                "holding_start", "source_file", "source_line")

_A = Action
# row kinds
_BUY, _TIN, _SELL, _OUT, _SPLIT, _RSPLIT = 0, 1, 2, 3, 4, 5
_PAIRED = -2  # the old-shares row of a reverse split written as two rows
_MAX_LISTED = 10


@dataclass(frozen=True)
class HistoryResult:
    """What :func:`rebuild_lots` found.

    Attributes
    ----------
    lots : DataFrame
        Open lots (:data:`~toolkit.schema.LOTS`): ``lot_id`` ``history:<file>:<line>`` (a
        suffix ``.1``, ``.2`` where a wash sale split an acquisition), ``source_file`` and
        ``source_line`` of the acquiring row, ``acquired`` its trade date, ``holding_start``
        (earlier after a wash sale), ``cost_basis`` in dollars (NaN: basis missing),
        ``wash_sale_disallowed`` (dollars carried from a broker-reported wash sale), ``term``
        missing (no broker reported it).
    realized : DataFrame
        One row per lot piece a sale relieved (:data:`~toolkit.schema.REALIZED`, plus
        ``lot_id``): shares, ``acquired``, ``sold``, ``proceeds``, ``cost_basis``, ``gain``
        (dollars), ``term``; ``source_file``/``source_line`` of the sale row.
    implied : DataFrame
        Per account and symbol (:data:`IMPLIED_COLUMNS`): ``quantity`` the net shares of the
        rows replayed (acquisitions +, disposals -, split shares +/-), ``lots_quantity`` and
        ``lots_basis`` (NaN if any lot's basis is missing) of the open lots,
        ``basis_missing``, ``unmatched_quantity`` (shares disposed of that found no lots),
        ``rows`` replayed, ``ignored_rows`` (share-moving rows that could not be replayed),
        ``first_date``/``last_date``, ``method`` and ``files`` (comma separated).
        ``lots_quantity == quantity + unmatched_quantity`` unless a split was ignored.
    warnings : tuple of str
        What was odd but usable (basis missing, fallbacks, rows not replayed).
    unmatched : DataFrame
        Disposals that found no (or too few) lots (:data:`UNMATCHED_COLUMNS`): ``quantity``
        the shares not found, ``requested`` the row's shares, ``held`` the shares the history
        held then, ``proceeds`` the sale's proceeds of the shares not found (dollars, pro rata;
        NaN for a transfer out): what the history cannot explain.
    wash_adjustments : DataFrame
        Broker-reported disallowed losses placed on replacement shares
        (:data:`WASH_COLUMNS`): the sale date, the replacement's ``date``, shares,
        ``basis_added`` (dollars) and tacked ``holding_start``.
    """

    lots: pd.DataFrame
    realized: pd.DataFrame
    implied: pd.DataFrame
    warnings: tuple[str, ...] = ()
    unmatched: pd.DataFrame = field(default_factory=lambda: _empty(UNMATCHED_COLUMNS))
    wash_adjustments: pd.DataFrame = field(default_factory=lambda: _empty(WASH_COLUMNS))


_DTYPES = {"account": "str", "symbol": "str", "action": "str", "reason": "str", "method": "str",
           "files": "str", "source_file": "str", "source_line": "Int64", "rows": "int64",
           "ignored_rows": "int64", "basis_missing": "bool", "date": DATE_DTYPE,
           "sale_date": DATE_DTYPE, "holding_start": DATE_DTYPE, "first_date": DATE_DTYPE,
           "last_date": DATE_DTYPE}


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, "float64")) for c in columns})


def _frame(rows: list[tuple], columns) -> pd.DataFrame:
    if not rows:
        return _empty(columns)
    df = pd.DataFrame(rows, columns=list(columns))
    for c in columns:
        t = _DTYPES.get(c, "float64")
        if t == DATE_DTYPE:
            df[c] = pd.to_datetime(df[c]).astype(DATE_DTYPE)
        elif t == "str":
            df[c] = df[c].astype("str").where(df[c].notna())
        else:
            df[c] = df[c].astype(t)
    return df


def _days(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="datetime64[D]").astype(np.int64)


def _dates(days) -> pd.Series:
    v = np.asarray([np.iinfo(np.int64).min if d is None else d for d in days], dtype=np.int64)
    return pd.Series(v.astype("datetime64[D]")).astype(DATE_DTYPE)


def fmt_shares(x: float) -> str:
    """Shares as text: thousands separators, up to six decimals, no trailing zeros."""
    return f"{x:,.6f}".rstrip("0").rstrip(".")


_qty = fmt_shares


def _where(file, line) -> str:
    if isinstance(file, str) and line is not None and not pd.isna(line):
        return f"{file} line {int(line)}"
    return "an unnamed source"


def rows_among(df: pd.DataFrame, cols: tuple[str, ...], keys: set) -> np.ndarray:
    """Boolean mask: rows whose values in ``cols`` form a tuple in ``keys``."""
    return np.fromiter((k in keys for k in zip(*(df[c] for c in cols), strict=True)),
                       dtype=bool, count=len(df))


def _check_methods(methods: Mapping[str, str] | None, default: str) -> dict[str, str]:
    out = {}
    for acct, m in {**(methods or {})}.items():
        if m not in _METHODS:
            raise HouseholdError(f"account {acct!r}: cost-basis method {m!r} cannot be "
                                 f"replayed; use one of {', '.join(_METHODS)}")
        out[str(acct)] = m
    if default not in _METHODS:
        raise HouseholdError(f"default method {default!r} is not one of {', '.join(_METHODS)}")
    return out


# --- preparing the rows ------------------------------------------------------------------


def _resolve(tx: pd.DataFrame, positions: pd.DataFrame | None) -> pd.Series:
    sym = tx["symbol"]
    if positions is None or positions.empty:
        return sym
    need = sym.isna() & tx["quantity"].notna()
    if not need.any():
        return sym
    found, _ = resolve_symbols(tx[need], positions)
    out = sym.astype("object")
    out.loc[need] = found.astype("object")
    return out.astype("str").where(out.notna())


def _file_order(tx: pd.DataFrame) -> np.ndarray:
    """A key ordering rows of one file oldest first (newest-first files read bottom up)."""
    line = tx["source_line"].astype("float64").to_numpy()
    key = np.where(np.isnan(line), np.arange(len(tx), dtype="float64"), line)
    files = tx["source_file"]
    for _, g in tx[files.notna() & tx["source_line"].notna()].groupby("source_file"):
        g = g.sort_values("source_line", kind="stable")
        if len(g) > 1 and g["date"].iloc[0] > g["date"].iloc[-1]:
            pos = tx.index.get_indexer(g.index)
            key[pos] = -key[pos]
    return key


def _kinds(tx: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """Row kind (-1: not replayed) and whether a share-moving row is ignored."""
    act = tx["action"]
    q = tx["quantity"]
    pos = (q > 0).fillna(False)
    neg = (q < 0).fillna(False)
    kind = np.full(len(tx), -1, dtype=np.int64)
    kind[(act.isin([_A.BUY.value, _A.REINVEST.value, _A.CONTRIBUTION.value]) & pos)
         .to_numpy()] = _BUY
    kind[(act.eq(_A.TRANSFER_IN.value) & pos).to_numpy()] = _TIN
    kind[(act.eq(_A.SELL.value) & neg).to_numpy()] = _SELL
    kind[(act.isin([_A.TRANSFER_OUT.value, _A.WITHDRAWAL.value]) & neg).to_numpy()] = _OUT
    kind[(act.eq(_A.SPLIT.value) & (pos | neg)).to_numpy()] = _SPLIT
    ignored = pd.Series(kind < 0, index=tx.index) & (pos | neg)
    return kind, ignored


_CUSIP_LIKE = re.compile(r"^(?=[0-9A-Z]{0,7}\d)[0-9A-Z]{8}\d$")


def _old_line(symbol, description) -> bool:
    """Whether a removal row looks like the old line of a reverse split.

    Brokers write that line under the old CUSIP, with a description naming the reverse split.
    """
    desc = "" if description is None or len(description) == 0 else str(description.iloc[0])
    return bool(_CUSIP_LIKE.match(str(symbol))) or "REVERSE SPLIT" in desc.upper()


def _pair_splits(rows: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Pair the two rows of a reverse split into one.

    Schwab ``Reverse Split`` and Fidelity ``REVERSE SPLIT`` write the new shares (+, under the
    symbol) and the old shares removed (-, under the old CUSIP or symbol), same account and
    day. The + row becomes one reverse split of ratio new / old; the - row is consumed;
    earlier rows of the old symbol are replayed as the new one (it is the same holding).
    """
    sp = rows[rows["_kind"] == _SPLIT]
    if len(sp) < 2:
        return rows
    kind = rows["_kind"].to_numpy().copy()
    old_q = np.full(len(rows), np.nan)
    sym = rows["symbol"].astype("object").to_numpy().copy()
    pos = {lab: i for i, lab in enumerate(rows.index)}
    for (acct, day), g in sp.groupby(["account", "_day"], sort=False):
        up, down = g[g["quantity"] > 0], g[g["quantity"] < 0]
        if len(g) != 2 or len(up) != 1 or len(down) != 1 or \
                up["symbol"].iloc[0] == down["symbol"].iloc[0] or \
                not _old_line(down["symbol"].iloc[0], down.get("description")):
            continue  # two unrelated splits on one day are not a pair
        i, j = pos[up.index[0]], pos[down.index[0]]
        new, old = up["symbol"].iloc[0], down["symbol"].iloc[0]
        kind[i], kind[j] = _RSPLIT, _PAIRED
        old_q[i] = -float(down["quantity"].iloc[0])
        earlier = ((rows["account"] == acct) & (rows["symbol"] == old)
                   & (rows["_day"] <= day)).to_numpy().copy()
        earlier[j] = False
        sym[earlier] = new
        if earlier.any():
            notes.append(f"{acct} {new}: {int(earlier.sum())} row(s) of {old} before its "
                         f"reverse split on {_day_str(day)} are replayed as {new}")
    return rows.assign(_kind=kind, _old_qty=old_q,
                       symbol=pd.Series(sym, index=rows.index, dtype="str"))


def _costs(tx: pd.DataFrame, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost of each acquisition and proceeds of each sale, dollars (NaN when unknown)."""
    q = tx["quantity"].abs()
    amount, price, fees = tx["amount"], tx["price"], tx["fees"].fillna(0.0)
    bought = (-amount).where(amount < 0, price * q + fees)
    contrib = tx["action"].eq(_A.CONTRIBUTION.value)
    bought = bought.where(~contrib, amount.abs().where(amount.notna() & amount.ne(0),
                                                       price * q))
    moved = amount.abs().where(amount.notna() & amount.ne(0),
                               (price * q).where(price > 0))
    cost = np.where(kind == _TIN, moved.to_numpy(dtype="float64"),
                    bought.to_numpy(dtype="float64"))
    proceeds = amount.where(amount.notna(), price * q - fees).to_numpy(dtype="float64")
    return cost, proceeds


def _realized_lookup(rz: pd.DataFrame) -> dict[tuple, list[list]]:
    out: dict[tuple, list[list]] = {}
    if rz.empty:
        return out
    sold = _days(rz["sold"])
    acq = rz["acquired"].to_numpy(dtype="datetime64[D]")
    for a, s, d, ad, q in zip(rz["account"], rz["symbol"], sold, acq, rz["quantity"],
                              strict=True):
        out.setdefault((a, s, int(d)), []).append(
            [None if np.isnat(ad) else int(ad.astype(np.int64)), float(q)])
    return out


def _early(rows: pd.DataFrame, lookup: dict) -> np.ndarray:
    """Sales the broker's realised rows place before the day's acquisitions."""
    out = np.zeros(len(rows), dtype=bool)
    if not lookup:
        return out
    sells = np.flatnonzero(rows["_kind"].to_numpy() == _SELL)
    sub = rows.iloc[sells]
    for i, a, s, d in zip(sells.tolist(), sub["account"].tolist(), sub["symbol"].tolist(),
                          sub["_day"].tolist(), strict=True):
        e = lookup.get((a, s, d))
        if e and all(x[0] is not None and x[0] < d for x in e):
            out[i] = True
    return out


# --- wash sales the broker reported -------------------------------------------------------


def _wash_pieces(rows: pd.DataFrame, rz: pd.DataFrame) -> tuple[dict, list, list[str]]:
    """Broker-reported disallowed losses placed on replacement acquisitions.

    Returns ``{row label: [(shares, dollars per share, holding-start day or None), ...]}``,
    the adjustment rows (:data:`WASH_COLUMNS` values) and warnings.
    """
    w = rz[(rz["wash_sale_disallowed"] > 0).fillna(False)]
    if w.empty:
        return {}, [], []
    pairs = set(map(tuple, rows[["account", "symbol"]].drop_duplicates().to_numpy().tolist()))
    w = w[rows_among(w, ("account", "symbol"), pairs)]
    if w.empty:
        return {}, [], []
    notes: list[str] = []
    loss = w["cost_basis"] - w["proceeds"]
    frac = (w["wash_sale_disallowed"] / loss).where(loss > 0).clip(upper=1.0).fillna(1.0)
    s = pd.DataFrame({
        "account": w["account"].to_numpy(), "group": (w["account"] + "\x1f" + w["symbol"])
        .to_numpy(), "sale_date": w["sold"].to_numpy(), "acquired": w["acquired"].to_numpy(),
        "quantity": (w["quantity"] * frac).to_numpy(), "is_loss": True,
        "disallowed": w["wash_sale_disallowed"].to_numpy(),
        "file": w["source_file"].to_numpy(), "line": w["source_line"].to_numpy(),
        "symbol": w["symbol"].to_numpy()})
    buys = rows[rows["_kind"] == _BUY]
    a = pd.DataFrame({"account": buys["account"].to_numpy(),
                      "group": (buys["account"] + "\x1f" + buys["symbol"]).to_numpy(),
                      "date": buys["date"].to_numpy(), "quantity": buys["quantity"].to_numpy(),
                      "label": buys.index.to_numpy()})
    before, after = wash_window()
    ms, ma, mq = core.sweep(s, a, before, after)
    pieces: dict = {}
    adj: list = []
    placed = np.bincount(ms, weights=mq, minlength=len(s)) if len(ms) else np.zeros(len(s))
    for i, j, x in zip(ms.tolist(), ma.tolist(), mq.tolist(), strict=True):
        per = s["disallowed"].iat[i] / s["quantity"].iat[i]
        sold = s["sale_date"].iat[i]
        got = s["acquired"].iat[i]
        hs = None
        if pd.notna(got):  # IRC 1223(3): the union of the two periods (wash_match)
            start = core.tacked_start([a["date"].iat[j]], [sold], [got]).iat[0]
            hs = int(np.datetime64(start, "D").astype(np.int64))
        label = a["label"].iat[j]
        pieces.setdefault(label, []).append((x, per, hs))
        r = rows.loc[label]
        adj.append((r["account"], r["symbol"], pd.Timestamp(sold), pd.Timestamp(r["date"]), x,
                    x * per, None if hs is None else pd.Timestamp(np.datetime64(hs, "D")),
                    r["source_file"], r["source_line"]))
    for i in range(len(s)):
        short = s["quantity"].iat[i] - placed[i]
        if short > EPS:
            per = s["disallowed"].iat[i] / s["quantity"].iat[i]
            src = _where(s["file"].iat[i], s["line"].iat[i])
            notes.append(
                f"{s['account'].iat[i]} {s['symbol'].iat[i]}: ${short * per:,.2f} of the "
                f"wash-sale loss the broker reported on the sale of "
                f"{pd.Timestamp(s['sale_date'].iat[i]).date()} ({src}) has no replacement "
                "purchase in the history within 30 days; it is not placed")
        if pd.isna(s["acquired"].iat[i]) and placed[i] > EPS:
            notes.append(f"{s['account'].iat[i]} {s['symbol'].iat[i]}: the wash sale of "
                         f"{pd.Timestamp(s['sale_date'].iat[i]).date()} has no acquisition "
                         "date: the replacement's holding period is not tacked")
    return pieces, adj, notes


# --- the replay -------------------------------------------------------------------------------


def rebuild_lots(transactions: pd.DataFrame, *, methods: Mapping[str, str] | None = None,
                 realized: pd.DataFrame | None = None, as_of=None,
                 positions: pd.DataFrame | None = None,
                 default_method: str = "fifo") -> HistoryResult:
    """Replay a transaction history into open tax lots (see the module docstring).

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (:data:`~toolkit.schema.TRANSACTIONS`): signed share
        ``quantity``, signed ``amount`` and ``fees`` in dollars, trade ``date``. Rows of any
        number of accounts and symbols; rows that move no shares are ignored.
    methods : mapping of str to str, optional
        Account id -> relief method, one of :class:`~toolkit.schema.CostBasisMethod` (a household's
        ``cost_basis_method``); accounts not listed use ``default_method``.
    realized : DataFrame, optional
        The broker's realised rows (:data:`~toolkit.schema.REALIZED`): they identify the lots
        of ``specific`` accounts, order same-day sales, and carry reported wash sales onto
        replacement lots.
    as_of : date-like, optional
        Rows dated after it are not replayed (default: all rows).
    positions : DataFrame, optional
        Canonical positions, used only to give rows without a symbol (401(k) workplace rows)
        the symbol of the same account's position with the same description.
    default_method : str, default "fifo"
        Method of accounts not in ``methods``.

    Returns
    -------
    HistoryResult
        ``lots``, ``realized``, ``implied``, ``warnings``, ``unmatched`` and
        ``wash_adjustments``. Money in dollars, quantities in shares, dates at midnight.

    Raises
    ------
    SchemaError
        If ``transactions`` or ``realized`` is not a valid canonical frame.
    HouseholdError
        If a method is not one of :class:`~toolkit.schema.CostBasisMethod`.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"date": ["2024-01-02", "2024-06-03", "2025-02-03"],
    ...                    "account": "A", "action": ["buy", "buy", "sell"], "symbol": "VTI",
    ...                    "quantity": [10.0, 10.0, -15.0], "amount": [-2000.0, -2500.0, 4200.0]})
    >>> rebuild_lots(tx).lots[["acquired", "quantity", "cost_basis"]].values.tolist()
    [[Timestamp('2024-06-03 00:00:00'), 5.0, 1250.0]]
    """
    meth = _check_methods(methods, default_method)
    tx = validate_transactions(transactions, where="rebuild_lots transactions")
    rz = (validate_realized(realized, where="rebuild_lots realized") if realized is not None
          else REALIZED.empty())
    if as_of is not None:
        tx = tx[tx["date"] <= pd.Timestamp(as_of).normalize()].reset_index(drop=True)
    notes: list[str] = []
    tx = tx.assign(symbol=_resolve(tx, positions))
    kind, ignored = _kinds(tx)
    nosym = (kind >= 0) & tx["symbol"].isna().to_numpy()
    if nosym.any():
        bad = tx[nosym]
        notes.append(f"{int(nosym.sum())} share-moving row(s) have no symbol and match no "
                     "position by description, so they are not replayed: "
                     + "; ".join(f"{r.account} {r.description!r} "
                                 f"({_where(r.source_file, r.source_line)})"
                                 for r in bad.head(_MAX_LISTED).itertuples())
                     + (" ..." if len(bad) > _MAX_LISTED else ""))
        kind = np.where(nosym, -1, kind)
    cost, proceeds = _costs(tx, kind)
    rows = tx.assign(_kind=kind, _cost=cost, _proceeds=proceeds, _day=_days(tx["date"]),
                     _order=_file_order(tx))
    ign = rows[ignored.to_numpy() & rows["symbol"].notna().to_numpy()]
    rows = _pair_splits(rows.assign(_old_qty=np.nan), notes)
    rows = rows[rows["_kind"].to_numpy() >= 0]
    lookup = _realized_lookup(rz)
    phase = np.select([rows["_kind"].isin([_SPLIT, _RSPLIT]), rows["_kind"].isin([_BUY, _TIN])],
                      [0, 2], 3)
    phase = np.where(_early(rows, lookup), 1, phase)
    rows = rows.assign(_phase=phase).sort_values(
        ["account", "symbol", "_day", "_phase", "source_file", "_order"], kind="stable",
        na_position="last")
    pieces, wash_rows, more = _wash_pieces(rows, rz)
    notes.extend(more)

    state = _Replay(meth, default_method, lookup, pieces)
    state.run(rows)
    for (a, s), g in ign.groupby(["account", "symbol"], sort=True):
        st = state.stats_for(a, s, state.method_of(a))
        st["ignored"] += len(g)
        state.notes.append(
            f"{a} {s}: {len(g)} share-moving row(s) cannot be replayed and are ignored: "
            + "; ".join(f"{r.action_text if pd.notna(r.action_text) else r.action} "
                        f"{_qty(r.quantity)} on {r.date.date()} "
                        f"({_where(r.source_file, r.source_line)})"
                        for r in g.head(_MAX_LISTED).itertuples())
            + (" ..." if len(g) > _MAX_LISTED else ""))
    return state.result(notes, wash_rows)


class _Replay:
    """Replay sorted rows into pools; collect lots, realised pieces and what did not fit."""

    def __init__(self, methods: dict[str, str], default: str, lookup: dict,
                 pieces: dict) -> None:
        self.methods = methods
        self.default = default
        self.lookup = lookup
        self.pieces = pieces
        self.pools: dict[tuple[str, str], Pool] = {}
        self.stats: dict[tuple[str, str], dict] = {}
        self.realized: list[tuple] = []
        self.unmatched: list[tuple] = []
        self.notes: list[str] = []
        self.disagree: list[str] = []
        self.seq = 0

    def method_of(self, account: str) -> str:
        return self.methods.get(account, self.default)

    def stats_for(self, account: str, symbol: str, method: str) -> dict:
        key = (account, symbol)
        st = self.stats.get(key)
        if st is None:
            st = self.stats[key] = {"net": 0.0, "rows": 0, "ignored": 0, "unmatched": 0.0,
                                    "first": None, "last": None, "files": {},
                                    "method": method}
        return st

    def run(self, rows: pd.DataFrame) -> None:
        cols = [rows[c].tolist() for c in ("account", "symbol", "_day", "_kind", "quantity",
                                           "_cost", "_proceeds", "source_file",
                                           "source_line", "action", "_old_qty")]
        labels = rows.index.tolist()
        cols[8] = [None if v != v else int(v)  # source_line: NaN when missing
                   for v in rows["source_line"].astype("float64").tolist()]
        for label, acct, sym, day, kind, q, cost, proceeds, file, line, action, old_q in zip(
                labels, *cols, strict=True):
            key = (acct, sym)
            pool = self.pools.get(key)
            method = self.method_of(acct)
            if pool is None:
                pool = self.pools[key] = Pool("fifo" if method == "specific" else method)
            st = self.stats_for(acct, sym, method)
            file = file if isinstance(file, str) else None
            if kind == _RSPLIT:  # new total q for old_q shares: the change is held x (r - 1)
                held = pool.total
                if held <= EPS:
                    st["ignored"] += 1
                    self.notes.append(f"{acct} {sym}: reverse split on {_day_str(day)} "
                                      f"({_where(file, line)}, {_qty(q)} new shares for "
                                      f"{_qty(old_q)}) with no shares held in the history; "
                                      "ignored")
                    continue
                if abs(held - old_q) > 1e-6:
                    self.notes.append(f"{acct} {sym}: reverse split on {_day_str(day)} "
                                      f"({_where(file, line)}) gives {_qty(q)} shares for "
                                      f"{_qty(old_q)} but the history holds {_qty(held)}; "
                                      "the ratio is applied to what it holds")
                q = held * (q / old_q) - held
            if kind in (_SPLIT, _RSPLIT):
                if pool.split(q) is None:
                    st["ignored"] += 1
                    self.notes.append(f"{acct} {sym}: split of {_qty(q)} shares on "
                                      f"{_day_str(day)} ({_where(file, line)}) with no shares "
                                      "held in the history; ignored")
                    continue
            elif kind in (_BUY, _TIN):
                self._open(pool, label, acct, sym, day, q, cost, file, line, kind)
            else:
                self._close(pool, method, acct, sym, day, q, proceeds, file, line, action,
                            kind)
            st["net"] += q
            st["rows"] += 1
            st["first"] = day if st["first"] is None else min(st["first"], day)
            st["last"] = day if st["last"] is None else max(st["last"], day)
            if file is not None:
                st["files"][file] = None

    def _open(self, pool: Pool, label, acct, sym, day, q, cost, file, line, kind) -> None:
        base = f"history:{file}:{line}" if file is not None and line is not None else \
            f"history:row{label}"
        if kind == _TIN:
            if math.isnan(cost):
                self.notes.append(f"{acct} {sym}: {_qty(q)} shares transferred in on "
                                  f"{_day_str(day)} ({_where(file, line)}) carry no cost basis "
                                  "in the history: basis missing")
            else:
                self.notes.append(f"{acct} {sym}: the basis of the {_qty(q)} shares "
                                  f"transferred in on {_day_str(day)} ({_where(file, line)}) "
                                  f"is taken from the row's amount or price (${cost:,.2f}), "
                                  "which may be their value on that day rather than their "
                                  "original cost")
        elif math.isnan(cost):
            self.notes.append(f"{acct} {sym}: the purchase of {_qty(q)} shares on "
                              f"{_day_str(day)} ({_where(file, line)}) has no amount or "
                              "price: basis missing")
        parts = []
        left = q
        for x, per, hs in self.pieces.get(label, ()):
            parts.append((x, cost * x / q + per * x, per * x,
                          day if hs is None else min(day, hs)))
            left -= x
        if left > EPS:
            parts.append((left, cost * left / q, np.nan, day))
        for k, (x, basis, wash, hs) in enumerate(parts, start=1):
            self.seq += 1
            lot_id = base if len(parts) == 1 else f"{base}.{k}"
            pool.add(Lot(x, basis, day, hs, lot_id, file, line, self.seq, wash))

    def _close(self, pool: Pool, method, acct, sym, day, q, proceeds, file, line, action,
               kind) -> None:
        need = -q
        held = pool.total
        entries = self.lookup.get((acct, sym, day))
        if method == "specific":
            taken, left, fallback = pool.take_identified(need, entries)
            if fallback > EPS:
                why = ("the broker's realised rows identify only part of it" if entries else
                       "no realised rows from the broker identify its lots")
                self.notes.append(f"{acct} {sym}: sale of {_qty(need)} shares on "
                                  f"{_day_str(day)} ({_where(file, line)}) uses specific "
                                  f"identification but {why}; {_qty(fallback)} shares "
                                  "relieved FIFO")
        else:
            taken, left = pool.take(need)
            if entries and kind == _SELL:
                self._compare(entries, taken, need, method, acct, sym, day, file, line)
        if kind == _SELL:
            for lot, x, basis, _ in taken:
                p = proceeds * x / need
                self.realized.append((acct, sym, x, lot.acq, lot.hs, day, p, basis, p - basis,
                                      lot.lot_id, file, line))
        if left > EPS:
            st = self.stats[(acct, sym)]
            st["unmatched"] += left
            self.unmatched.append((
                acct, sym, _day_ts(day), action, left, need, max(held, 0.0),
                proceeds * left / need if kind == _SELL else math.nan, file, line,
                f"{'sold' if kind == _SELL else 'moved out'} {_qty(need)} shares but the "
                f"history held {_qty(max(held, 0.0))}: {_qty(left)} shares were acquired "
                "before the history starts or in rows it could not replay"))

    def _compare(self, entries, taken, need, method, acct, sym, day, file, line) -> None:
        named = set()
        want = need
        for e in entries:
            if want <= EPS:
                break
            if e[1] <= EPS:
                continue
            x = min(want, e[1])
            e[1] -= x
            want -= x
            named.add(e[0])
        took = {lot.acq for lot, *_ in taken}
        if named and None not in named and took != named:
            self.disagree.append(
                f"{acct} {sym} sale on {_day_str(day)} ({_where(file, line)}): the broker "
                f"reports lots acquired {', '.join(_day_str(d) for d in sorted(named))}; the "
                f"{method} replay sold lots acquired "
                f"{', '.join(_day_str(d) for d in sorted(took)) or 'nothing'}")

    def result(self, notes: list[str], wash_rows: list) -> HistoryResult:
        lots = []
        held: dict[tuple[str, str], tuple[float, float, bool]] = {}
        for (acct, sym), pool in self.pools.items():
            q = b = 0.0
            missing = False
            for lot in pool.open_lots():
                lots.append((acct, sym, lot.qty, lot.basis, lot.acq, lot.hs, lot.wash,
                             lot.lot_id, lot.file, lot.line))
                q += lot.qty
                if math.isnan(lot.basis):
                    missing = True
                else:
                    b += lot.basis
            held[(acct, sym)] = (q, b, missing)
        if self.disagree:
            self.notes.append(
                f"{len(self.disagree)} sale(s) where the broker's realised rows name other "
                "lots than the account's method relieves (check cost_basis_method): "
                + "; ".join(self.disagree[:_MAX_LISTED])
                + (" ..." if len(self.disagree) > _MAX_LISTED else ""))
        return HistoryResult(lots=_lots_frame(lots), realized=_realized_frame(self.realized),
                             implied=self._implied(held), warnings=tuple(notes + self.notes),
                             unmatched=_frame(self.unmatched, UNMATCHED_COLUMNS),
                             wash_adjustments=_frame(wash_rows, WASH_COLUMNS))

    def _implied(self, held: dict) -> pd.DataFrame:
        out = []
        for k, st in sorted(self.stats.items()):
            q, b, missing = held.get(k, (0.0, math.nan, False))
            first, last = (None if d is None else np.datetime64(int(d), "D")
                           for d in (st["first"], st["last"]))
            out.append((*k, st["net"], q, math.nan if missing or q <= EPS else b, missing,
                        st["unmatched"], st["rows"], st["ignored"], first, last,
                        st["method"], ", ".join(st["files"])))
        return _frame(out, IMPLIED_COLUMNS)


def _day_ts(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _day_str(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _lots_frame(rows: list[tuple]) -> pd.DataFrame:
    if not rows:
        return LOTS.empty()
    df = pd.DataFrame(rows, columns=["account", "symbol", "quantity", "cost_basis", "acquired",
                                     "holding_start", "wash_sale_disallowed", "lot_id",
                                     "source_file", "source_line"])
    df["acquired"] = _dates(df["acquired"])
    df["holding_start"] = _dates(df["holding_start"])
    df["wash_sale_disallowed"] = df["wash_sale_disallowed"].where(
        df["wash_sale_disallowed"] > 0)
    return validate_lots(df, where="rebuilt lots")


def _realized_frame(rows: list[tuple]) -> pd.DataFrame:
    if not rows:
        return REALIZED.empty().assign(lot_id=pd.Series(dtype="str"))
    df = pd.DataFrame(rows, columns=["account", "symbol", "quantity", "acquired",
                                     "holding_start", "sold", "proceeds", "cost_basis", "gain",
                                     "lot_id", "source_file", "source_line"])
    for c in ("acquired", "holding_start", "sold"):
        df[c] = _dates(df[c])
    df["term"] = terms(df["holding_start"], df["sold"])
    df = df.drop(columns="holding_start")
    return validate_realized(df, where="rebuilt realized")
