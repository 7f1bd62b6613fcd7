"""One shared cleanup for the cells of every export: money, quantities, percents, nulls, dates.

All functions are vectorised over a ``Series`` of raw cell strings and raise
:class:`~toolkit.errors.FormatError` naming the file, line and column of the first cell they
cannot read. ``lines`` is a Series aligned with the cells holding each row's 1-based line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import DATE_DTYPE

#: Cell texts that mean "no value" (compared case-insensitively after stripping).
#: Not ``nan``: a ticker (NAN, a Nuveen fund) and a number that is not one look alike.
NULL_TOKENS = frozenset(
    {"", "--", "-", "n/a", "na", "none", "incomplete", "not applicable", '""', "null"}
)


@dataclass(frozen=True)
class Where:
    """Where cells come from: the file and each row's line number."""

    path: str
    lines: pd.Series  # 1-based line of each row, aligned with the cells' index

    def error(self, index, column: str, message: str) -> FormatError:
        line = self.lines.get(index) if index is not None else None
        return FormatError(message, path=self.path,
                           line=int(line) if line is not None and pd.notna(line) else None,
                           column=column)


_STRIP = ' \t\r\n"'
#: NULL_TOKENS in the letter cases exports use, so membership needs no lower-casing pass.
_NULL_VARIANTS = frozenset(
    v for t in NULL_TOKENS for v in (t, t.upper(), t.title(), t.capitalize()))


def _objects(s: pd.Series) -> np.ndarray:
    """Cells as a NumPy object array with None for missing (fast to loop over in Python)."""
    return s.astype("str").to_numpy(dtype=object, na_value=None)


def _all_empty(s: pd.Series) -> bool:
    """True when every cell is missing or the empty string (an unused optional column)."""
    return bool((s.isna() | (s == "")).all())


def _missing_like(s: pd.Series) -> pd.Series:
    return pd.Series(None, index=s.index, dtype="str")


def strip(s: pd.Series) -> pd.Series:
    """Strip whitespace (and stray quotes) from text cells, keeping missing values."""
    out = [None if c is None else c.strip(_STRIP) for c in _objects(s)]
    return pd.Series(out, index=s.index, dtype="str")


def null_mask(s: pd.Series) -> pd.Series:
    """True where a stripped cell is one of :data:`NULL_TOKENS` (any letter case) or missing."""
    return s.isna() | s.isin(_NULL_VARIANTS)


def text(s: pd.Series) -> pd.Series:
    """Clean a text column: stripped, inner runs of spaces kept, null tokens made missing."""
    if _all_empty(s):
        return _missing_like(s)
    nulls = _NULL_VARIANTS
    out = [None if c is None or (t := c.strip(_STRIP)) in nulls else t for c in _objects(s)]
    return pd.Series(out, index=s.index, dtype="str")


_PLAIN = re.compile(r"^\s*-?(\d+(\.\d*)?|\.\d+)\s*$")

#: Largest magnitude a money or quantity cell may hold (a quadrillion dollars or shares): a
#: bigger number is a damaged cell, not a holding.
MAX_ABS = 1e15

#: Decimal conventions a layout may declare: ``"."`` (US: ``1,234.56``, the default), ``","``
#: (``1.234,56``) and ``"ofx"`` (no thousands separators; either ``.`` or ``,`` as the decimal
#: point, OFX spec 3.2.9.1).
DECIMALS = (".", ",", "ofx")
_DIGITS = {
    ".": r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+",
    ",": r"(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?|,\d+",
    "ofx": r"\d+(?:[.,]\d*)?|[.,]\d+",
}
_GRAMMAR = {
    dec: re.compile(r"(?P<s1>[+-])?\$?(?P<open>\()?(?P<s2>[+-])?\$?"
                    rf"(?P<num>{digits})(?P<exp>[eE][+-]?\d{{1,3}})?"
                    r"(?P<close>\))?(?P<pct>%)?(?P<s3>-)?", re.ASCII)
    for dec, digits in _DIGITS.items()
}
_SPACES = re.compile(r"\s+")


