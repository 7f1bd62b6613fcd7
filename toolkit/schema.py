"""The canonical frames of the toolkit, declared once.

Every DataFrame that crosses a module boundary is one of the frames below. Each has its
columns (name, dtype, unit, meaning) declared here, and one validating function that checks
and coerces a frame at the boundary; inner code then trusts it.

Units: money in US dollars (float), quantities in shares (float, fractional allowed), dates
as ``datetime64`` values at midnight (no time of day), weights and rates as fractions
(0.05 is five percent).

Frames
------
accounts
    One row per household account: :data:`ACCOUNTS`.
positions
    One row per holding in an account: :data:`POSITIONS`.
lots
    One row per open tax lot: :data:`LOTS`.
transactions
    One row per transaction: :data:`TRANSACTIONS`.
realized
    One row per closed lot a broker reports as sold: :data:`REALIZED`.
pending
    One row per cash movement in transit (not yet in the cash balance): :data:`PENDING`.
skipped
    One row per input row that was not loaded, with the reason: :data:`SKIPPED`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from toolkit.errors import SchemaError

__all__ = [
    "ACCOUNTS",
    "ASSET_CLASSES",
    "DATE_DTYPE",
    "LOTS",
    "MULTI_ASSET",
    "PENDING",
    "POSITIONS",
    "REALIZED",
    "SKIPPED",
    "TRANSACTIONS",
    "UNCLASSIFIED",
    "Action",
    "Column",
    "CostBasisMethod",
    "FrameSchema",
    "TaxTreatment",
    "TaxType",
    "Term",
    "validate_accounts",
    "validate_lots",
    "validate_pending",
    "validate_positions",
    "validate_realized",
    "validate_skipped",
    "validate_transactions",
]

#: dtype of every date column (pandas' default resolution for parsed dates).
DATE_DTYPE = "datetime64[us]"


class TaxTreatment(StrEnum):
    """How an account's growth and withdrawals are taxed."""

    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"  # pre-tax money, ordinary income when withdrawn
    TAX_FREE = "tax_free"  # Roth and HSA (qualified withdrawals untaxed)


class TaxType(StrEnum):
    """Account tax types. The value is what the household file and frames hold."""

    TAXABLE = "taxable"
    TRADITIONAL_IRA = "traditional_ira"
    ROTH_IRA = "roth_ira"
    K401 = "401k"
    ROTH_401K = "roth_401k"
    B403 = "403b"
    HSA = "hsa"
    SEP_IRA = "sep_ira"
    SIMPLE_IRA = "simple_ira"
    G457B = "457b"
    ROTH_403B = "roth_403b"

    @property
    def treatment(self) -> TaxTreatment:
        """The account's :class:`TaxTreatment`."""
        if self is TaxType.TAXABLE:
            return TaxTreatment.TAXABLE
        if self in (TaxType.ROTH_IRA, TaxType.ROTH_401K, TaxType.ROTH_403B, TaxType.HSA):
            return TaxTreatment.TAX_FREE
        return TaxTreatment.TAX_DEFERRED

    @property
    def tax_advantaged(self) -> bool:
        """True for every type but ``taxable``: trades inside it realise no gain or loss."""
        return self is not TaxType.TAXABLE

    @property
    def is_employer_plan(self) -> bool:
        """True for employer plans: 401(k), 403(b), 457(b) and their Roth variants.

        What they can buy is limited to the plan's fund menu, and NUA applies to their stock.
        """
        return self in (TaxType.K401, TaxType.ROTH_401K, TaxType.B403, TaxType.ROTH_403B,
                        TaxType.G457B)

    @property
    def is_ira(self) -> bool:
        """True for individual retirement accounts (traditional, Roth, SEP, SIMPLE)."""
        return self in (TaxType.TRADITIONAL_IRA, TaxType.ROTH_IRA, TaxType.SEP_IRA,
                        TaxType.SIMPLE_IRA)


