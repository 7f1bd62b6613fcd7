"""The harvest log: an append-only record of the tax-loss harvests a person actually did.

A log answers the questions that come later: which lots were sold on which day, the loss,
what was bought instead and where, and the first day the original can be bought back
without washing the loss (sale date + 31 days, IRC §1091(a): the 30 days after the sale are
in the window). It is written to CSV (for programs) or to an Excel workbook formatted for
people (number and date formats, a frozen header, column widths), and read back from either
with :func:`read_log`.

Text that a spreadsheet would run as a formula (a cell beginning with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return; OWASP "CSV injection") is written with a single quote
``'`` in front, in both formats, so a log cannot carry formulas. A text that already begins
with ``'`` gets one more, so :func:`read_log` can remove exactly one and give back the text
as recorded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from toolkit._xlsx import write_sheet
from toolkit.errors import FormatError, PlanningError
from toolkit.schema import DATE_DTYPE, REALIZED, Term, validate_realized

__all__ = ["LOG_COLUMNS", "LOG_LABELS", "HarvestLog", "log_acquisitions", "log_sales",
           "read_log"]

#: Columns of a harvest log, in order.
LOG_COLUMNS = (
    "date_sold", "account", "symbol", "lot_ids", "quantity", "proceeds", "cost_basis", "loss",
    "term", "replacement_symbol", "replacement_account", "replacement_date",
    "first_safe_buyback", "note",
)
#: Column headings of the Excel log (for people); :func:`read_log` accepts either.
LOG_LABELS = {
    "date_sold": "Date sold", "account": "Account", "symbol": "Symbol", "lot_ids": "Lots",
    "quantity": "Shares", "proceeds": "Proceeds", "cost_basis": "Cost basis", "loss": "Loss",
    "term": "Term", "replacement_symbol": "Replacement", "replacement_account":
    "Replacement account", "replacement_date": "Replacement date",
    "first_safe_buyback": "First safe buy-back", "note": "Note",
}
_DATES = ("date_sold", "replacement_date", "first_safe_buyback")
_MONEY = ("proceeds", "cost_basis", "loss")
_FLOATS = ("quantity", *_MONEY)
_TEXT = tuple(c for c in LOG_COLUMNS if c not in _DATES and c not in _FLOATS)
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
#: Days after the sale in the wash-sale window (the safe day is the one after).
_WINDOW_AFTER = 30


def _neutralise(v):
    if isinstance(v, str) and v.startswith(_TRIGGERS):
        return "'" + v
    return v


def _restore(v):
    if isinstance(v, str) and v.startswith("'"):
        return v[1:]
    return v


def _empty() -> pd.DataFrame:
    out = {}
    for c in LOG_COLUMNS:
        out[c] = pd.Series(dtype=DATE_DTYPE if c in _DATES else
                           "float64" if c in _FLOATS else "str")
    return pd.DataFrame(out)


def _coerce(df: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in LOG_COLUMNS if c not in df.columns]
    if missing:
        raise FormatError(f"a harvest log needs the column(s) {', '.join(missing)}",
                          path=where or None)
    out = pd.DataFrame(index=range(len(df)))
    for c in LOG_COLUMNS:
        s = df[c].reset_index(drop=True)
        try:
            if c in _DATES:
                s = pd.to_datetime(s).astype(DATE_DTYPE).dt.normalize()
            elif c in _FLOATS:
                s = pd.to_numeric(s).astype("float64")
            else:
                s = s.astype("str").where(s.notna() & s.astype("str").ne(""))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"column {c!r} cannot be read ({exc})", path=where or None,
                              column=c) from exc
        out[c] = s
    return out


class HarvestLog:
    """An append-only log of harvests done (columns :data:`LOG_COLUMNS`).

    Parameters
    ----------
    entries : DataFrame, optional
        Existing entries with the :data:`LOG_COLUMNS` (e.g. from :func:`read_log`).

    Notes
    -----
    Entries are only ever added (:meth:`record`, :meth:`extend`); :attr:`frame` is a copy.
    Money in dollars, quantities in shares, dates at midnight; ``loss`` is ``cost_basis -
    proceeds`` (positive for a loss), ``first_safe_buyback`` the sale date + 31 days.
    """

    def __init__(self, entries: pd.DataFrame | None = None) -> None:
        self._frame = _empty() if entries is None else _coerce(entries, "")

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        return f"HarvestLog({len(self)} entries)"

    @property
    def frame(self) -> pd.DataFrame:
        """The entries, a copy (columns :data:`LOG_COLUMNS`)."""
        return self._frame.copy()

    def record(self, date, account: str, symbol: str, quantity: float, proceeds: float,
               cost_basis: float, *, lot_ids: str | Sequence[str] | None = None,
               term: str | None = None, replacement_symbol: str | None = None,
               replacement_account: str | None = None, replacement_date=None,
               note: str | None = None) -> HarvestLog:
        """Add one harvest sale to the log.

        Parameters
        ----------
        date : date-like
            Trade date of the sale.
        account, symbol : str
            Where and what was sold.
        quantity : float
            Shares sold (positive).
        proceeds, cost_basis : float
            Dollars received (net of fees) and the shares' cost basis.
        lot_ids : str or sequence of str, optional
            The lots sold (joined with ``;``).
        term : {"short", "long"}, optional
            Holding-period character of the loss.
        replacement_symbol, replacement_account : str, optional
            What was bought instead, and where (default: the account sold from, when a
            replacement symbol is given).
        replacement_date : date-like, optional
            When it was bought (default: the sale date, when a replacement symbol is given).
        note : str, optional
            Free text; a leading ``=``, ``+``, ``-`` or ``@`` is neutralised on writing.

        Returns
        -------
        HarvestLog
            This log (for chaining).

        Raises
        ------
        PlanningError
            If a number is missing, not finite, or negative (quantity must be positive), the
            term is not ``short``/``long``, or a date cannot be read.
        """
        nums = {"quantity": quantity, "proceeds": proceeds, "cost_basis": cost_basis}
        for k, v in nums.items():
            if isinstance(v, bool) or not isinstance(v, int | float | np.number) or not (
                    math.isfinite(v)) or v < 0 or (k == "quantity" and v == 0):
                raise PlanningError(f"harvest log: {k} = {v!r} must be a "
                                    f"{'positive' if k == 'quantity' else 'non-negative'} "
                                    "number")
        if term is not None and term not in {t.value for t in Term}:
            raise PlanningError(f"harvest log: term {term!r} must be 'short' or 'long'")
        try:
            day = pd.Timestamp(date).normalize()
            rdate = (pd.Timestamp(replacement_date).normalize() if replacement_date is not None
                     else (day if replacement_symbol else pd.NaT))
        except (TypeError, ValueError) as exc:
            raise PlanningError(f"harvest log: a date cannot be read ({exc})") from exc
        if pd.isna(day):
            raise PlanningError("harvest log: the sale date is missing")
        if lot_ids is not None and not isinstance(lot_ids, str):
            lot_ids = ";".join(str(x) for x in lot_ids)
        row = {
            "date_sold": day, "account": str(account), "symbol": str(symbol),
            "lot_ids": lot_ids, "quantity": float(quantity), "proceeds": float(proceeds),
            "cost_basis": float(cost_basis),
            "loss": round(float(cost_basis) - float(proceeds), 2) + 0.0, "term": term,
            "replacement_symbol": replacement_symbol,
            "replacement_account": replacement_account if replacement_account is not None
            else (str(account) if replacement_symbol else None),
            "replacement_date": rdate,
            "first_safe_buyback": day + pd.Timedelta(days=_WINDOW_AFTER + 1),
            "note": note,
        }
        self._append(pd.DataFrame([row]))
        return self

    def extend(self, other: HarvestLog | pd.DataFrame) -> HarvestLog:
        """Append another log's entries (or a frame with :data:`LOG_COLUMNS`).

        Parameters
        ----------
        other : HarvestLog or DataFrame

        Returns
        -------
        HarvestLog
            This log.
        """
        self._append(other.frame if isinstance(other, HarvestLog) else other)
        return self

    def _append(self, rows: pd.DataFrame) -> None:
        new = _coerce(rows, "")
        if not len(self._frame):
            self._frame = new
        elif len(new):
            self._frame = pd.concat([self._frame, new], ignore_index=True)

    @classmethod
    def from_result(cls, result, *, date=None, statuses: Sequence[str] = ("harvest",),
                    note: str | None = None) -> HarvestLog:
        """A log of the sales a :class:`~toolkit.tax.harvest.HarvestResult` proposes.

        Parameters
        ----------
        result : HarvestResult
            From :func:`toolkit.tax.harvest.harvest`.
        date : date-like, optional
            The sale date (default ``result.as_of``).
        statuses : sequence of str, default ("harvest",)
            Candidate statuses to log.
        note : str, optional
            Note on every entry.

        Returns
        -------
        HarvestLog
            One entry per account, symbol and term: lots joined with ``;``, shares,
            proceeds (the candidates' market value: replace with the fills actually
            received), basis, loss, and the holding's chosen replacement, bought in the same
            account on the sale date.
        """
        day = pd.Timestamp(date if date is not None else result.as_of).normalize()
        c = result.candidates[result.candidates["status"].isin(list(statuses))]
        log = cls()
        if c.empty:
            return log
        rep = result.by_symbol.set_index(["account", "symbol"])["replacement"]
        rows = []
        for (acct, sym, term), g in c.groupby(["account", "symbol", "term"], sort=False):
            r = rep.get((acct, sym))
            r = r if isinstance(r, str) else None
            proceeds = round(float(g["market_value"].sum()), 2)
            basis = round(float(g["cost_basis"].sum()), 2)
            rows.append({
                "date_sold": day, "account": acct, "symbol": sym,
                "lot_ids": ";".join(g["lot_id"].dropna().astype(str)) or None,
                "quantity": float(g["quantity"].sum()), "proceeds": proceeds,
                "cost_basis": basis, "loss": round(basis - proceeds, 2) + 0.0, "term": term,
                "replacement_symbol": r, "replacement_account": acct if r else None,
                "replacement_date": day if r else pd.NaT,
                "first_safe_buyback": day + pd.Timedelta(days=_WINDOW_AFTER + 1),
                "note": note})
        log._append(pd.DataFrame(rows))
        return log

    # --- files -------------------------------------------------------------------------------

    def to_csv(self, path: str | Path) -> Path:
        """Write the log as CSV (UTF-8, ISO dates, formula-like text neutralised).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path
            The file written.
        """
        path = Path(path)
        f = self._frame.copy()
        for c in _TEXT:
            f[c] = f[c].map(_neutralise, na_action="ignore")
        f.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        return path

    def to_xlsx(self, path: str | Path) -> Path:
        """Write the log as an Excel workbook formatted for people.

        One sheet, "Harvest log": bold headings (:data:`LOG_LABELS`) on a frozen first row
        with a filter, dates as ``yyyy-mm-dd``, dollars as ``#,##0.00``, shares to 4
        decimals, columns sized to their contents; formula-like text neutralised.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path
            The file written.
        """
        path = Path(path)
        wb = Workbook()
        ws = wb.active
        ws.title = "Harvest log"
        f = self._frame.copy()
        for c in _TEXT:  # escape a leading quote too, so read_log restores the text exactly
            f[c] = f[c].map(_neutralise, na_action="ignore")
        f = f.rename(columns=LOG_LABELS)
        fmt = {LOG_LABELS[c]: ("date" if c in _DATES else "#,##0.00" if c in _MONEY else
                               "#,##0.0000" if c == "quantity" else "@") for c in LOG_COLUMNS}
        write_sheet(ws, f, formats=fmt)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(LOG_COLUMNS))}{max(ws.max_row, 1)}"
        wb.save(path)
        return path


def read_log(path: str | Path) -> HarvestLog:
    """Read a harvest log written by :meth:`HarvestLog.to_csv` or :meth:`HarvestLog.to_xlsx`.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.xlsx`` file; headings may be the column names (:data:`LOG_COLUMNS`)
        or the Excel labels (:data:`LOG_LABELS`).

    Returns
    -------
    HarvestLog
        The entries, text restored as recorded (one leading ``'`` removed).

    Raises
    ------
    FormatError
        If the file is neither CSV nor XLSX, or lacks a column, or a value cannot be read.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    by_label = {v.casefold(): k for k, v in LOG_LABELS.items()} | {
        k.casefold(): k for k in LOG_COLUMNS}
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
    elif suffix == ".xlsx":
        if not path.exists():
            raise FileNotFoundError(path)
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = list(wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
        if not rows:
            raise FormatError("the workbook is empty", path=path)
        head = [str(h) if h is not None else "" for h in rows[0]]
        df = pd.DataFrame(rows[1:], columns=head, dtype="object")
    else:
        raise FormatError("a harvest log is a .csv or .xlsx file", path=path)
    df = df.rename(columns=lambda h: by_label.get(str(h).strip().casefold(), h))
    for c in _TEXT:
        if c in df.columns:
            df[c] = df[c].map(lambda v: _restore(v) if isinstance(v, str) else v)
    return HarvestLog(_coerce(df, str(path)))


def log_sales(log: pd.DataFrame, realized: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """The harvest log's sales that no realised row shows yet, as realised rows.

    A harvest done after the last download is a sale all the same (the year's gains and the
    wash-sale rule count it). A broker's realised row or a sale replayed from a history for
    the same account, symbol and day wins (it carries acquisition dates and the broker's
    figures), so a log read back after the next download adds nothing twice.

    Parameters
    ----------
    log : DataFrame
        Harvest log entries (:data:`LOG_COLUMNS`), account ids as the household's.
    realized : DataFrame
        The household's realised rows.
    source : str
        The log's file name (``source_file`` of the rows; ``source_line`` is the entry's
        line in a CSV log: its position + 2).

    Returns
    -------
    DataFrame
        Canonical realised rows (:data:`~toolkit.schema.REALIZED`), ``acquired`` unknown.
    """
    if log.empty:
        return REALIZED.empty()
    have = set(zip(realized["account"], realized["symbol"], realized["sold"], strict=True))
    ok = (log["date_sold"].notna() & log["quantity"].gt(0) & log["account"].notna()
          & log["symbol"].notna()).to_numpy()
    new = np.asarray([k not in have for k in zip(log["account"], log["symbol"],
                                                   log["date_sold"], strict=True)])
    lg = log[ok & new]
    if lg.empty:
        return REALIZED.empty()
    rows = pd.DataFrame({
        "account": lg["account"], "symbol": lg["symbol"], "quantity": lg["quantity"],
        "acquired": pd.NaT, "sold": lg["date_sold"], "proceeds": lg["proceeds"],
        "cost_basis": lg["cost_basis"], "gain": lg["proceeds"] - lg["cost_basis"],
        "term": lg["term"], "wash_sale_disallowed": np.nan, "source_file": source,
        "source_line": np.flatnonzero(ok & new) + 2})
    return validate_realized(rows.reset_index(drop=True), where=source)


def log_acquisitions(log: pd.DataFrame, transactions: pd.DataFrame,
                     prices: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """The harvest log's replacement purchases that no transaction shows yet.

    Parameters
    ----------
    log : DataFrame
        Harvest log entries (:data:`LOG_COLUMNS`).
    transactions : DataFrame
        The household's transactions: a buy of the same account, symbol and day is the same
        purchase.
    prices : Series
        Symbol -> price a share (the household's positions): the log records the dollars a
        harvest reinvested (its proceeds) but not the shares, so shares = proceeds / price.

    Returns
    -------
    tuple
        ``(acquisitions, notes)``: ``account``, ``symbol``, ``date``, ``quantity``,
        ``cost``, ``source_line``; notes on replacements without a price.
    """
    cols = ["account", "symbol", "date", "quantity", "cost", "source_line"]
    if log.empty:
        return pd.DataFrame(columns=cols), []
    buys = transactions[transactions["action"].isin(["buy", "reinvest"])]
    have = set(zip(buys["account"], buys["symbol"], buys["date"], strict=True))
    acct = log["replacement_account"].fillna(log["account"])
    ok = (log["replacement_symbol"].notna() & log["replacement_date"].notna()).to_numpy()
    new = np.asarray([k not in have for k in zip(acct, log["replacement_symbol"],
                                                   log["replacement_date"], strict=True)])
    at = np.flatnonzero(ok & new)
    lg = log.iloc[at]
    if lg.empty:
        return pd.DataFrame(columns=cols), []
    price = lg["replacement_symbol"].map(prices).astype("float64")
    notes = [f"harvest log line {i + 2}: the replacement {s} has no price in the household's "
             "positions, so its shares are unknown and it is not checked as a replacement"
             for i, s in zip(at[price.isna().to_numpy()],
                             lg.loc[price.isna(), "replacement_symbol"], strict=True)]
    out = pd.DataFrame({"account": acct.iloc[at].to_numpy(),
                        "symbol": lg["replacement_symbol"].to_numpy(),
                        "date": lg["replacement_date"].to_numpy(),
                        "quantity": (lg["proceeds"] / price).to_numpy(),
                        "cost": lg["proceeds"].to_numpy(), "source_line": at + 2})
    return out[price.notna().to_numpy()].reset_index(drop=True), notes
