"""The household: its TOML file, its accounts and their tax types, and its validated frames.

:func:`load_household` reads a household file (format in the README), loads every export it
lists with :func:`toolkit.io.load_export`, matches the accounts each export names to the
household's accounts (masked ids included), types every account, classifies every holding
with the security master, and returns one validated :class:`Household`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.accounts import account_key, infer_tax_type, keys_match
from toolkit.errors import HouseholdError
from toolkit.io import Export, load_export
from toolkit.schema import (
    ASSET_CLASSES,
    LOTS,
    POSITIONS,
    REALIZED,
    SKIPPED,
    TRANSACTIONS,
    UNCLASSIFIED,
    TaxType,
    concat_frames,
    validate_accounts,
    validate_lots,
    validate_positions,
    validate_realized,
    validate_skipped,
    validate_transactions,
)
from toolkit.securities import SecurityMaster, load_securities

__all__ = [
    "FILING_STATUSES",
    "Household",
    "TaxProfile",
    "load_household",
    "totals_by_account",
    "validate_subtargets",
    "validate_targets",
]

FILING_STATUSES = (
    "single",
    "married_filing_jointly",
    "married_filing_separately",
    "head_of_household",
)
COST_BASIS_METHODS = ("fifo", "lifo", "hifo", "average", "specific")
_HOUSEHOLD_KEYS = {
    "name", "tax_year", "filing_status", "ordinary_income", "qualified_dividends", "state_rate",
    "carryforward_short_term", "carryforward_long_term", "realized_short_term",
    "realized_long_term", "as_of", "future_ordinary_rate", "deductions",
    "other_investment_income",
}
_ACCOUNT_KEYS = {"id", "type", "owner", "name", "custodian", "cost_basis_method"}
_FILE_KEYS = {"path", "account", "symbol", "format"}
_TOP_KEYS = {"household", "targets", "subtargets", "accounts", "files", "contributions",
             "securities",
             "people", "settings"}


@dataclass(frozen=True)
class TaxProfile:
    """What the tax engine needs to know about the household's year.

    Attributes
    ----------
    filing_status : str
        One of :data:`FILING_STATUSES`.
    year : int
        Tax year.
    ordinary_income : float
        Taxable ordinary income before any realised capital gains, dollars (after
        deductions).
    qualified_dividends : float
        Qualified dividends expected this year, dollars.
    state_rate : float
        Flat marginal state rate on gains and income, fraction.
    carryforward_short_term, carryforward_long_term : float
        Capital losses carried into the year, dollars (positive numbers).
    realized_short_term, realized_long_term : float
        Net gains already realised this year outside the toolkit's plan, dollars.
    future_ordinary_rate : float or None
        Assumed marginal ordinary rate when tax-deferred money is withdrawn (after-tax views).
    deductions : float or None
        Deductions subtracted from AGI to reach ``ordinary_income`` (standard or itemized,
        plus any QBI deduction), dollars. Only used to estimate modified AGI for the NIIT
        and the AMT warning; None means the year's basic standard deduction.
    other_investment_income : float
        The part of ``ordinary_income`` that is net investment income for the NIIT
        (interest, non-qualified dividends, rents, royalties), dollars.
    """

    filing_status: str
    year: int
    ordinary_income: float
    qualified_dividends: float = 0.0
    state_rate: float = 0.0
    carryforward_short_term: float = 0.0
    carryforward_long_term: float = 0.0
    realized_short_term: float = 0.0
    realized_long_term: float = 0.0
    future_ordinary_rate: float | None = None
    deductions: float | None = None
    other_investment_income: float = 0.0

    def __post_init__(self) -> None:
        if self.filing_status not in FILING_STATUSES:
            raise HouseholdError(f"filing_status {self.filing_status!r} is not one of "
                                 f"{', '.join(FILING_STATUSES)}")
        if not 0 <= self.state_rate < 1:
            raise HouseholdError(f"state_rate {self.state_rate!r} must be a fraction in [0, 1)")
        for name in ("carryforward_short_term", "carryforward_long_term"):
            if getattr(self, name) < 0:
                raise HouseholdError(f"{name} must be given as a positive number of dollars")
        if self.deductions is not None and self.deductions < 0:
            raise HouseholdError(f"deductions {self.deductions!r} must not be negative")
        if self.other_investment_income < 0:
            raise HouseholdError(f"other_investment_income {self.other_investment_income!r} "
                                 "must not be negative")

    def replace(self, **changes: Any) -> TaxProfile:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass
class Household:
    """A household: accounts with tax types, their holdings, lots and history, and a target.

    Attributes
    ----------
    name : str
    profile : TaxProfile
    as_of : Timestamp
        Valuation date: the household file's ``as_of``, else the newest export date.
    targets : Series
        Asset class -> target weight (fractions summing to 1).
    subtargets : dict
        Optional split of a class into sub-classes: class -> Series (sub_class -> weight within
        the class, summing to 1), from ``[subtargets.<class>]``.
    accounts, positions, lots, transactions, realized : DataFrame
        Canonical frames (:mod:`toolkit.schema`); ``account`` columns hold the household's
        account ids.
    skipped : DataFrame
        Every input row not used, with its file, line and reason.
    contributions : dict
        Planned new money per account id, dollars.
    securities : SecurityMaster
        Bundled master plus the household's overrides.
    provenance : DataFrame
        For each export and account: what it supplied and whether it was used, and why.
    warnings : list of str
        Odd but usable things (inferred tax types, superseded files).
    """

    name: str
    profile: TaxProfile
    as_of: pd.Timestamp
    targets: pd.Series
    accounts: pd.DataFrame
    positions: pd.DataFrame
    lots: pd.DataFrame
    transactions: pd.DataFrame
    realized: pd.DataFrame = field(default_factory=REALIZED.empty)
    skipped: pd.DataFrame = field(default_factory=SKIPPED.empty)
    contributions: dict[str, float] = field(default_factory=dict)
    securities: SecurityMaster = field(default_factory=load_securities)
    provenance: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list, repr=False)
    path: Path | None = None
    people: dict[str, dict] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    subtargets: dict[str, pd.Series] = field(default_factory=dict)

    def tax_type(self, account: str) -> TaxType:
        """The tax type of a household account id."""
        row = self.accounts.loc[self.accounts["account"] == account]
        if row.empty:
            raise HouseholdError(f"no account {account!r} in household {self.name!r}")
        return TaxType(row["tax_type"].iloc[0])

    @property
    def unclassified(self) -> pd.DataFrame:
        """Positions the security master does not know (asset class ``unclassified``)."""
        return self.positions[self.positions["asset_class"] == UNCLASSIFIED].reset_index(
            drop=True)

    def account_totals(self) -> pd.DataFrame:
        """Per account: tax type, market value, cost basis (where known), cash, counts.

        Returns
        -------
        DataFrame
            Columns ``account``, ``name``, ``owner``, ``custodian``, ``tax_type`` and those
            of :func:`totals_by_account`.
        """
        acc = self.accounts.set_index("account")
        per = totals_by_account(list(acc.index), self.positions, self.lots,
                                self.transactions).set_index("account")
        return acc[["name", "owner", "custodian", "tax_type"]].join(per).reset_index()

    @property
    def total_value(self) -> float:
        """Household market value, dollars."""
        return float(self.positions["market_value"].sum())


def totals_by_account(accounts: list[str], positions: pd.DataFrame, lots: pd.DataFrame,
                      transactions: pd.DataFrame) -> pd.DataFrame:
    """Per account: market value, known cost basis, cash and row counts.

    Parameters
    ----------
    accounts : list of str
        Account ids to report, in order (ids found only in the frames are appended).
    positions, lots, transactions : DataFrame
        Canonical frames.

    Returns
    -------
    DataFrame
        ``account``, ``market_value``, ``cost_basis`` (sum of known bases; NaN if none),
        ``basis_missing`` (positions without a basis), ``cash`` (dollars), ``positions``,
        ``lots``, ``transactions`` (counts).
    """
    ids = list(dict.fromkeys([*accounts, *positions["account"], *lots["account"],
                              *transactions["account"]]))
    g = positions.groupby("account")
    out = pd.DataFrame(index=pd.Index(ids, name="account", dtype="str"))
    out["market_value"] = g["market_value"].sum()
    out["cost_basis"] = g["cost_basis"].sum(min_count=1)
    out["basis_missing"] = positions["cost_basis"].isna().groupby(positions["account"]).sum()
    out["cash"] = positions[positions["asset_class"] == "cash"].groupby("account")[
        "market_value"].sum()
    out["positions"] = g.size()
    out["lots"] = lots.groupby("account").size()
    out["transactions"] = transactions.groupby("account").size()
    for c in ("market_value", "cash"):
        out[c] = out[c].fillna(0.0)
    for c in ("basis_missing", "positions", "lots", "transactions"):
        out[c] = out[c].fillna(0).astype("int64")
    return out.reset_index()


def validate_targets(targets: Mapping[str, float], *, where: str = "targets") -> pd.Series:
    """Check a household target and return it as a Series (class -> weight).

    Parameters
    ----------
    targets : mapping
        Asset class -> weight, fractions.
    where : str
        Origin, for messages.

    Returns
    -------
    Series of float64
        Indexed by asset class, in the order given.

    Raises
    ------
    HouseholdError
        If a class is unknown, a weight is negative or not a number, or the weights do not
        sum to 1 (within 1e-6).
    """
    if not targets:
        raise HouseholdError(f"{where}: no target weights given")
    clean: dict[str, float] = {}
    for k, v in targets.items():
        if k not in ASSET_CLASSES:
            raise HouseholdError(f"{where}: unknown asset class {k!r}; expected one of "
                                 f"{', '.join(ASSET_CLASSES)}")
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise HouseholdError(f"{where}: weight of {k!r} is {v!r}, not a number")
        if v < 0:
            raise HouseholdError(f"{where}: weight of {k!r} is negative ({v})")
        clean[k] = float(v)
    total = sum(clean.values())
    if abs(total - 1.0) > 1e-6:
        raise HouseholdError(f"{where}: weights sum to {total:.6g} ({total:.4%}), not 1 (100%)")
    return pd.Series(clean, dtype="float64", name="target")


def validate_subtargets(subtargets: Mapping[str, Mapping[str, float]], targets: pd.Series, *,
                        where: str = "subtargets") -> dict[str, pd.Series]:
    """Check optional sub-class targets: for a class, weights of its sub-classes within it.

    Parameters
    ----------
    subtargets : mapping
        Class -> {sub_class: weight within the class}; each class's weights sum to 1.
    targets : Series
        The household's class targets (a split class must be one of them).
    where : str
        Origin, for messages.

    Returns
    -------
    dict of str to Series

    Raises
    ------
    HouseholdError
        If a class is not in the target, a weight is not a non-negative number, or a class's
        sub-weights do not sum to 1.
    """
    out: dict[str, pd.Series] = {}
    for cls, split in subtargets.items():
        if cls not in targets.index:
            raise HouseholdError(f"{where}: {cls!r} is not a class of the target "
                                 f"({', '.join(targets.index)})")
        if not isinstance(split, Mapping) or not split:
            raise HouseholdError(f"{where}: [subtargets.{cls}] needs sub_class = weight pairs")
        for k, v in split.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise HouseholdError(f"{where}: {cls}.{k} = {v!r} is not a non-negative number")
        total = float(sum(split.values()))
        if abs(total - 1.0) > 1e-6:
            raise HouseholdError(f"{where}: the sub-weights of {cls!r} sum to {total:.6g}, not 1 "
                                 "(they are fractions of the class)")
        out[cls] = pd.Series({str(k): float(v) for k, v in split.items()}, dtype="float64")
    return out


# --- loading ---------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HouseholdError(f"{path}: no such household file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HouseholdError(f"{path}: not valid TOML ({exc})") from exc


def _number(section: Mapping, key: str, where: str, default: float | None = None) -> float:
    if key not in section:
        if default is None:
            raise HouseholdError(f"{where}: required key {key!r} is missing")
        return default
    v = section[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise HouseholdError(f"{where}: {key} = {v!r} is not a number")
    return float(v)


def _profile(h: Mapping, where: str) -> TaxProfile:
    unknown = set(h) - _HOUSEHOLD_KEYS
    if unknown:
        raise HouseholdError(f"{where}: unknown key(s) {sorted(unknown)} in [household]; "
                             f"allowed: {', '.join(sorted(_HOUSEHOLD_KEYS))}")
    if "filing_status" not in h:
        raise HouseholdError(f"{where}: [household] needs filing_status")
    if "tax_year" not in h:
        raise HouseholdError(f"{where}: [household] needs tax_year")
    fr = h.get("future_ordinary_rate")
    ded = h.get("deductions")
    return TaxProfile(
        filing_status=str(h["filing_status"]),
        year=int(h["tax_year"]),
        ordinary_income=_number(h, "ordinary_income", where),
        qualified_dividends=_number(h, "qualified_dividends", where, 0.0),
        state_rate=_number(h, "state_rate", where, 0.0),
        carryforward_short_term=_number(h, "carryforward_short_term", where, 0.0),
        carryforward_long_term=_number(h, "carryforward_long_term", where, 0.0),
        realized_short_term=_number(h, "realized_short_term", where, 0.0),
        realized_long_term=_number(h, "realized_long_term", where, 0.0),
        future_ordinary_rate=None if fr is None else float(fr),
        deductions=None if ded is None else _number(h, "deductions", where),
        other_investment_income=_number(h, "other_investment_income", where, 0.0),
    )


@dataclass
class _Acct:
    account: str
    tax_type: str | None
    owner: str | None
    name: str | None
    custodian: str | None
    cost_basis_method: str
    declared: bool
    inferred: bool = False
    broker_names: list[tuple[str, str]] = field(default_factory=list)  # (file, name)


def _declared_accounts(data: Mapping, where: str) -> list[_Acct]:
    out: list[_Acct] = []
    for i, a in enumerate(data.get("accounts", [])):
        ctx = f"{where}: [[accounts]] #{i + 1}"
        unknown = set(a) - _ACCOUNT_KEYS
        if unknown:
            raise HouseholdError(f"{ctx}: unknown key(s) {sorted(unknown)}; allowed: "
                                 f"{', '.join(sorted(_ACCOUNT_KEYS))}")
        if "id" not in a:
            raise HouseholdError(f"{ctx}: needs an id (as the broker writes it)")
        t = a.get("type")
        if t is not None and t not in {x.value for x in TaxType}:
            raise HouseholdError(f"{ctx} (id {a['id']!r}): type {t!r} is not one of "
                                 f"{', '.join(x.value for x in TaxType)}")
        m = a.get("cost_basis_method", "fifo")
        if m not in COST_BASIS_METHODS:
            raise HouseholdError(f"{ctx}: cost_basis_method {m!r} is not one of "
                                 f"{', '.join(COST_BASIS_METHODS)}")
        acct = _Acct(str(a["id"]), t, a.get("owner"), a.get("name"), a.get("custodian"), m,
                     declared=True)
        for other in out:
            if keys_match(other.account, acct.account) and not (
                    other.custodian and acct.custodian and other.custodian != acct.custodian):
                raise HouseholdError(
                    f"{ctx}: id {acct.account!r} can be confused with {other.account!r}; give "
                    "each its custodian (custodian = \"schwab\", ...) or ids that tell them "
                    "apart")
        out.append(acct)
    return out


def _match_accounts(exports: list[Export], declared: list[_Acct], where: str
                    ) -> tuple[list[_Acct], dict[tuple[int, str], str], list[str]]:
    """Map each (export index, broker account id) to a household account id."""
    accounts = list(declared)
    mapping: dict[tuple[int, str], str] = {}
    warnings: list[str] = []
    for i, e in enumerate(exports):
        ids = set(e.accounts["account"]) if len(e.accounts) else set()
        for frame in (e.positions, e.lots, e.transactions, e.realized):
            ids |= set(frame["account"].dropna().unique())
        names = dict(zip(e.accounts["account"], e.accounts["name"], strict=True)) \
            if len(e.accounts) else {}
        for raw in sorted(ids):
            hits = [a for a in declared if keys_match(a.account, raw)]
            if len(hits) > 1:  # prefer an exact full id, then the same custodian
                rk = account_key(raw)
                exact = [a for a in hits if not rk.masked and account_key(a.account) == rk]
                same = [a for a in hits if a.custodian == e.custodian]
                hits = exact or same or hits
            if len(hits) > 1:
                raise HouseholdError(
                    f"{where}: account {raw!r} in {e.path.name} matches several household "
                    f"accounts ({', '.join(a.account for a in hits)}); give fuller ids")
            if not hits:  # undeclared: same custodian and matching key, else a new account
                hits = [a for a in accounts if not a.declared and a.custodian == e.custodian
                        and keys_match(a.account, raw)]
            if hits:
                acct = hits[0]
            else:
                acct = _Acct(raw, None, None, None, e.custodian, "fifo", declared=False)
                accounts.append(acct)
            if acct.custodian is None:
                acct.custodian = e.custodian
            nm = names.get(raw)
            if isinstance(nm, str) and nm.strip():
                acct.broker_names.append((e.path.name, nm))
                if acct.name is None:
                    acct.name = nm
            mapping[(i, raw)] = acct.account
    for acct in accounts:
        if acct.tax_type is not None:
            continue
        for file, nm in acct.broker_names:
            t = infer_tax_type(nm)
            if t is not None:
                acct.tax_type = t.value
                acct.inferred = True
                warnings.append(
                    f"account {acct.account}: tax type {t.value!r} inferred from the broker's "
                    f"account name {nm!r} in {file}; declare `type` in [[accounts]] to confirm")
                break
        if acct.tax_type is None:
            seen = "; ".join(f"{nm!r} in {f}" for f, nm in acct.broker_names) or "no name"
            raise HouseholdError(
                f"{where}: account {acct.account!r} has no tax type and none can be inferred "
                f"from its broker account name ({seen}). Add it to [[accounts]] with "
                f"type = one of {', '.join(x.value for x in TaxType)}")
    return accounts, mapping, warnings


def _rename(frame: pd.DataFrame, mapping: dict[tuple[int, str], str], i: int) -> pd.DataFrame:
    if frame.empty:
        return frame
    out = frame.copy()
    out["account"] = out["account"].map(lambda a: mapping.get((i, a), a)).astype("str")
    return out


def _order_key(e: Export, i: int) -> tuple:
    return (e.as_of if e.as_of is not None else pd.Timestamp.min, i)


def _choose(frames: list[tuple[int, Export, pd.DataFrame]], group_cols: list[str], what: str,
            prov: list[dict], skipped: list[pd.DataFrame]) -> pd.DataFrame:
    """Where several files supply the same account (and symbol), keep the newest file."""
    if not frames:
        return pd.DataFrame()
    rows = [f.assign(_file=i) for i, _, f in frames if not f.empty]
    if not rows:
        return pd.DataFrame()
    allf = pd.concat(rows, ignore_index=True)
    exports = {i: e for i, e, _ in frames}
    keep = pd.Series(True, index=allf.index)
    for key, grp in allf.groupby(group_cols, sort=False):
        files = grp["_file"].unique()
        key_t = key if isinstance(key, tuple) else (key,)
        label = " ".join(str(k) for k in key_t)
        if len(files) == 1:
            e = exports[files[0]]
            prov.append({"file": e.path.name, "format": e.format, "frame": what,
                         "key": label, "rows": len(grp), "used": True,
                         "reason": "only file with this data"})
            continue
        winner = max(files, key=lambda j: _order_key(exports[j], j))
        we = exports[winner]
        dates = {exports[j].as_of for j in files}
        why = (f"newest as-of date ({we.as_of.date()}) of {len(files)} files"
               if we.as_of is not None and len(dates) > 1 else
               f"listed last of {len(files)} files with the same (or no) as-of date")
        for j in files:
            e = exports[j]
            part = grp[grp["_file"] == j]
            used = j == winner
            prov.append({"file": e.path.name, "format": e.format, "frame": what, "key": label,
                         "rows": len(part), "used": used,
                         "reason": why if used else f"superseded by {we.path.name} ({why})"})
            if not used:
                keep[part.index] = False
                skipped.append(pd.DataFrame({
                    "file": part["source_file"], "line": part["source_line"],
                    "reason": f"{what} for {label} superseded by {we.path.name} ({why})",
                    "text": "",
                }))
    return allf[keep].drop(columns="_file")


def _dedupe_transactions(frames: list[tuple[int, Export, pd.DataFrame]], key_cols: list[str],
                         what: str, skipped: list[pd.DataFrame]) -> pd.DataFrame:
    """Union of transactions across files; a row repeated in a later file is a duplicate."""
    parts = [f.assign(_file=i) for i, _, f in frames if not f.empty]
    if not parts:
        return pd.DataFrame()
    allf = pd.concat(parts, ignore_index=True)
    allf["_k"] = pd.util.hash_pandas_object(allf[key_cols], index=False).to_numpy()
    allf["_n"] = allf.groupby(["_file", "_k"]).cumcount()
    first_file = allf.groupby(["_k", "_n"])["_file"].transform("min")
    dup = allf["_file"] != first_file
    if dup.any():
        src = allf[~dup].set_index(["_k", "_n"])
        d = allf[dup]
        orig = [src.loc[(a, b)] for a, b in zip(d["_k"], d["_n"], strict=True)]
        skipped.append(pd.DataFrame({
            "file": d["source_file"].to_numpy(), "line": d["source_line"].to_numpy(),
            "reason": [f"duplicate of {o['source_file']} line {o['source_line']} (same {what})"
                       for o in orig],
            "text": "",
        }))
    return allf[~dup].drop(columns=["_file", "_k", "_n"])


def _classify(positions: pd.DataFrame, securities: SecurityMaster) -> pd.DataFrame:
    if positions.empty:
        return positions
    out = positions.copy()
    given = out["asset_class"]
    is_cash_symbol = out["symbol"].str.upper().eq("CASH")
    found = securities.classify(out["symbol"], out["cusip"])
    out["asset_class"] = given.where(given.notna(), found).mask(is_cash_symbol & given.isna(),
                                                               "cash").astype("str")
    return out


def load_household(path: str | Path, *, securities: SecurityMaster | None = None) -> Household:
    """Load a household file and every export it lists into one validated :class:`Household`.

    Parameters
    ----------
    path : str or Path
        The household TOML file (format: README, "The household file").
    securities : SecurityMaster, optional
        Security master to start from (default: the bundled one).

    Returns
    -------
    Household

    Raises
    ------
    HouseholdError
        If the file is not valid TOML, a required key is missing, targets do not sum to 1
        or name unknown classes, an account cannot be typed, or an id is ambiguous.
    FormatError
        If an export it lists cannot be loaded (the message names file, line and column).
    """
    path = Path(path)
    where = str(path)
    data = _read_toml(path)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise HouseholdError(f"{where}: unknown section(s) {sorted(unknown)}; allowed: "
                             f"{', '.join(sorted(_TOP_KEYS))}")
    h = data.get("household")
    if not isinstance(h, Mapping):
        raise HouseholdError(f"{where}: needs a [household] table")
    profile = _profile(h, where)
    targets = validate_targets(data.get("targets", {}), where=f"{where}: [targets]")
    subtargets = validate_subtargets(data.get("subtargets", {}), targets,
                                     where=f"{where}: [subtargets]")
    master = (securities or load_securities()).with_overrides(
        data.get("securities", {}), where=where)

    exports: list[Export] = []
    seen: dict[Path, int] = {}
    for n, entry in enumerate(data.get("files", [])):
        ctx = f"{where}: [[files]] #{n + 1}"
        if "path" not in entry:
            raise HouseholdError(f"{ctx}: needs a path")
        bad = set(entry) - _FILE_KEYS
        if bad:
            raise HouseholdError(f"{ctx}: unknown key(s) {sorted(bad)}; allowed: "
                                 f"{', '.join(sorted(_FILE_KEYS))}")
        f = (path.parent / entry["path"]).resolve()
        if not f.exists():
            raise HouseholdError(f"{ctx}: file {entry['path']!r} not found (looked at {f})")
        if f in seen:
            raise HouseholdError(f"{ctx}: file {entry['path']!r} is already listed as "
                                 f"[[files]] #{seen[f]}")
        seen[f] = n + 1
        exports.append(load_export(f, format=entry.get("format"), account=entry.get("account"),
                                   symbol=entry.get("symbol")))

    declared = _declared_accounts(data, where)
    accts, mapping, warnings = _match_accounts(exports, declared, where)
    for e in exports:
        warnings.extend(f"{e.path.name}: {note}" for note in e.notes)

    prov: list[dict] = []
    skipped: list[pd.DataFrame] = [e.skipped for e in exports]
    pos_frames = [(i, e, _rename(e.positions, mapping, i)) for i, e in enumerate(exports)]
    lot_frames = [(i, e, _rename(e.lots, mapping, i)) for i, e in enumerate(exports)]
    txn_frames = [(i, e, _rename(e.transactions, mapping, i)) for i, e in enumerate(exports)]
    rz_frames = [(i, e, _rename(e.realized, mapping, i)) for i, e in enumerate(exports)]
    positions = _choose(pos_frames, ["account"], "positions", prov, skipped)
    lots = _choose(lot_frames, ["account", "symbol"], "lots", prov, skipped)
    transactions = _dedupe_transactions(
        txn_frames, ["account", "date", "action", "symbol", "quantity", "amount"],
        "account, date, action, symbol, quantity and amount", skipped)
    realized = _dedupe_transactions(
        rz_frames, ["account", "symbol", "quantity", "acquired", "sold", "proceeds"],
        "account, symbol, quantity, dates and proceeds", skipped)
    for kind, frames in (("transactions", txn_frames), ("realized", rz_frames)):
        for _, e, f in frames:
            if not f.empty:
                prov.append({"file": e.path.name, "format": e.format, "frame": kind,
                             "key": ", ".join(sorted(f["account"].unique())), "rows": len(f),
                             "used": True, "reason": "rows from every file are combined; "
                                                     "rows repeated across files are dropped"})

    positions = validate_positions(_classify(positions if len(positions) else POSITIONS.empty(),
                                             master), where=where)
    lots = validate_lots(lots if len(lots) else LOTS.empty(), where=where)
    transactions = validate_transactions(transactions if len(transactions) else
                                         TRANSACTIONS.empty(), where=where)
    realized = validate_realized(realized if len(realized) else REALIZED.empty(), where=where)
    skipped_df = validate_skipped(concat_frames(
        [validate_skipped(s) for s in skipped], SKIPPED), where=where)

    accounts = validate_accounts(pd.DataFrame([{
        "account": a.account,
        "account_key": str(account_key(a.account)),
        "name": a.name,
        "owner": a.owner,
        "custodian": a.custodian,
        "tax_type": a.tax_type,
        "tax_type_inferred": a.inferred,
        "cost_basis_method": a.cost_basis_method,
    } for a in accts]), where=where)

    contributions: dict[str, float] = {}
    for k, v in data.get("contributions", {}).items():
        hits = [a.account for a in accts if keys_match(a.account, str(k))]
        if len(hits) != 1:
            raise HouseholdError(
                f"{where}: [contributions]: {k!r} matches "
                f"{'no account' if not hits else 'several accounts: ' + ', '.join(hits)}")
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise HouseholdError(f"{where}: [contributions]: {k!r} = {v!r} is not a number")
        contributions[hits[0]] = contributions.get(hits[0], 0.0) + float(v)

    as_of = _as_of(h, exports, transactions, where)
    # Taxable holdings no file gives lots for: lots rebuilt from the account's history, used
    # only where the history explains the position (toolkit.history.lots_from_history).
    from toolkit.history import lots_from_history

    rebuilt = lots_from_history(accounts, positions, lots, transactions, realized, as_of=as_of)
    lots, realized = rebuilt.lots, rebuilt.realized
    prov.extend(rebuilt.provenance)
    warnings.extend(rebuilt.warnings)
    for a in accts:
        if a.declared and not any(v == a.account for v in mapping.values()):
            warnings.append(f"account {a.account}: declared but no export mentions it")
    return Household(
        name=str(h.get("name", path.stem)),
        profile=profile,
        as_of=as_of,
        targets=targets,
        subtargets=subtargets,
        accounts=accounts,
        positions=positions,
        lots=lots,
        transactions=transactions,
        realized=realized,
        skipped=skipped_df,
        contributions=contributions,
        securities=master,
        provenance=pd.DataFrame(prov, columns=["file", "format", "frame", "key", "rows", "used",
                                               "reason"]),
        warnings=warnings,
        exports=exports,
        path=path,
        people={str(p.get("name")): dict(p) for p in data.get("people", [])},
        settings=dict(data.get("settings", {})),
    )


def _as_of(h: Mapping, exports: list[Export], transactions: pd.DataFrame,
           where: str) -> pd.Timestamp:
    if "as_of" in h:
        v = h["as_of"]
        try:
            return pd.Timestamp(v).normalize()
        except (TypeError, ValueError) as exc:
            raise HouseholdError(f"{where}: as_of = {v!r} is not a date") from exc
    dates = [e.as_of for e in exports if e.as_of is not None]
    if dates:
        return max(dates).normalize()
    if len(transactions):
        return transactions["date"].max().normalize()
    raise HouseholdError(f"{where}: no export carries a date; set as_of = YYYY-MM-DD in "
                         "[household]")
