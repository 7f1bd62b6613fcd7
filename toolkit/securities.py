"""The security master: what each fund is, how its distributions are taxed, what it tracks.

A bundled table (``toolkit/data/securities.csv``, documented in ``securities.md``) of common
ETFs, index mutual funds, money-market funds and 401(k) collective trusts. Each row gives the
asset class (or, for a fund spanning classes, class weights), the tax character of its
distributions, an estimated yield, the index it tracks (which groups "substantially
identical" funds for the wash-sale rule under the same-index policy) and replacements that
track a different index. A household file can add or override entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import HouseholdError
from toolkit.schema import ASSET_CLASSES, MULTI_ASSET, UNCLASSIFIED

__all__ = ["SECURITY_COLUMNS", "SecurityMaster", "load_securities", "parse_weights"]

#: Columns of the security master, in file order.
SECURITY_COLUMNS = (
    "symbol", "cusip", "name", "issuer", "vehicle", "asset_class", "sub_class", "weights",
    "tax_character", "qualified_fraction", "yield", "foreign_tax", "index", "replacements",
    "expense_ratio",
)
_FLOATS = ("qualified_fraction", "yield", "foreign_tax", "expense_ratio")
TAX_CHARACTERS = ("qualified", "ordinary", "tax_exempt", "mixed")


def parse_weights(text: str | Mapping[str, float] | None, *, where: str = "") -> dict[str, float]:
    """Parse class weights written ``"us_equity:0.6;bonds:0.4"`` (or given as a mapping).

    Parameters
    ----------
    text : str or mapping or None
        The weights.
    where : str
        What is being parsed, for messages.

    Returns
    -------
    dict
        Asset class -> weight (fractions summing to 1). Empty for empty input.

    Raises
    ------
    HouseholdError
        If a class is unknown, a weight is not a number, or the weights do not sum to 1.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text == "":
        return {}
    if isinstance(text, Mapping):
        items = list(text.items())
    else:
        items = []
        for part in str(text).split(";"):
            if not part.strip():
                continue
            if ":" not in part:
                raise HouseholdError(f"{where}: weight {part!r} is not 'class:weight'")
            k, v = part.split(":", 1)
            items.append((k.strip(), v.strip()))
    out: dict[str, float] = {}
    for k, v in items:
        if k not in ASSET_CLASSES:
            raise HouseholdError(f"{where}: unknown asset class {k!r} in weights; "
                                 f"expected one of {', '.join(ASSET_CLASSES)}")
        try:
            out[k] = out.get(k, 0.0) + float(v)
        except (TypeError, ValueError) as exc:
            raise HouseholdError(f"{where}: weight {v!r} for {k!r} is not a number") from exc
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise HouseholdError(f"{where}: class weights sum to {total:.6g}, not 1")
    return out