class CostBasisMethod(StrEnum):
    """An account's lot relief method: which lots a sale relieves when none are named.

    The value is what the household file's ``cost_basis_method`` and the accounts frame hold;
    :func:`toolkit.history.rebuild_lots` replays a history with it. (The methods
    :func:`toolkit.tax.select_lots` can *choose* for one sale are another list:
    :class:`toolkit.tax.lots.LotSelection`.)
    """

    FIFO = "fifo"  # earliest acquired first (Treas. Reg. 1.1012-1(c)(1), the default)
    LIFO = "lifo"  # latest acquired first
    HIFO = "hifo"  # highest cost per share first
    AVERAGE = "average"  # single-category average basis (Reg. 1.1012-1(e))
    SPECIFIC = "specific"  # lots named by the broker's realised rows


class Action(StrEnum):
    """Normalised transaction actions (the broker's own text is kept in ``action_text``)."""

    BUY = "buy"
    SELL = "sell"
    REINVEST = "reinvest"  # shares bought with a distribution; a purchase for wash sales
    DIVIDEND = "dividend"
    CAPITAL_GAIN = "capital_gain"  # fund capital-gain distribution
    INTEREST = "interest"
    FEE = "fee"
    TAX_WITHHELD = "tax_withheld"  # foreign or backup withholding
    CONTRIBUTION = "contribution"  # new money into the account (incl. payroll, employer match)
    WITHDRAWAL = "withdrawal"  # money out of the account (incl. distributions)
    TRANSFER_IN = "transfer_in"  # shares or cash moved in from another account
    TRANSFER_OUT = "transfer_out"
    SPLIT = "split"  # share quantity change with no cash
    OTHER = "other"


class Term(StrEnum):
    """Holding-period character of a lot or gain."""

    SHORT = "short"
    LONG = "long"


#: Top-level asset classes a target may name. Securities may also carry a finer ``sub_class``.
ASSET_CLASSES: tuple[str, ...] = (
    "us_equity",
    "intl_equity",
    "bonds",
    "muni_bonds",
    "reits",
    "cash",
    "other",
)
#: Asset class of a holding the security master does not know. Listed by every report.
UNCLASSIFIED = "unclassified"
#: Asset class of a holding that spans several classes (a balanced or target-date fund);
#: allocation looks through it by the security master's weights.
MULTI_ASSET = "multi_asset"


@dataclass(frozen=True)
class Column:
    """One declared column of a canonical frame.

    Parameters
    ----------
    name : str
        Column name, exactly as it appears in the frame.
    dtype : str
        Canonical pandas dtype: ``"str"``, ``"float64"``, ``"bool"``, ``"Int64"`` or
        :data:`DATE_DTYPE`.
    unit : str
        ``"dollars"``, ``"shares"``, ``"dollars/share"``, ``"date"``, ``"fraction"`` or ``""``.
    description : str
        What the column holds.
    nullable : bool
        Whether missing values are allowed.
    choices : tuple of str, optional
        The allowed values of a text column.
    """

    name: str
    dtype: str
    unit: str
    description: str
    nullable: bool = True
    choices: tuple[str, ...] | None = None


#: Each schema's empty frame, built once (:meth:`FrameSchema.empty` hands out copies).
_EMPTY_FRAMES: dict[tuple, pd.DataFrame] = {}


