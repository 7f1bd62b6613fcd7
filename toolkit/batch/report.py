"""The book report: one workbook with the summary, who needs attention and every result.

Sheets: ``Summary`` (:meth:`BookResult.summary`), ``Attention``
(:meth:`BookResult.attention`), then one sheet per non-empty result (``Households``,
``Accounts``, ``Drift``, ``Checkup``, ``Harvest``, ``RMD``, ``Plan``, ``Trades``, ``Orders``,
``Failures``), laid out by the project's one formula-safe sheet writer
(:func:`toolkit._xlsx.write_sheet`). Account ids are masked by default, in account columns
and in free text alike, by the project's one masking rule
(:class:`toolkit.accounts.AccountMasker`) applied household by household: masks are unique
within each household, as on its own screens and meeting pack.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from toolkit._xlsx import write_items, write_sheet
from toolkit.accounts import AccountMasker

__all__ = ["SHEETS", "account_maskers", "mask_book_frame", "write_book_xlsx"]

#: Result frame -> sheet name, in sheet order.
SHEETS = {"households": "Households", "accounts": "Accounts", "drift": "Drift",
          "checkup": "Checkup", "harvest": "Harvest", "rmd": "RMD", "plan": "Plan",
          "trades": "Trades", "orders": "Orders", "failures": "Failures"}

_MONEY = ("value", "market_value", "cost_basis", "cash", "harvest_value", "rmd_owed",
          "plan_tax", "tax", "federal", "state", "niit", "short_term_gain", "long_term_gain",
          "bought", "sold", "amount", "est_tax", "gain", "loss", "tax_value", "balance", "rmd",
          "group_rmd", "dollars_to_target", "dollars_outside", "wash_loss")
_PCT = ("current", "target", "drift", "lower", "upper", "turnover", "abs_drift_before",
        "abs_drift_after", "drift_rel", "loss_pct")


def _formats(df: pd.DataFrame) -> dict[str, str]:
    out = {}
    for c in df.columns:
        if c in _MONEY:
            out[c] = "money"
        elif c in _PCT:
            out[c] = "pct"
        elif pd.api.types.is_datetime64_any_dtype(df[c]):
            out[c] = "date"
    return out


def _account_ids(result) -> list[str]:
    ids: set[str] = set()
    for df in result.frames.values():
        if "account" in df.columns:
            ids.update(str(a) for a in df["account"].dropna().unique())
    return sorted(ids)


def account_maskers(result) -> dict[str, AccountMasker]:
    """Each household's account masker, from the book's ``accounts`` frame.

    Parameters
    ----------
    result : BookResult

    Returns
    -------
    dict
        Household id -> its :class:`~toolkit.accounts.AccountMasker` (masks unique within
        the household, the account's name added where two ids cannot be told apart).
    """
    acc = result.frames.get("accounts")
    if acc is None or not len(acc) or not {"household", "account"} <= set(acc.columns):
        return {}
    return {str(h): AccountMasker.of(g) for h, g in acc.groupby("household", sort=False)}


def mask_book_frame(df: pd.DataFrame, result,
                    maskers: dict[str, AccountMasker] | None = None) -> pd.DataFrame:
    """A copy of a book frame with every account id masked, household by household.

    Parameters
    ----------
    df : DataFrame
        One of ``result``'s frames, or a selection of one. Rows are masked by their
        ``household``'s masker (cells and free text alike); rows of a household without
        accounts, and frames without a ``household`` column, by the masker of every account
        id in the book.
    result : BookResult
    maskers : dict, optional
        :func:`account_maskers` of ``result``, when already at hand.

    Returns
    -------
    DataFrame
        Same index, columns and row order as ``df``.
    """
    maskers = account_maskers(result) if maskers is None else maskers
    book = AccountMasker.of(_account_ids(result))
    if "household" not in df.columns or not len(df):
        return book.frame(df)
    parts = [maskers.get(str(h), book).frame(g)
             for h, g in df.groupby("household", sort=False, dropna=False)]
    return pd.concat(parts).loc[df.index]


def write_book_xlsx(result, path: str | Path, *, mask_accounts: bool = True) -> Path:
    """Write a book's results to one workbook for people.

    Parameters
    ----------
    result : BookResult
    path : str or Path
        The ``.xlsx`` file to write (its folder is created).
    mask_accounts : bool, default True
        Show account ids masked (``...567``; unique within each household), everywhere.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    maskers = account_maskers(result) if mask_accounts else {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    s = result.summary()
    write_items(ws, [(r.item, r.value, "money" if r.unit == "dollars" else None)
                     for r in s.itertuples(index=False)], header=("Book", "Value"))
    sheets = [("Attention", result.attention())]
    sheets += [(title, result.frames[name]) for name, title in SHEETS.items()
               if name in result.frames and len(result.frames[name])]
    for title, df in sheets:
        df = mask_book_frame(df, result, maskers) if mask_accounts else df
        write_sheet(wb.create_sheet(title), df, formats=_formats(df))
    wb.save(path)
    return path