@dataclass(frozen=True)
class SecurityMaster:
    """The security master as a frame indexed by symbol (see ``securities.md``)."""

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, symbol: str) -> bool:
        return self.resolve(symbol) is not None

    def resolve(self, symbol_or_cusip: str | None) -> str | None:
        """The master's symbol for a ticker or CUSIP, or None when unknown."""
        if not isinstance(symbol_or_cusip, str):
            return None
        key = symbol_or_cusip.strip().upper()
        if key in self.frame.index:
            return key
        hit = self._by_cusip.get(key)
        return hit

    @cached_property
    def _by_cusip(self) -> dict[str, str]:
        c = self.frame["cusip"].dropna()
        return dict(zip(c.to_numpy(), c.index, strict=True))

    @cached_property
    def _rows(self) -> dict[str, pd.Series]:  # filled as rows are asked for
        return {}

    def get(self, symbol_or_cusip: str) -> pd.Series | None:
        """The master's row for a ticker or CUSIP, or None."""
        key = self.resolve(symbol_or_cusip)
        if key is None:
            return None
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = self.frame.loc[key]
        return row

    def field(self, symbol_or_cusip: str, name: str):
        """One field of a security's row (``vehicle``, ``sub_class``, ...), or None.

        None when the security is unknown. Cheaper than :meth:`get` where a planner asks
        thousands of times.
        """
        key = self.resolve(symbol_or_cusip)
        return None if key is None else self._records[key][name]

    @cached_property
    def _records(self) -> dict[str, dict]:
        return self.frame.to_dict("index")

    def weights(self, symbol_or_cusip: str) -> dict[str, float]:
        """Asset-class weights of a security (a single class has weight 1).

        Returns
        -------
        dict
            Class -> fraction; ``{"unclassified": 1.0}`` for an unknown security.
        """
        key = self.resolve(symbol_or_cusip)
        if key is None:
            return {UNCLASSIFIED: 1.0}
        return dict(self._weights[key])

    @cached_property
    def _weights(self) -> dict[str, dict[str, float]]:
        out = {}
        f = self.frame
        for key, cls, w in zip(f.index, f["asset_class"].tolist(), f["weights"].tolist(),
                               strict=True):
            if cls == MULTI_ASSET:
                out[key] = parse_weights(w, where=f"security {key}")
            else:
                out[key] = {cls: 1.0}
        return out

    def classify(self, symbols: pd.Series, cusips: pd.Series | None = None) -> pd.Series:
        """Asset class of each symbol (falling back to its CUSIP), ``unclassified`` if unknown.

        Parameters
        ----------
        symbols : Series of str
        cusips : Series of str, optional
            Aligned with ``symbols``.

        Returns
        -------
        Series of str
            A class from :data:`toolkit.schema.ASSET_CLASSES`, ``multi_asset`` or
            ``unclassified``.
        """
        keys = symbols.map(self.resolve)
        if cusips is not None:
            keys = keys.where(keys.notna(), cusips.map(self.resolve))
        classes = keys.map(self.frame["asset_class"])
        return classes.fillna(UNCLASSIFIED).astype("str")

    def index_of(self, symbol_or_cusip: str) -> str | None:
        """The index a security tracks, or None when unknown."""
        row = self.get(symbol_or_cusip)
        if row is None or pd.isna(row["index"]):
            return None
        return str(row["index"])

    def replacements(self, symbol_or_cusip: str) -> list[str]:
        """Candidate replacements (same class, different index), in the master's order."""
        row = self.get(symbol_or_cusip)
        if row is None or pd.isna(row["replacements"]):
            return []
        return [s.strip() for s in str(row["replacements"]).split(";") if s.strip()]

    def with_overrides(self, overrides: Mapping[str, Mapping], *,
                       where: str = "") -> SecurityMaster:
        """A copy with entries added or overridden (from a household file's ``[securities]``).

        Parameters
        ----------
        overrides : mapping
            Symbol -> fields (any of :data:`SECURITY_COLUMNS` but ``symbol``; ``weights`` may
            be a table ``{us_equity = 0.6, bonds = 0.4}``). A new symbol needs
            ``asset_class`` (or ``weights``).
        where : str
            Origin, for messages.

        Returns
        -------
        SecurityMaster

        Raises
        ------
        HouseholdError
            On unknown fields, classes or tax characters.
        """
        frame = self.frame.copy()
        for sym, fields in overrides.items():
            key = str(sym).strip().upper()
            ctx = f"{where}[securities.{sym}]"
            unknown = set(fields) - set(SECURITY_COLUMNS)
            if unknown:
                raise HouseholdError(f"{ctx}: unknown field(s) {sorted(unknown)}; "
                                     f"allowed: {', '.join(SECURITY_COLUMNS[1:])}")
            row = frame.loc[key].to_dict() if key in frame.index else {
                c: None for c in SECURITY_COLUMNS[1:]}
            for k, v in fields.items():
                if k == "weights":
                    w = parse_weights(v, where=ctx)
                    row["weights"] = ";".join(f"{c}:{x:g}" for c, x in w.items()) or None
                    if len(w) > 1:
                        row["asset_class"] = MULTI_ASSET
                    elif len(w) == 1:
                        row["asset_class"] = next(iter(w))
                        row["weights"] = None
                elif k == "replacements" and not isinstance(v, str):
                    row[k] = ";".join(v)
                else:
                    row[k] = v
            if row.get("asset_class") not in (*ASSET_CLASSES, MULTI_ASSET):
                raise HouseholdError(
                    f"{ctx}: asset_class {row.get('asset_class')!r} is not one of "
                    f"{', '.join(ASSET_CLASSES)} (or give weights)")
            if row.get("tax_character") not in (None, *TAX_CHARACTERS) and not (
                    isinstance(row.get("tax_character"), float)):
                raise HouseholdError(f"{ctx}: tax_character {row['tax_character']!r} is not one "
                                     f"of {', '.join(TAX_CHARACTERS)}")
            frame.loc[key] = pd.Series(row)
        return SecurityMaster(_normalise(frame.reset_index()))


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in SECURITY_COLUMNS:
        if c not in df.columns:
            df[c] = None
    for c in _FLOATS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in SECURITY_COLUMNS:
        if c not in _FLOATS:
            df[c] = df[c].astype("str").where(df[c].notna())
            df[c] = df[c].mask(df[c].str.strip().eq(""))
    df["symbol"] = df["symbol"].str.strip().str.upper()
    return df[list(SECURITY_COLUMNS)].set_index("symbol")


def load_securities(path: str | Path | None = None) -> SecurityMaster:
    """Load a security master (the bundled one by default).

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns of :data:`SECURITY_COLUMNS`.

    Returns
    -------
    SecurityMaster
    """
    if path is None:
        return _bundled()
    return SecurityMaster(_normalise(pd.read_csv(path, dtype=str, keep_default_na=False)))


@cache
def _bundled() -> SecurityMaster:
    ref = resources.files("toolkit") / "data" / "securities.csv"
    with resources.as_file(ref) as p:
        if not Path(p).exists():
            return SecurityMaster(_normalise(pd.DataFrame(columns=list(SECURITY_COLUMNS))))
        return SecurityMaster(_normalise(pd.read_csv(p, dtype=str, keep_default_na=False)))