@dataclass(frozen=True)
class FrameSchema:
    """An ordered set of :class:`Column` with the checks that make a frame canonical."""

    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the declared column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def empty(self) -> pd.DataFrame:
        """Return an empty frame with the canonical columns and dtypes (a new copy each call)."""
        key = (self.name, self.columns)
        if key not in _EMPTY_FRAMES:  # built once: a frame of typed columns costs ~10 ms
            _EMPTY_FRAMES[key] = pd.DataFrame(
                {c.name: pd.Series(dtype=c.dtype) for c in self.columns})
        return _EMPTY_FRAMES[key].copy()

    def validate(self, df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
        """Check ``df`` against the schema and return a canonical copy.

        Missing nullable columns are added as all-missing; columns are cast to their
        canonical dtype and put in canonical order, followed by any extra columns. The
        input is not modified.

        Parameters
        ----------
        df : DataFrame
            The frame to check.
        where : str, optional
            Where the frame came from, for error messages.

        Returns
        -------
        DataFrame
            The canonical frame, with a fresh ``RangeIndex``.

        Raises
        ------
        SchemaError
            If a non-nullable column is missing or holds missing values, a value cannot be
            cast to the column's dtype, or a text value is not one of the column's choices.
        """
        prefix = f"{self.name} frame" + (f" from {where}" if where else "")
        if not isinstance(df, pd.DataFrame):
            raise SchemaError(f"{prefix}: expected a DataFrame, got {type(df).__name__}")
        out = {}
        n = len(df)
        for col in self.columns:
            if col.name not in df.columns:
                if not col.nullable:
                    raise SchemaError(f"{prefix}: required column {col.name!r} is missing")
                out[col.name] = pd.Series([None] * n, dtype=_null_dtype(col.dtype))
                out[col.name] = _cast(out[col.name], col, prefix)
                continue
            s = df[col.name].reset_index(drop=True)
            s = _cast(s, col, prefix)
            if not col.nullable and n and s.isna().any():
                bad = int(np.flatnonzero(s.isna().to_numpy())[0])
                raise SchemaError(
                    f"{prefix}: column {col.name!r} must not be missing "
                    f"(first missing at row {bad}{_row_origin(df, bad)})"
                )
            if col.choices is not None and n:
                present = s.dropna()
                bad_mask = ~present.isin(col.choices)
                if bad_mask.any():
                    value = present[bad_mask].iloc[0]
                    row = int(present[bad_mask].index[0])
                    raise SchemaError(
                        f"{prefix}: column {col.name!r} has {value!r} at row {row}"
                        f"{_row_origin(df, row)}; expected one of {', '.join(col.choices)}"
                    )
            out[col.name] = s
        frame = pd.DataFrame(out)
        extras = [c for c in df.columns if c not in frame.columns]
        if extras:
            frame = pd.concat([frame, df[extras].reset_index(drop=True)], axis=1)
        return frame


def _null_dtype(dtype: str) -> str:
    return "float64" if dtype in ("float64", "Int64") else "object"


def _row_origin(df: pd.DataFrame, row: int) -> str:
    if "source_file" in df.columns and "source_line" in df.columns:
        try:
            f = df["source_file"].iloc[row]
            line = df["source_line"].iloc[row]
            if isinstance(f, str) and pd.notna(line):
                return f", {f} line {int(line)}"
        except (IndexError, ValueError):
            pass
    return ""


def _cast(s: pd.Series, col: Column, prefix: str) -> pd.Series:
    try:
        if col.dtype == "str":
            if pd.api.types.is_string_dtype(s.dtype) and s.dtype == "str":
                return s
            return s.astype("str").where(s.notna())  # keep missing as missing
        if col.dtype == "float64":
            if pd.api.types.is_bool_dtype(s.dtype):
                raise TypeError("boolean values")
            return pd.to_numeric(s, errors="raise").astype("float64")
        if col.dtype == "Int64":
            return pd.to_numeric(s, errors="raise").astype("Int64")
        if col.dtype == "bool":
            if s.isna().any():
                raise TypeError("missing values in a boolean column")
            return s.astype("bool")
        if col.dtype == DATE_DTYPE:
            if pd.api.types.is_datetime64_any_dtype(s.dtype):
                d = s
                if getattr(d.dt, "tz", None) is not None:
                    d = d.dt.tz_localize(None)
            else:
                d = pd.to_datetime(s, errors="raise")
            return d.astype(DATE_DTYPE).dt.normalize()
    except (TypeError, ValueError, pd.errors.OutOfBoundsDatetime) as exc:
        raise SchemaError(
            f"{prefix}: column {col.name!r} cannot be read as {col.dtype} ({exc})"
        ) from exc
    raise SchemaError(f"{prefix}: unknown dtype {col.dtype!r} for column {col.name!r}")


def _source_columns() -> tuple[Column, ...]:
    return (
        Column("source_file", "str", "", "file the row was loaded from"),
        Column("source_line", "Int64", "", "1-based line (or spreadsheet row) in source_file"),
    )


ACCOUNTS = FrameSchema(
    "accounts",
    (
        Column("account", "str", "", "account id as the household file (or broker) writes it",
               nullable=False),
        Column("account_key", "str", "",
               "normalised match key: the visible characters of the id (see household.account_key)",
               nullable=False),
        Column("name", "str", "", "account name or nickname"),
        Column("owner", "str", "", "account owner (a person of the household)"),
        Column("custodian", "str", "", "broker or recordkeeper: fidelity, schwab, vanguard, ..."),
        Column("tax_type", "str", "", "account tax type", nullable=False,
               choices=tuple(t.value for t in TaxType)),
        Column("tax_type_inferred", "bool", "",
               "True when tax_type was inferred from the broker's account name"),
        Column("cost_basis_method", "str", "", "the account's default lot relief method",
               choices=tuple(m.value for m in CostBasisMethod)),
    ),
)

POSITIONS = FrameSchema(
    "positions",
    (
        Column("account", "str", "", "account id as written in the source", nullable=False),
        Column("symbol", "str", "", "ticker, or the CUSIP where the broker gives no ticker",
               nullable=False),
        Column("cusip", "str", "", "CUSIP when known"),
        Column("description", "str", "", "security description"),
        Column("quantity", "float64", "shares", "shares held (cash: dollars, at price 1)"),
        Column("price", "float64", "dollars/share", "last price"),
        Column("market_value", "float64", "dollars", "market value", nullable=False),
        Column("cost_basis", "float64", "dollars", "total cost basis; missing when unknown"),
        Column("asset_class", "str", "",
               "asset class from the security master; 'cash', 'multi_asset' or 'unclassified'"),
        Column("security_type", "str", "", "the broker's security type text"),
        *_source_columns(),
    ),
)

LOTS = FrameSchema(
    "lots",
    (
        Column("account", "str", "", "account id as written in the source", nullable=False),
        Column("symbol", "str", "", "ticker or CUSIP", nullable=False),
        Column("quantity", "float64", "shares", "shares in the lot (positive)", nullable=False),
        Column("cost_basis", "float64", "dollars", "total cost basis of the lot"),
        Column("acquired", DATE_DTYPE, "date", "trade date the lot was acquired",
               nullable=False),
        Column("holding_start", DATE_DTYPE, "date",
               "date the holding period counts from (earlier than acquired after a wash sale); "
               "filled with acquired when missing", nullable=False),
        Column("term", "str", "", "holding period as reported by the broker, if any",
               choices=tuple(t.value for t in Term)),
        Column("wash_sale_disallowed", "float64", "dollars",
               "wash-sale loss added to this lot's basis, if reported"),
        Column("lot_id", "str", "", "lot identifier (broker's, or file:line)"),
        *_source_columns(),
    ),
)

TRANSACTIONS = FrameSchema(
    "transactions",
    (
        Column("date", DATE_DTYPE, "date", "trade date (the 'as of' date when given)",
               nullable=False),
        Column("settle_date", DATE_DTYPE, "date", "settlement date"),
        Column("account", "str", "", "account id as written in the source", nullable=False),
        Column("action", "str", "", "normalised action", nullable=False,
               choices=tuple(a.value for a in Action)),
        Column("action_text", "str", "", "the broker's original action text"),
        Column("symbol", "str", "", "ticker or CUSIP; missing for pure cash rows"),
        Column("description", "str", "", "security or transaction description"),
        Column("quantity", "float64", "shares", "signed shares: + received, - delivered"),
        Column("price", "float64", "dollars/share", "price per share"),
        Column("amount", "float64", "dollars",
               "signed cash effect on the account: + cash in, - cash out (net of fees)"),
        Column("fees", "float64", "dollars", "commissions and fees (positive)"),
        *_source_columns(),
    ),
)

REALIZED = FrameSchema(
    "realized",
    (
        Column("account", "str", "", "account id as written in the source", nullable=False),
        Column("symbol", "str", "", "ticker or CUSIP", nullable=False),
        Column("quantity", "float64", "shares", "shares sold (positive)", nullable=False),
        Column("acquired", DATE_DTYPE, "date", "acquisition date of the lot sold, if known"),
        Column("sold", DATE_DTYPE, "date", "trade date of the sale", nullable=False),
        Column("proceeds", "float64", "dollars", "sale proceeds net of fees"),
        Column("cost_basis", "float64", "dollars", "cost basis of the shares sold"),
        Column("gain", "float64", "dollars", "realised gain (+) or loss (-) before wash-sale "
               "adjustment"),
        Column("term", "str", "", "short or long, as reported",
               choices=tuple(t.value for t in Term)),
        Column("wash_sale_disallowed", "float64", "dollars",
               "loss disallowed as a wash sale, as reported (positive)"),
        *_source_columns(),
    ),
)

SKIPPED = FrameSchema(
    "skipped",
    (
        Column("file", "str", "", "file the row is in", nullable=False),
        Column("line", "Int64", "", "1-based line (or spreadsheet row)"),
        Column("reason", "str", "", "why the row was not loaded", nullable=False),
        Column("text", "str", "", "the row's text, shortened"),
        Column("account", "str", "",
               "account id (as written in the source) the row belongs to, when it can be read: "
               "a holding with a skipped data row is not fully known"),
        Column("symbol", "str", "", "ticker or CUSIP the row belongs to, when it can be read"),
    ),
)

PENDING = FrameSchema(
    "pending",
    (
        Column("account", "str", "", "account id as written in the source", nullable=False),
        Column("amount", "float64", "dollars",
               "signed cash in transit: + a credit the account will receive, - a debit it "
               "will pay (not yet in the cash balance)", nullable=False),
        Column("date", DATE_DTYPE, "date", "trade or posting date, when the file gives one"),
        Column("symbol", "str", "", "security of a pending trade, if any"),
        Column("description", "str", "", "what the broker says the activity is"),
        *_source_columns(),
    ),
)


def _check_positive(df: pd.DataFrame, column: str, schema: FrameSchema, *, strict: bool) -> None:
    values = df[column]
    bad = values < 0 if not strict else values <= 0
    bad = bad.fillna(False)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        word = "positive" if strict else "non-negative"
        raise SchemaError(
            f"{schema.name} frame: column {column!r} must be {word}, found "
            f"{values.iloc[row]!r} at row {row}{_row_origin(df, row)}"
        )


def validate_accounts(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate an accounts frame (:data:`ACCOUNTS`); ids must be unique.

    Parameters
    ----------
    df : DataFrame
        Frame with at least ``account``, ``account_key`` and ``tax_type``.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy; ``tax_type_inferred`` defaults to False and ``cost_basis_method``
        to ``"fifo"``.

    Raises
    ------
    SchemaError
        On a missing column, an unknown tax type or a duplicated account.
    """
    df = df.copy()
    if "tax_type_inferred" not in df.columns:
        df["tax_type_inferred"] = False
    if "cost_basis_method" not in df.columns:
        df["cost_basis_method"] = "fifo"
    df["cost_basis_method"] = df["cost_basis_method"].fillna("fifo")
    out = ACCOUNTS.validate(df, where=where)
    dup = out["account"].duplicated()
    if dup.any():
        first = out["account"][dup].iloc[0]
        raise SchemaError(f"accounts frame: account {first!r} is listed twice")
    return out


def validate_positions(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate a positions frame (:data:`POSITIONS`).

    Parameters
    ----------
    df : DataFrame
        Positions; ``market_value`` in dollars, ``quantity`` in shares.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy. Missing ``cost_basis`` means unknown, not zero.

    Raises
    ------
    SchemaError
        On a missing required column or value, or a value of the wrong type.
    """
    return POSITIONS.validate(df, where=where)


def validate_lots(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate a lots frame (:data:`LOTS`).

    Parameters
    ----------
    df : DataFrame
        Open lots; ``quantity`` in shares (positive), ``cost_basis`` in dollars for the whole
        lot, ``acquired`` a date.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy; ``holding_start`` filled with ``acquired`` where missing.

    Raises
    ------
    SchemaError
        On a missing required column or value, a non-positive quantity, a negative basis, or
        a ``term`` other than ``short``/``long``.
    """
    df = df.copy()
    if "holding_start" not in df.columns:
        df["holding_start"] = df["acquired"] if "acquired" in df.columns else None
    else:
        df["holding_start"] = df["holding_start"].where(df["holding_start"].notna(),
                                                        df.get("acquired"))
    out = LOTS.validate(df, where=where)
    _check_positive(out, "quantity", LOTS, strict=True)
    _check_positive(out, "cost_basis", LOTS, strict=False)
    return out


def validate_transactions(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate a transactions frame (:data:`TRANSACTIONS`).

    Parameters
    ----------
    df : DataFrame
        Transactions; ``quantity`` signed shares, ``amount`` signed dollars, ``fees`` dollars.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy.

    Raises
    ------
    SchemaError
        On a missing required column or value, an unknown action, or negative fees.
    """
    out = TRANSACTIONS.validate(df, where=where)
    _check_positive(out, "fees", TRANSACTIONS, strict=False)
    return out


def validate_realized(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate a realised gains frame (:data:`REALIZED`): closed lots reported by a broker.

    Parameters
    ----------
    df : DataFrame
        One row per closed lot (or part): ``quantity`` shares sold, ``proceeds``,
        ``cost_basis``, ``gain`` and ``wash_sale_disallowed`` in dollars.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy.

    Raises
    ------
    SchemaError
        On a missing required column or value, or a non-positive quantity.
    """
    out = REALIZED.validate(df, where=where)
    _check_positive(out, "quantity", REALIZED, strict=True)
    return out


def validate_pending(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate a pending-activity frame (:data:`PENDING`): cash in transit per account.

    Parameters
    ----------
    df : DataFrame
        One row per pending debit or credit: ``account``, signed ``amount`` in dollars.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy.

    Raises
    ------
    SchemaError
        On a missing required column or value.
    """
    return PENDING.validate(df, where=where)


def validate_skipped(df: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Validate a skipped-rows frame (:data:`SKIPPED`).

    Parameters
    ----------
    df : DataFrame
        One row per input row not loaded: ``file``, ``line``, ``reason``, ``text``, and the
        ``account`` and ``symbol`` it belongs to when they could be read.
    where : str, optional
        Origin, for messages.

    Returns
    -------
    DataFrame
        Canonical copy.
    """
    return SKIPPED.validate(df, where=where)


def concat_frames(frames: Iterable[pd.DataFrame], schema: FrameSchema) -> pd.DataFrame:
    """Concatenate canonical frames of one schema, keeping dtypes (empty input: empty frame).

    Parameters
    ----------
    frames : iterable of DataFrame
        Frames that each satisfy ``schema``.
    schema : FrameSchema
        Their schema.

    Returns
    -------
    DataFrame
        One canonical frame with a fresh index.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return schema.empty()
    return schema.validate(pd.concat(frames, ignore_index=True))
