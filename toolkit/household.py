"""The household model: accounts with tax types, their validated frames, a target, a tax year.

:class:`Household` is what every core function reads. It is immutable: assigning an
attribute raises, and each frame attribute hands out a new shallow copy of a stored frame,
so a caller that adds a column or writes a cell (``.loc``, ``.iloc``) changes only its own
copy (pandas copy-on-write) and never what the next reader sees.
:meth:`Household.from_frames` is the one validating constructor: the household file's
loader (:func:`toolkit.load_household`), :mod:`toolkit.examples`, the tests' factories and
the benchmarks all build households through it.

This module knows nothing of broker files, tax rules, lot histories or the planner: it
imports only the schema, the account-id helpers and the security master.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from toolkit.accounts import account_key, match_account, match_contributions
from toolkit.errors import HouseholdError
from toolkit.schema import (
    ASSET_CLASSES,
    LOTS,
    PENDING,
    POSITIONS,
    REALIZED,
    SKIPPED,
    TRANSACTIONS,
    UNCLASSIFIED,
    TaxType,
    validate_accounts,
    validate_lots,
    validate_pending,
    validate_positions,
    validate_realized,
    validate_skipped,
    validate_transactions,
)
from toolkit.securities import SecurityMaster, load_securities
from toolkit.trading_rules import TradingRules

__all__ = [
    "FILING_STATUSES",
    "Household",
    "LotHistory",
    "NOT_HOLDING_DATA",
    "TaxProfile",
    "classify_positions",
    "per_household",
    "totals_by_account",
    "validate_subtargets",
    "validate_targets",
]

#: Reasons of skipped rows that are not a holding's data (matched anywhere in the reason,
#: case-insensitive): such rows do not make a holding unreliable (:attr:`Household.unreliable`).
NOT_HOLDING_DATA = re.compile(
    r"(?i)\b(?:sub)?total row\b|\bsummary\b|\b(?:are|is) (?:loaded|used)\b|"
    r"pending activity|currency conversion|not a holding|superseded|duplicate of|"
    r"counted once|journal between|open order")

FILING_STATUSES = (
    "single",
    "married_filing_jointly",
    "married_filing_separately",
    "head_of_household",
)


@dataclass(frozen=True)
class TaxProfile:
    """What the tax engine needs to know about the household's year.

    A profile is priced exactly as given. The household file's profile is
    ``Household.profile``; the profile a computation on a household prices on (the file's
    plus this year's realised sales) is :func:`toolkit.tax.profile_for`.

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
    birth_years : tuple of int
        Birth years of the filers (the taxpayer and, on a joint return, the spouse). When
        ``deductions`` is None, the NIIT's MAGI estimate adds the additional standard
        deduction and the 2025-2028 senior deduction for each filer 65 or older at the end of
        ``year`` (:func:`toolkit.tax.engine.tax_inputs`). A household fills it from
        ``[[people]]`` (:meth:`Household.from_frames`).
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
    birth_years: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.filing_status not in FILING_STATUSES:
            raise HouseholdError(f"filing_status {self.filing_status!r} is not one of "
                                 f"{', '.join(FILING_STATUSES)}")
        years = tuple(self.birth_years)
        if any(isinstance(y, bool) or not isinstance(y, int) or not 1850 <= y <= 2200
               for y in years):
            raise HouseholdError(f"birth_years {self.birth_years!r} must be whole years")
        filers = 2 if self.filing_status == "married_filing_jointly" else 1
        if len(years) > filers:
            raise HouseholdError(f"birth_years {years!r}: a {self.filing_status} return has "
                                 f"{filers} filer(s)")
        object.__setattr__(self, "birth_years", years)
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
        return dataclasses.replace(self, **changes)


def _frozen_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A private shallow copy: later writes to ``df`` by its owner cannot reach it."""
    return df.copy(deep=False)


class _ReadOnlyFrames:
    """Hand out a new shallow copy of each stored frame (or Series) on every read.

    Under pandas' copy-on-write a write into the copy (a new column, ``.loc``/``.iloc``
    assignment) copies the data first, so what is stored never changes (cvxportfolio's
    ``_set_read_only`` is the model).
    """

    _FRAMES: frozenset[str] = frozenset()

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name in type(self)._FRAMES and value is not None:
            return value.copy(deep=False)
        return value


@dataclass(frozen=True, eq=False)
class LotHistory(_ReadOnlyFrames):
    """What the one replay of a household's transaction history found.

    Built by :func:`toolkit.history.replay_household` (at load, and by the examples and the
    tests' factories) and kept with the household, so that :func:`toolkit.reconcile`, the
    planner, the checkup and ``inspect`` read it instead of replaying the history again.

    Attributes
    ----------
    lots : DataFrame
        Every lot the replay leaves open (:data:`~toolkit.schema.LOTS`), used or not.
    realized : DataFrame
        Every sale the replay matched to lots (:data:`~toolkit.schema.REALIZED` plus
        ``lot_id``).
    implied : DataFrame
        Per account and symbol, the shares the history implies and what its lots hold
        (:data:`toolkit.history.IMPLIED_COLUMNS`).
    reconciliation : DataFrame
        The report of :func:`toolkit.reconcile` at its default tolerances.
    warnings : tuple of str
        The replay's notes.
    """

    _FRAMES = frozenset({"lots", "realized", "implied", "reconciliation"})

    lots: pd.DataFrame
    realized: pd.DataFrame
    implied: pd.DataFrame
    reconciliation: pd.DataFrame
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in self._FRAMES:
            object.__setattr__(self, name, _frozen_frame(object.__getattribute__(self, name)))
        object.__setattr__(self, "warnings", tuple(self.warnings))


#: Frames whose change makes a stored :class:`LotHistory` stale.
_HISTORY_INPUTS = frozenset({"accounts", "positions", "lots", "transactions", "realized",
                             "as_of"})


@dataclass(frozen=True, eq=False)
class Household(_ReadOnlyFrames):
    """A household: accounts with tax types, their holdings, lots and history, and a target.

    Immutable (assigning an attribute raises ``FrozenInstanceError``); each frame attribute
    returns a new shallow copy of the stored frame, so writing into it changes nothing here.
    Build one with :meth:`from_frames` (it validates) or :func:`toolkit.load_household`;
    change one with :meth:`replace`.

    Attributes
    ----------
    name : str
    profile : TaxProfile
        The household file's tax year. What a computation on the household prices on is
        :func:`toolkit.tax.profile_for` (this profile plus this year's realised sales).
    as_of : Timestamp
        Valuation date: the household file's ``as_of``, else the newest export date.
    targets : Series
        Asset class -> target weight (fractions summing to 1).
    subtargets : mapping
        Optional split of a class into sub-classes: class -> Series (sub_class -> weight within
        the class, summing to 1), from ``[subtargets.<class>]``.
    accounts, positions, lots, transactions, realized : DataFrame
        Canonical frames (:mod:`toolkit.schema`); ``account`` columns hold the household's
        account ids.
    skipped : DataFrame
        Every input row not used, with its file, line and reason.
    pending : DataFrame
        Cash in transit (:data:`~toolkit.schema.PENDING`): one row per pending debit or
        credit the exports list, ``account`` a household account id, ``amount`` signed
        dollars (+ a credit the account will receive, - a debit it will pay), not yet in the
        positions' cash. Per account: :attr:`pending_cash`.
    harvest_log : DataFrame
        Entries of the harvest log the household file names (``[settings] harvest_log``;
        columns :data:`toolkit.tax.harvest_log.LOG_COLUMNS`; empty without one): harvests a
        person did, read back as recent trades by the wash-sale rule
        (:func:`toolkit.tax.wash_household.household_sales` and ``household_acquisitions``).
    contributions : mapping
        Planned new money per account id, dollars.
    securities : SecurityMaster
        Bundled master plus the household's overrides.
    provenance : DataFrame
        For each export and account: what it supplied and whether it was used, and why.
    warnings : tuple of str
        Odd but usable things (inferred tax types, superseded files).
    exports : tuple
        The :class:`toolkit.io.Export` objects loaded (empty for households built in memory).
    path : Path or None
        The household file.
    people : mapping
        Person name -> their ``[[people]]`` entry.
    settings : mapping
        The ``[settings]`` table.
    history : LotHistory or None
        The one replay of the transaction history (:func:`toolkit.history.replay_household`);
        None for a household built without it (then :func:`toolkit.reconcile` replays when
        asked).
    rules : TradingRules
        How the accounts may be traded (:mod:`toolkit.trading_rules`: the fund per asset
        class, per-account cash floors, menus and do-not lists, prices), account keys matched
        to the account ids; empty by default.
    """

    _FRAMES = frozenset({"accounts", "positions", "lots", "transactions", "realized",
                         "skipped", "pending", "harvest_log", "provenance", "targets"})

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
    pending: pd.DataFrame = field(default_factory=PENDING.empty)
    harvest_log: pd.DataFrame = field(default_factory=pd.DataFrame)
    contributions: Mapping[str, float] = field(default_factory=dict)
    securities: SecurityMaster = field(default_factory=load_securities)
    provenance: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: tuple[str, ...] = ()
    exports: tuple[Any, ...] = field(default=(), repr=False)
    path: Path | None = None
    people: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    subtargets: Mapping[str, pd.Series] = field(default_factory=dict)
    history: LotHistory | None = field(default=None, repr=False)
    rules: TradingRules = field(default_factory=TradingRules, repr=False)

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in self._FRAMES:
            put(name, _frozen_frame(object.__getattribute__(self, name)))
        put("contributions", MappingProxyType(dict(self.contributions)))
        put("people", MappingProxyType({str(k): MappingProxyType(dict(v))
                                        for k, v in self.people.items()}))
        put("settings", MappingProxyType(dict(self.settings)))
        put("subtargets", MappingProxyType({k: _frozen_frame(v)
                                            for k, v in self.subtargets.items()}))
        put("warnings", tuple(self.warnings))
        put("exports", tuple(self.exports))
        put("as_of", pd.Timestamp(self.as_of))

    def __getstate__(self) -> dict[str, Any]:
        # Read-only mappings do not pickle: plain copies go out, __setstate__ freezes again.
        state = dict(object.__getattribute__(self, "__dict__"))
        state["contributions"] = dict(state["contributions"])
        state["people"] = {k: dict(v) for k, v in state["people"].items()}
        state["settings"] = dict(state["settings"])
        state["subtargets"] = dict(state["subtargets"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self.__post_init__()

    # --- building -----------------------------------------------------------------------

    @classmethod
    def from_frames(cls, *, name: str, profile: TaxProfile, as_of: Any,
                    targets: Mapping[str, float] | pd.Series,
                    accounts: pd.DataFrame | Iterable[Mapping[str, Any]],
                    positions: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
                    lots: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
                    transactions: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
                    realized: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
                    skipped: pd.DataFrame | None = None,
                    pending: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
                    harvest_log: pd.DataFrame | None = None,
                    subtargets: Mapping[str, Mapping[str, float]] | None = None,
                    contributions: Mapping[str, float] | None = None,
                    securities: SecurityMaster | None = None,
                    provenance: pd.DataFrame | None = None,
                    warnings: Iterable[str] = (), exports: Iterable[Any] = (),
                    path: str | Path | None = None,
                    people: Mapping[str, Mapping[str, Any]] | None = None,
                    settings: Mapping[str, Any] | None = None,
                    history: LotHistory | None = None,
                    rules: TradingRules | None = None,
                    where: str | None = None) -> Household:
        """Validate frames (or plain rows) and assemble a household.

        Parameters
        ----------
        name : str
        profile : TaxProfile
        as_of : date-like
            Valuation date (normalised to midnight).
        targets : mapping or Series
            Asset class -> weight, fractions summing to 1 (:func:`validate_targets`).
        accounts : DataFrame or iterable of mappings
            :data:`~toolkit.schema.ACCOUNTS` rows; ``account_key`` is computed when missing.
        positions, lots, transactions, realized : DataFrame or iterable of mappings
            Canonical frames or their rows (empty by default). A position row without
            ``market_value`` gets ``quantity x price``; positions without an
            ``asset_class`` are classified by ``securities`` (:func:`classify_positions`).
        skipped, provenance : DataFrame, optional
        harvest_log : DataFrame, optional
            A harvest log's entries (:attr:`harvest_log`).
        pending : DataFrame or iterable of mappings, optional
            Pending cash rows (:data:`~toolkit.schema.PENDING`; ``account`` and a finite
            ``amount`` required, the account one of ``accounts``).
        subtargets : mapping, optional
            Class -> {sub_class: weight within the class} (:func:`validate_subtargets`).
        contributions : mapping, optional
            Account id (full or masked) -> dollars, matched to the accounts by
            :func:`toolkit.accounts.match_contributions`.
        securities : SecurityMaster, optional
            Default: the bundled master.
        warnings, exports, path, people, settings
            As the attributes of the same names. When ``profile.birth_years`` is empty, the
            birth years of ``people`` fill it (account owners first; two on a joint return,
            else one).
        history : LotHistory, optional
            The replay of the history, when the caller ran it
            (:func:`toolkit.history.replay_household` does, and returns a new household).
        rules : TradingRules, optional
            The household file's trading rules (:func:`toolkit.trading_rules.take_trading_rules`);
            their account keys are matched to the accounts here.
        where : str, optional
            Origin of the frames, for error messages (default ``name``).

        Returns
        -------
        Household

        Raises
        ------
        HouseholdError
            If the targets or sub-targets are invalid, or a contribution or a trading rule
            names no account.
        SchemaError
            If a frame is not valid (the message names the frame, column and row).
        """
        where = name if where is None else where
        master = securities if securities is not None else load_securities()
        acc = _rows_frame(accounts)
        if "account_key" not in acc.columns and "account" in acc.columns:
            acc["account_key"] = [str(account_key(a)) for a in acc["account"]]
        acc = validate_accounts(acc, where=where)
        pos = _rows_frame(positions, market_value=True)
        pos = (classify_positions(validate_positions(pos, where=where), master) if len(pos)
               else POSITIONS.empty())
        tgt = validate_targets(dict(targets), where=where)
        ids = list(acc["account"])
        return cls(
            name=str(name),
            profile=_with_filers(profile, people or {}, set(acc["owner"].dropna())),
            as_of=pd.Timestamp(as_of).normalize(),
            targets=tgt,
            subtargets=validate_subtargets(subtargets or {}, tgt, where=where),
            accounts=acc,
            positions=pos,
            lots=_validated(lots, LOTS, validate_lots, where),
            transactions=_validated(transactions, TRANSACTIONS, validate_transactions, where),
            realized=_validated(realized, REALIZED, validate_realized, where),
            skipped=(validate_skipped(skipped, where=where) if skipped is not None
                     else SKIPPED.empty()),
            pending=_pending(pending, ids, where),
            harvest_log=pd.DataFrame() if harvest_log is None else harvest_log,
            contributions=_finite_contributions(match_contributions(
                ids, contributions or {}, where=f"{where}: [contributions]:"), where),
            securities=master,
            provenance=(provenance if provenance is not None else pd.DataFrame(
                columns=["file", "format", "frame", "key", "rows", "used", "reason"])),
            warnings=tuple(warnings),
            exports=tuple(exports),
            path=None if path is None else Path(path),
            people=dict(people or {}),
            settings=dict(settings or {}),
            history=history,
            rules=(rules or TradingRules()).resolved(ids, where=f"{where}: "),
        )

    def replace(self, **changes: Any) -> Household:
        """A copy with some attributes changed (not re-validated).

        A stored :attr:`history` is dropped when a frame it was computed from changes
        (accounts, positions, lots, transactions, realized, as_of) and no new one is given.
        """
        if "history" not in changes and _HISTORY_INPUTS & set(changes):
            changes["history"] = None
        return dataclasses.replace(self, **changes)

    # --- reading ------------------------------------------------------------------------

    @property
    def unreliable(self) -> pd.DataFrame:
        """Holdings with a data row the loaders could not read: not fully known.

        A skipped row that carries an account or a symbol (:data:`~toolkit.schema.SKIPPED`) is
        a row of that holding's data (a position, a lot, a trade) that was not loaded, unless
        its reason says it is not a holding's data (:data:`NOT_HOLDING_DATA`: total,
        subtotal and summary rows, rows whose detail is loaded instead, pending activity,
        currency conversions, superseded or duplicate rows) or it is a row of
        :attr:`pending`. Such a holding may be missing shares, lots or basis:
        :func:`toolkit.reconcile` reports it (``rows_skipped``, not trusted) and ``inspect``
        lists it first.

        Returns
        -------
        DataFrame
            One row per (account, symbol), household account ids, in skipped order:
            ``account`` and ``symbol`` (either may be missing when the row did not say),
            ``rows`` (count) and ``detail`` (``"<file> line <n>: <reason>"`` per row,
            ``"; "``-joined).
        """
        cols = ["account", "symbol", "rows", "detail"]
        sk = self.skipped
        sk = sk[(sk["account"].notna() | sk["symbol"].notna())
                & ~sk["reason"].str.contains(NOT_HOLDING_DATA, na=False)]
        p = self.pending
        if len(sk) and len(p):
            pend = set(zip(p["source_file"], p["source_line"], strict=True))
            sk = sk[[k not in pend for k in zip(sk["file"], sk["line"], strict=True)]]
        if sk.empty:
            return pd.DataFrame({"account": pd.Series(dtype="str"),
                                 "symbol": pd.Series(dtype="str"),
                                 "rows": pd.Series(dtype="int64"),
                                 "detail": pd.Series(dtype="str")})[cols]
        where = [f"{f} line {int(n)}: {r}" if pd.notna(n) else f"{f}: {r}"
                 for f, n, r in zip(sk["file"], sk["line"], sk["reason"], strict=True)]
        g = sk.assign(_w=where).groupby(["account", "symbol"], sort=False, dropna=False)
        out = pd.DataFrame({"rows": g.size(), "detail": g["_w"].agg("; ".join)}).reset_index()
        out["rows"] = out["rows"].astype("int64")
        for c in ("account", "symbol", "detail"):
            out[c] = out[c].astype("str")
        return out[cols]

    def not_loaded(self) -> list[str]:
        """What the household could not load, one sentence per holding (for the top of a report).

        Returns
        -------
        list of str
            For each holding of :attr:`unreliable`: its account and symbol, the rows not
            read with their reasons, and what follows (empty when every data row loaded).
        """
        out = []
        for r in self.unreliable.itertuples(index=False):
            who = " ".join(str(x) for x in (r.account, r.symbol) if pd.notna(x))
            rows = f"{r.rows} row{'s' if r.rows != 1 else ''}"
            out.append(f"{who or 'unknown holding'}: {rows} could not be read ({r.detail}); "
                       "its shares, lots or basis may be incomplete, and it is not traded "
                       "unless allowed")
        return out

    @property
    def pending_cash(self) -> pd.Series:
        """Pending cash per account: what :attr:`pending` will add to or take from its cash.

        Returns
        -------
        Series
            float64, indexed by every account id of :attr:`accounts` (in order; 0.0 where
            nothing is pending), named ``pending_cash``: signed dollars, + a credit the
            account will receive, - a debit it will pay. Spendable cash of an account is its
            cash positions plus this figure.
        """
        ids = pd.Index(self.accounts["account"], name="account")
        p = self.pending
        by = p.groupby("account")["amount"].sum() if len(p) else pd.Series(dtype="float64")
        return by.reindex(ids, fill_value=0.0).astype("float64").rename("pending_cash")

    def tax_type(self, account: str) -> TaxType:
        """The tax type of a household account id."""
        acc = self.accounts
        row = acc.loc[acc["account"] == account]
        if row.empty:
            raise HouseholdError(f"no account {account!r} in household {self.name!r}")
        return TaxType(row["tax_type"].iloc[0])

    def cash_floor(self, account: str) -> float:
        """Dollars of cash ``account`` keeps (the planner invests only what is above it).

        The account's ``[[accounts]] cash_floor``; else ``[settings] cash_floor``: a table
        gives it per account id (masked forms match), a number applies to every account but
        employer plans (a 401(k)'s cash is not a spending reserve: give it its own floor to
        keep one); else 0.

        Parameters
        ----------
        account : str
            Household account id.

        Returns
        -------
        float
            Dollars.

        Raises
        ------
        HouseholdError
            If ``[settings] cash_floor`` is neither a non-negative number nor a table of them.
        """
        own = self.rules.account(account).cash_floor
        if own is not None:
            return own
        f = self.settings.get("cash_floor")
        if f is None:
            return 0.0
        if isinstance(f, Mapping):
            ids = list(self.accounts["account"])
            for k, v in f.items():
                if match_account(ids, str(k)) == [account]:
                    return _floor_value(v, f"[settings] cash_floor.{k}")
            return 0.0
        if self.tax_type(account).is_employer_plan:
            return 0.0
        return _floor_value(f, "[settings] cash_floor")

    @property
    def unclassified(self) -> pd.DataFrame:
        """Positions the security master does not know (asset class ``unclassified``)."""
        pos = self.positions
        return pos[pos["asset_class"] == UNCLASSIFIED].reset_index(drop=True)

    @property
    def reconciliation(self) -> pd.DataFrame | None:
        """The stored reconciliation report (:attr:`history`), or None when not replayed.

        :func:`toolkit.reconcile` returns it, or computes it when it is None.
        """
        return None if self.history is None else self.history.reconciliation

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


def _with_filers(profile: TaxProfile, people: Mapping[str, Mapping[str, Any]],
                 owners: set[str]) -> TaxProfile:
    """The profile with the filers' birth years from ``[[people]]`` when it has none.

    People who own an account come first; a joint return takes two, any other one.
    """
    if profile.birth_years:
        return profile
    born = [(str(n), p.get("birth_year")) for n, p in people.items()]
    born = [(n, y) for n, y in born if isinstance(y, int) and not isinstance(y, bool)]
    if not born:
        return profile
    born.sort(key=lambda r: r[0] not in owners)
    filers = 2 if profile.filing_status == "married_filing_jointly" else 1
    return profile.replace(birth_years=tuple(y for _, y in born[:filers]))


def _floor_value(v: Any, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0 or v == float("inf"):
        raise HouseholdError(f"{key} = {v!r} is not a non-negative number of dollars")
    return float(v)


def _handout(value: Any) -> Any:
    """A cached result as a caller may receive it: frames as new shallow copies."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, tuple):
        return tuple(_handout(v) for v in value)
    if isinstance(value, list):
        return list(value)
    return value


def per_household(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compute ``fn(household, *args)`` once per household object (and hashable ``args``).

    A :class:`Household` cannot change, so what is derived from it alone stays true while it
    lives: the cache is keyed by the household object (weakly: it goes with the household)
    and never holds a stale value. Frames in a result are handed out as new shallow copies,
    so a caller that writes into one does not change what the next caller gets. Anything
    that is not a Household is passed through uncached.

    Parameters
    ----------
    fn : callable
        ``fn(household, *args)``; keyword arguments bypass the cache.

    Returns
    -------
    callable
        ``fn`` with the cache (``cache_clear()`` empties it).
    """
    cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @functools.wraps(fn)
    def wrapper(household, *args, **kwargs):
        if kwargs or not isinstance(household, Household):
            return fn(household, *args, **kwargs)
        per = cache.setdefault(household, {})
        if args not in per:
            per[args] = fn(household, *args)
        return _handout(per[args])

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper


def _finite_contributions(amounts: dict[str, float], where: str) -> dict[str, float]:
    for k, v in amounts.items():
        if not math.isfinite(v):
            raise HouseholdError(f"{where}: [contributions]: account {k!r} = {v!r} is not a "
                                 "finite number of dollars")
    return amounts


def _pending(rows: pd.DataFrame | Iterable[Mapping[str, Any]], accounts: Iterable[str],
             where: str) -> pd.DataFrame:
    """Pending rows validated (:data:`~toolkit.schema.PENDING`), amounts finite, accounts known."""
    df = _rows_frame(rows)
    if df.empty:
        return PENDING.empty()
    if "amount" in df.columns:
        raw = df["amount"]
        amt = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = ~np.isfinite(amt.to_numpy())
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            v = raw.iloc[i]
            v = v.item() if hasattr(v, "item") else v
            raise HouseholdError(f"{where}: pending row {i + 1}: amount {v!r} is not a finite "
                                 "number of dollars")
        df["amount"] = amt
    out = validate_pending(df, where=where)
    unknown = sorted(set(out["account"]) - set(accounts))
    if unknown:
        raise HouseholdError(f"{where}: pending rows name account(s) {unknown} that are not "
                             "the household's")
    return out


def _rows_frame(rows: pd.DataFrame | Iterable[Mapping[str, Any]], *,
                market_value: bool = False) -> pd.DataFrame:
    """A frame from a frame or from plain rows (positions: ``market_value`` from q x p)."""
    if isinstance(rows, pd.DataFrame):
        return rows.copy(deep=False)
    out = []
    for r in rows:
        r = dict(r)
        if market_value and "market_value" not in r and "quantity" in r and "price" in r:
            r["market_value"] = r["quantity"] * r["price"]
        out.append(r)
    return pd.DataFrame(out)


def _validated(rows, schema, validate, where: str) -> pd.DataFrame:
    df = _rows_frame(rows)
    return validate(df, where=where) if len(df) else schema.empty()


def classify_positions(positions: pd.DataFrame, securities: SecurityMaster) -> pd.DataFrame:
    """Positions with every missing ``asset_class`` filled in by the security master.

    Parameters
    ----------
    positions : DataFrame
        Canonical positions.
    securities : SecurityMaster

    Returns
    -------
    DataFrame
        A copy. A given ``asset_class`` is kept; a missing one is the master's class of the
        symbol (or CUSIP), ``cash`` for the symbol ``CASH``, else ``unclassified``.
    """
    if positions.empty:
        return positions
    out = positions.copy()
    given = out["asset_class"]
    is_cash_symbol = out["symbol"].str.upper().eq("CASH")
    found = securities.classify(out["symbol"], out["cusip"])
    out["asset_class"] = given.where(given.notna(), found).mask(is_cash_symbol & given.isna(),
                                                               "cash").astype("str")
    return out


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
        if not math.isfinite(v):
            raise HouseholdError(f"{where}: weight of {k!r} is {v!r}, not a finite number")
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
            if (isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
                    or v < 0):
                raise HouseholdError(f"{where}: {cls}.{k} = {v!r} is not a finite "
                                     "non-negative number")
        total = float(sum(split.values()))
        if abs(total - 1.0) > 1e-6:
            raise HouseholdError(f"{where}: the sub-weights of {cls!r} sum to {total:.6g}, not 1 "
                                 "(they are fractions of the class)")
        out[cls] = pd.Series({str(k): float(v) for k, v in split.items()}, dtype="float64")
    return out