def _number_cell(cell: str, decimal: str, percent: bool) -> float | str:
    """One cell's value, or the reason it is not a number (a str)."""
    t = _SPACES.sub("", cell)
    m = _GRAMMAR[decimal].fullmatch(t)
    if m is None or t.count("$") > 1:
        return "expected a number"
    if (m["open"] is None) != (m["close"] is None):
        return "unbalanced parentheses"
    signs = [x for x in (m["s1"], m["s2"], m["s3"]) if x]
    if len(signs) > 1 or (m["open"] and "-" in signs):
        return "more than one sign"
    if m["pct"] and not percent:
        return "a percent where an amount is expected"
    num = m["num"]
    if decimal == ".":
        num = num.replace(",", "")
    elif decimal == ",":
        num = num.replace(".", "").replace(",", ".")
    else:
        num = num.replace(",", ".")
    value = float(num + (m["exp"] or ""))
    if not math.isfinite(value) or abs(value) >= MAX_ABS:
        return "a number out of range"
    return -value if (m["open"] or "-" in signs) else value


def parse_numbers(s: pd.Series, *, percent: bool = False,
                  decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse money, quantities or percents leniently: values and the cells that failed.

    Accepts ``$1,234.56``, ``-$1,234.56``, ``+$150.25``, ``($1,234.56)``, ``1,259.59``,
    ``.00``, ``1234.5``, ``5.00-``, ``1.5e-4`` and surrounding or inner spaces; ``-2.9%`` only
    when ``percent``. Thousands separators must group by three (``10,00`` is refused, so is
    ``1.234,56`` unless ``decimal=","``). Null tokens become NaN. Refused: anything else,
    including ``inf``, ``nan``, a stray quote and any magnitude of :data:`MAX_ABS` or more.

    Parameters
    ----------
    s : Series of str (or float)
        Raw cells; a float column (from the fast CSV reader) is only range-checked.
    percent : bool, default False
        If True, ``%`` is allowed and the result is a fraction (``+2.68%`` -> 0.0268).
    decimal : {".", ",", "ofx"}, default "."
        The layout's decimal convention (see :data:`DECIMALS`).

    Returns
    -------
    values : Series of float64
        NaN for nulls and for cells that failed.
    failed : Series of str
        Missing where the cell was read; otherwise why it was not (``"expected a number"``).
    """
    none = pd.Series(None, index=s.index, dtype="str")
    if pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        out = s.astype("float64")
        bad = ~np.isfinite(out) & out.notna() | out.abs().ge(MAX_ABS)
        failed = none.mask(bad, "a number out of range")
        out = out.mask(bad)
        return (out / 100.0 if percent else out), failed
    raw = s.astype("str")
    present = raw.notna() & (raw != "")  # empty cells are the commonest null: skip them early
    if not present.any():
        return pd.Series(np.nan, index=s.index, dtype="float64"), none
    first = raw[present].iloc[0]
    if decimal == "." and _PLAIN.match(first):
        # Fast path: plain numbers parse directly; only the rest goes through the grammar.
        vals = pd.to_numeric(raw, errors="coerce").astype("float64")
        need = (vals.isna() | ~np.isfinite(vals) | vals.abs().ge(MAX_ABS)) & present
        vals = vals.mask(need)
    else:
        vals = pd.Series(np.nan, index=s.index, dtype="float64")
        need = present
    failed = none
    if need.any():
        sub = raw[need]
        nulls = _null_cells(sub)
        sub = sub[~nulls]
        if len(sub):
            distinct = pd.unique(sub.to_numpy(dtype=object))
            got = {c: _number_cell(c, decimal, percent) for c in distinct}
            parsed = sub.map(got)
            is_bad = parsed.map(lambda v: isinstance(v, str)).astype(bool)
            if is_bad.any():
                failed = failed.mask(is_bad.reindex(s.index, fill_value=False),
                                     parsed[is_bad].astype("str").reindex(s.index))
            vals.loc[parsed.index[~is_bad]] = parsed[~is_bad].astype("float64")
    if percent:
        vals = vals / 100.0
    return vals, failed


def _null_cells(s: pd.Series) -> pd.Series:
    """True for cells that are a null token once stripped of spaces and quote marks."""
    return s.str.strip().str.strip('"').str.strip().str.casefold().isin(NULL_TOKENS)


def number(s: pd.Series, *, column: str, where: Where, percent: bool = False,
           decimal: str = ".") -> pd.Series:
    """Parse money, quantities or percents into float64, raising at the first bad cell.

    The forms are those of :func:`parse_numbers`; null tokens become NaN.

    Parameters
    ----------
    s : Series of str
        Raw cells.
    column : str
        Column name, for the error message.
    where : Where
        File and line of each row.
    percent : bool, default False
        If True, the result is a fraction (``+2.68%`` -> 0.0268).
    decimal : {".", ",", "ofx"}, default "."
        The layout's decimal convention.

    Returns
    -------
    Series of float64

    Raises
    ------
    FormatError
        At the first cell that is neither a number nor a null token.
    """
    vals, failed = parse_numbers(s, percent=percent, decimal=decimal)
    if failed.notna().any():
        idx = failed.index[failed.notna()][0]
        raise where.error(idx, column, f"{failed[idx]}, found {str(s[idx]).strip()!r}")
    return vals


# --- dates ------------------------------------------------------------------------------------

# (regex on the stripped cell, strftime format applied to the first capture group)
_DATE_FORMS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^(\d{1,2}/\d{1,2}/\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?$", re.I),
     "%m/%d/%Y"),
    (re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[ T,;]+\d{1,2}:?\d{2}:?\d{2}(?:\.\d+)?)?$"),
     "%Y-%m-%d"),
    (re.compile(r"^(\d{4}/\d{1,2}/\d{1,2})$"), "%Y/%m/%d"),
    (re.compile(r"^([A-Za-z]{3}-\d{1,2}-\d{4})$"), "%b-%d-%Y"),
    (re.compile(r"^(\d{1,2}-\d{1,2}-\d{4})$"), "%m-%d-%Y"),
    (re.compile(r"^(\d{8})(?:;\d{4,6})?$"), "%Y%m%d"),
    # OFX date-times: yyyyMMdd[HHmm[ss[.xxx]]][[offset[:TZ]]]; the date as written (the time
    # and zone are ignored, so a trade date is never moved to another day by a UTC shift)
    (re.compile(r"^(\d{8})(?:\d{4}(?:\d{2}(?:\.\d{1,6})?)?)?"
                r"\s*(?:\[\s*[+-]?\d{1,2}(?:\.\d+)?(?::[A-Za-z]{1,6})?\s*\])?$"), "%Y%m%d"),
    (re.compile(r"^([A-Za-z]{3} \d{1,2},? \d{4})$"), "%b %d %Y"),
    (re.compile(r"^([A-Za-z]{4,9} \d{1,2},? \d{4})$"), "%B %d %Y"),  # IBKR "December 31, 2025"
)
_AS_OF = re.compile(r"^(.+?)\s+as of\s+(.+)$", re.I)


def _parse_form(t: pd.Series, rx: re.Pattern, fmt: str) -> pd.Series:
    core = t.str.extract(rx, expand=False)
    if fmt in ("%b %d %Y", "%B %d %Y"):
        core = core.str.replace(",", "", regex=False)
    return pd.to_datetime(core, format=fmt, errors="coerce")


#: Dates outside these years are damaged cells, not trade or acquisition dates.
MIN_YEAR, MAX_YEAR = 1900, 2100


def parse_dates(s: pd.Series, *, prefer_as_of: bool = True,
                dayfirst_form: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse dates leniently (forms as in :func:`date`): values and the cells that failed.

    Returns
    -------
    values : Series of datetime64
        At midnight; missing for null tokens and for cells that failed.
    failed : Series of str
        Missing where the cell was read; otherwise why not (``"expected a date"``, or
        ``"a date out of range"`` outside :data:`MIN_YEAR`..:data:`MAX_YEAR`).
    """
    failed = pd.Series(None, index=s.index, dtype="str")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.astype(DATE_DTYPE).dt.normalize(), failed
    raw = s.astype("str")
    out = pd.Series(pd.NaT, index=s.index, dtype=DATE_DTYPE)
    todo = raw.notna() & (raw != "")
    # Fast path: the whole column in the form of its first cell.
    first = raw[todo].iloc[0].strip() if todo.any() else None
    forms = list(_DATE_FORMS)
    if dayfirst_form:
        forms.insert(0, (re.compile(r"^(\S+)"), dayfirst_form))
    if first is not None:
        for rx, fmt in forms:
            m = rx.match(first)
            if m and m.group(1) == first:
                fast = pd.to_datetime(raw, format=fmt, errors="coerce")
                got = fast.notna()
                if got.any():
                    out = out.where(~got, fast.astype(DATE_DTYPE))
                    todo = todo & ~got
                break
        if not dayfirst_form:
            # the full pass tries the form of the column's first cell first, so a column of
            # dates with times (OFX date-times) is read in one pass, not one per form
            lead = next((f for f in forms if f[0].match(first)), None)
            if lead is not None:
                forms = [lead, *(f for f in forms if f is not lead)]
    if todo.any():
        t = raw[todo].str.strip().str.strip('"').str.strip()
        nulls = t.str.lower().isin(NULL_TOKENS)
        t = t[~nulls]
        asof = t.str.extract(_AS_OF)
        has_asof = asof[0].notna()
        if has_asof.any():
            t = t.where(~has_asof, asof[1] if prefer_as_of else asof[0]).str.strip()
        left = pd.Series(True, index=t.index)
        for rx, fmt in forms:
            if not left.any():
                break
            parsed = _parse_form(t[left], rx, fmt)
            got = parsed.notna()
            if got.any():
                out.loc[got[got].index] = parsed[got].astype(DATE_DTYPE)
                left.loc[got[got].index] = False
        if left.any():
            failed.loc[left.index[left]] = "expected a date"
    out = out.dt.normalize()
    years = out.dt.year
    far = out.notna() & ((years < MIN_YEAR) | (years > MAX_YEAR))
    if far.any():
        failed = failed.mask(far, "a date out of range")
        out = out.mask(far)
    return out, failed


def date(s: pd.Series, *, column: str, where: Where, prefer_as_of: bool = True,
         dayfirst_form: str | None = None) -> pd.Series:
    """Parse dates in any of the forms brokers write into ``datetime64`` at midnight.

    Forms: ``MM/DD/YYYY``, ``M/D/YYYY`` (optionally with a time), ``YYYY/MM/DD``,
    ``YYYY-MM-DD`` (optionally with a time), ``Mon-DD-YYYY``, ``MM-DD-YYYY``, ``yyyyMMdd``
    and ``yyyyMMdd;HHmmss`` (IBKR Flex), ``Mon DD YYYY``, ``Month DD, YYYY`` (IBKR statement
    periods) and ``<date> as of <date>``, in the years :data:`MIN_YEAR` to :data:`MAX_YEAR`.

    Parameters
    ----------
    s : Series of str
        Raw cells.
    column : str
        Column name, for the error message.
    where : Where
        File and line of each row.
    prefer_as_of : bool, default True
        For ``<posted> as of <effective>``, return the effective date (the trade date);
        otherwise the posting date.
    dayfirst_form : str, optional
        A strftime format to try first (for sources configured with day-first dates,
        e.g. ``"%d/%m/%Y"``).

    Returns
    -------
    Series of datetime64
        Missing where the cell is a null token.

    Raises
    ------
    FormatError
        At the first cell that is not a date in a known form.
    """
    out, failed = parse_dates(s, prefer_as_of=prefer_as_of, dayfirst_form=dayfirst_form)
    if failed.notna().any():
        idx = failed.index[failed.notna()][0]
        raise where.error(idx, column, f"{failed[idx]}, found {str(s[idx]).strip()!r}")
    return out


def date_value(value: str, *, column: str = "date", path: str = "", line: int | None = None):
    """Parse one date cell (see :func:`date`) into a ``pandas.Timestamp``.

    Returns
    -------
    Timestamp or None
        None for a null token.
    """
    where = Where(path, pd.Series([line]))
    got = date(pd.Series([value], dtype="str"), column=column, where=where)
    v = got.iloc[0]
    return None if pd.isna(v) else v


def symbol(s: pd.Series) -> pd.Series:
    """Clean a symbol column: strip spaces and quote marks, drop Fidelity's ``**`` cash marks."""
    if _all_empty(s):
        return _missing_like(s)
    nulls = _NULL_VARIANTS
    out = [None if c is None or (t := c.strip(_STRIP)) in nulls or not (
        t := t.rstrip("*").strip()) else t for c in _objects(s)]
    return pd.Series(out, index=s.index, dtype="str")


_CUSIP_RE = re.compile(r"^[0-9A-Z]{3}[0-9A-Z*@#]{5}[0-9]$")


def is_cusip(value: str | None) -> bool:
    """True if ``value`` is a 9-character CUSIP whose check digit is correct."""
    if not isinstance(value, str) or not _CUSIP_RE.match(value):
        return False
    total = 0
    for i, ch in enumerate(value[:8]):
        if ch.isdigit():
            v = int(ch)
        elif ch.isalpha():
            v = ord(ch) - ord("A") + 10
        else:
            v = {"*": 36, "@": 37, "#": 38}[ch]
        if i % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(value[8])


def cusips(s: pd.Series) -> pd.Series:
    """Return the cells that are valid CUSIPs (others missing)."""
    # one pass in Python (an all-missing column must not go through a float fillna)
    ok = np.fromiter((is_cusip(v) for v in s.to_numpy(dtype=object, na_value=None)),
                     dtype=bool, count=len(s))
    return s.where(ok)


def lines_of(index: pd.Index, first_line: int) -> pd.Series:
    """Line numbers ``first_line, first_line + 1, ...`` aligned with ``index``."""
    return pd.Series(np.arange(first_line, first_line + len(index)), index=index)
