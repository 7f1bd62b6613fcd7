"""Wash sales across the household (IRC §1091; Reg. §1.1091-1, -2; Pub 550; Rev. Rul. 2008-5).

A loss on a sale of stock or securities is disallowed when substantially identical stock or
securities are acquired within the 61-day period around the sale: from 30 days before to 30
days after it, in calendar days, the sale day included (Reg. §1.1091-1(a); the figures are read
from ``toolkit/tax/data/wash_sale_rules.csv``). Acquisitions in *any* household account count:
the taxable accounts of both spouses, and the IRAs, Roth IRAs, 401(k)s and HSAs. Dividend
reinvestments and payroll purchases are purchases.

Matching (Reg. §1.1091-1(b)-(e); Pub 550 "More or less stock bought than sold"):

- losses are processed in the order of the sales, earliest first; losses of one day in the
  order the sold shares were originally acquired;
- replacement shares are matched one for one to the shares sold, in the order they were
  acquired, earliest first; only matched shares are washed (a partial wash sale);
- a replacement share absorbs at most one loss share;
- the shares being sold are not their own replacement: the shares sold in the same sale
  (same account, substantially identical security, same day) are taken out of the
  acquisitions they came from before matching. The *other* shares of such an acquisition
  still count (the statute's literal reading; some brokers' 1099-B "one bite" convention does
  not count them, so this module may find wash sales a broker does not report).

Consequences:

- the disallowed loss of a matched share is its loss per share (cost basis less proceeds);
- replacement in a taxable account: the disallowed loss is added to the replacement shares'
  basis (§1091(d); Reg. §1.1091-2: old basis plus new price less sale price) and their holding
  period includes the sold shares' (§1223(3)): ``holding_start`` moves back by the days the
  sold shares were held;
- replacement in any tax-advantaged account (IRA, Roth IRA, 401(k), HSA, ...): the loss is
  disallowed and no basis moves, so it is lost for good (Rev. Rul. 2008-5; Pub 550, "except
  in (4) above"): ``permanent=True``.

"Substantially identical" is a facts-and-circumstances test with no IRS guidance for funds
tracking one index; it is a policy here (:class:`SubstantiallyIdentical`): ``same_security``
(one symbol or CUSIP), ``same_index`` (the security master's ``index``), and groups a household
declares, combinable with either.

Public functions: :func:`identity_groups`, :func:`match_wash_sales` (pure, on plain frames),
:func:`wash_sales` and :func:`wash_sale_result` (on a household) and
:func:`forward_wash_check` (what would wash a sale made today).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import HouseholdError
from toolkit.schema import DATE_DTYPE
from toolkit.securities import SecurityMaster, load_securities
from toolkit.tax import wash_chain as chain
from toolkit.tax import wash_household as hh
from toolkit.tax import wash_match as core
from toolkit.tax.wash_household import THREAT_COLUMNS
from toolkit.tax.wash_match import ROW_COLUMNS
from toolkit.tax.wash_threats import threat_inputs, threats

__all__ = [
    "MODES",
    "ROW_COLUMNS",
    "THREAT_COLUMNS",
    "SubstantiallyIdentical",
    "WashResult",
    "forward_wash_check",
    "identity_groups",
    "match_wash_sales",
    "wash_sale_result",
    "wash_sale_rules",
    "wash_sales",
    "wash_window",
]

#: Substantially-identical modes.
MODES = ("same_security", "same_index")
#: Columns of :attr:`WashResult.sales`, in order.
SALE_COLUMNS = ("sale", "sale_id", "account", "symbol", "group", "sale_date", "acquired",
                "holding_start", "quantity", "proceeds", "cost_basis", "basis_carried",
                "tacked", "gain", "disallowed", "tax_type")
#: Passes of matching and placing a chain's basis before giving up (see wash_chain).
_MAX_PASSES = 12


# --- rules ---------------------------------------------------------------------------------


@cache
def wash_sale_rules() -> pd.DataFrame:
    """The wash-sale rule facts bundled with the package (``data/wash_sale_rules.csv``).

    Returns
    -------
    DataFrame
        Indexed by ``parameter``; columns ``value`` (text), ``source_id``, ``status`` and
        ``notes``. Sources are listed in ``data/wash_sale_rules.md``.
    """
    ref = resources.files("toolkit.tax") / "data" / "wash_sale_rules.csv"
    with resources.as_file(ref) as p:
        return pd.read_csv(p, dtype=str, keep_default_na=False).set_index("parameter")


def wash_window() -> tuple[int, int]:
    """The wash-sale window: calendar days before and after a sale (Reg. §1.1091-1(a)).

    Returns
    -------
    tuple of int
        ``(before, after)``, read from ``wash_sale_rules.csv``: 30 and 30, so the window
        is the 61 days from 30 days before the sale to 30 days after it, the sale day
        included.
    """
    rules = wash_sale_rules()
    return (int(rules.loc["window_days_before_sale", "value"]),
            int(rules.loc["window_days_after_sale", "value"]))


# --- substantially identical --------------------------------------------------------------


def _norm_symbol(s: Any) -> str:
    return str(s).strip().upper()


@dataclass(frozen=True)
class SubstantiallyIdentical:
    """Which securities the wash-sale rule treats as substantially identical.

    Parameters
    ----------
    mode : {"same_security", "same_index"}
        ``same_security``: one symbol, or a CUSIP the security master maps to that symbol.
        ``same_index``: funds whose security-master ``index`` is the same (share classes and
        ETFs tracking one index); an ``active:<fund>`` index names one fund, so an active fund
        matches only itself; a security without an index falls back to ``same_security``.
    groups : sequence of sequence of str
        Declared groups (e.g. the household's ``settings.substantially_identical``): every
        member of a group, and everything identical to a member under ``mode``, is one group.
    """

    mode: str = "same_security"
    groups: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise HouseholdError(f"substantially-identical mode {self.mode!r} is not one of "
                                 f"{', '.join(MODES)}")
        object.__setattr__(self, "groups", _check_groups(self.groups))

    @classmethod
    def coerce(cls, policy: str | SubstantiallyIdentical | None = None,
               groups: Iterable[Iterable[str]] | None = None) -> SubstantiallyIdentical:
        """A policy from a mode name (or a policy) plus extra declared groups.

        Parameters
        ----------
        policy : str or SubstantiallyIdentical or None
            A mode from :data:`MODES` (None: ``same_security``) or a policy.
        groups : iterable of iterable of str, optional
            Groups added to the policy's own.

        Returns
        -------
        SubstantiallyIdentical
        """
        extra = _check_groups(groups or ())
        if isinstance(policy, SubstantiallyIdentical):
            return cls(policy.mode, policy.groups + extra) if extra else policy
        return cls(policy or "same_security", extra)

    def keys(self, symbols: Iterable[str], securities: SecurityMaster | None = None
             ) -> pd.Series:
        """Group key of each distinct symbol (see :func:`identity_groups`)."""
        master = securities if securities is not None else load_securities()
        if isinstance(symbols, pd.Series):  # distinct values first: frames of lots are long
            symbols = symbols.dropna().unique().tolist()
        uniq = list(dict.fromkeys(s for s in symbols if isinstance(s, str)))
        base = {s: self._base_key(s, master) for s in uniq}
        if self.groups:
            merged = _merge_groups(base, [[self._base_key(m, master) for m in g]
                                          for g in self.groups])
            base = {s: merged.get(k, k) for s, k in base.items()}
        return pd.Series(base, dtype="str", name="group").rename_axis("symbol")

    def _base_key(self, symbol: str, master: SecurityMaster) -> str:
        sym = _norm_symbol(symbol)
        known = master.resolve(sym)
        key = known or sym
        if self.mode == "same_index" and known is not None:
            index = master.index_of(known)
            if index:
                return f"index:{index}"
        return key


def _check_groups(groups: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    if isinstance(groups, str | bytes):
        raise HouseholdError("substantially_identical groups must be a list of symbol lists, "
                             f"e.g. [['VOO', 'IVV']]; got the string {groups!r}")
    out = []
    for g in groups:
        if isinstance(g, str | bytes) or not isinstance(g, Iterable):
            raise HouseholdError("substantially_identical groups must be a list of symbol "
                                 f"lists, e.g. [['VOO', 'IVV']]; found {g!r} as a group")
        members = tuple(_norm_symbol(m) for m in g)
        if any(not isinstance(m, str) or not m.strip() for m in g):
            raise HouseholdError(f"substantially_identical group {list(g)!r} has a member "
                                 "that is not a symbol")
        if len(members) > 1:
            out.append(members)
    return tuple(out)


def _merge_groups(base: Mapping[str, str], groups: list[list[str]]) -> dict[str, str]:
    """Union of keys that share a declared group; each key maps to its merged key."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for g in groups:
        for k in g[1:]:
            a, b = find(g[0]), find(k)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, set[str]] = {}
    for k in list(parent):
        members.setdefault(find(k), set()).add(k)
    return {k: " | ".join(sorted(members[find(k)])) for k in parent
            if len(members[find(k)]) > 1}


def identity_groups(symbols: Iterable[str], policy: str | SubstantiallyIdentical =
                    "same_security", securities: SecurityMaster | None = None, *,
                    groups: Iterable[Iterable[str]] | None = None) -> pd.Series:
    """Map each symbol to the key of its group of substantially identical securities.

    Parameters
    ----------
    symbols : iterable of str
        Tickers or CUSIPs; missing values are ignored.
    policy : str or SubstantiallyIdentical, default "same_security"
        A mode from :data:`MODES` or a policy.
    securities : SecurityMaster, optional
        Security master (default: the bundled one); resolves CUSIPs and gives ``index``.
    groups : iterable of iterable of str, optional
        Declared groups added to the policy's.

    Returns
    -------
    Series of str
        Indexed by each distinct symbol as given, named ``group``. Two symbols are
        substantially identical exactly when their keys are equal. Keys are the master's
        symbol (``same_security``), ``"index:<index>"`` (``same_index``) or, for merged
        groups, the members' keys joined by ``" | "``.

    Examples
    --------
    >>> identity_groups(["VOO", "IVV"], "same_index").nunique()
    1
    >>> identity_groups(["VOO", "IVV"]).nunique()
    2
    """
    return SubstantiallyIdentical.coerce(policy, groups).keys(symbols, securities)


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WashResult:
    """Wash sales found by :func:`match_wash_sales`.

    Attributes
    ----------
    rows : DataFrame
        One row per (loss sale, replacement acquisition) match and one per unmatched
        remainder of a loss sale; columns :data:`ROW_COLUMNS`. Money in dollars (``loss``,
        ``disallowed``, ``allowed`` positive), shares in shares, dates at midnight.
        ``basis_added`` is what moves into the replacement's basis (0 when ``permanent``, and
        net of ``broker_reported``: the part the broker already put there); ``code`` is
        ``"W"`` (Form 8949 column (f)) where ``disallowed > 0``, else ``""``.
    adjustments : DataFrame
        One row per replacement acquisition used: ``replacement_id``, ``account``,
        ``symbol``, ``date``, ``quantity`` (shares acquired), ``cost`` (dollars, if known),
        ``washed`` (shares matched), ``disallowed``, ``basis_added``, ``permanent_loss``
        (dollars), ``adjusted_cost`` (``cost + basis_added``) and ``holding_start`` (earliest
        tacked start among its matches; NaT when no basis moved).
    adjusted_lots : DataFrame or None
        The open lots (:data:`toolkit.schema.LOTS`) with each replacement's ``cost_basis``,
        ``holding_start`` and ``wash_sale_disallowed`` adjusted, a lot split where only part
        of it is a replacement (pieces get ``lot_id`` ``<id>.1``, ``<id>.2``, ...); extra
        column ``wash_basis_added`` (dollars). None when no lots were given.
    unplaced : float
        Basis (dollars) that belongs to replacement shares found neither in a later sale nor
        in an open lot (shares sold or moved in rows the household does not have).
    warnings : tuple of str
        What was odd but usable.
    policy : SubstantiallyIdentical
        The policy used.
    sales : DataFrame
        Every sale given (gains, tax-advantaged and unreadable rows too), as the chain rules
        leave it, one row per piece (columns :data:`SALE_COLUMNS`): ``sale`` the position of
        the sale in the input (``household.realized`` for :func:`wash_sale_result`),
        ``cost_basis`` the adjusted basis (the sale's own plus ``basis_carried``: disallowed
        loss of an earlier wash that these shares replaced, IRC §1091(d)), ``holding_start``
        tacked where ``tacked`` (§1223(3)), ``gain`` = ``proceeds - cost_basis`` and
        ``disallowed`` the part of a loss this household-wide check disallows. A sale whose
        shares carry two different bases or starts is split in pieces; quantities, proceeds
        and basis add back to the sale (basis plus what was carried).
    """

    rows: pd.DataFrame
    adjustments: pd.DataFrame
    adjusted_lots: pd.DataFrame | None = None
    unplaced: float = 0.0
    warnings: tuple[str, ...] = ()
    policy: SubstantiallyIdentical = field(default_factory=SubstantiallyIdentical)
    sales: pd.DataFrame = field(default_factory=lambda: _sales_frame(None, None))

    @property
    def loss(self) -> float:
        """Total loss of the loss sales, dollars."""
        return float(self.rows["loss"].sum())

    @property
    def disallowed(self) -> float:
        """Total disallowed loss, dollars (deferred plus permanent)."""
        return float(self.rows["disallowed"].sum())

    @property
    def allowed(self) -> float:
        """Total loss still deductible, dollars."""
        return float(self.rows["allowed"].sum())

    @property
    def permanent(self) -> float:
        """Disallowed loss lost for good (tax-advantaged replacements), dollars."""
        return float(self.rows.loc[self.rows["permanent"], "disallowed"].sum())

    @property
    def deferred(self) -> float:
        """Disallowed loss carried into taxable replacements' basis, dollars."""
        return self.disallowed - self.permanent


def _sales_frame(pieces: pd.DataFrame | None, rows: pd.DataFrame | None = None,
                 of_piece: np.ndarray | None = None) -> pd.DataFrame:
    """:attr:`WashResult.sales` from the last pass's pieces and match rows."""
    if pieces is None:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in SALE_COLUMNS})
        return out.astype({"sale": "int64", "sale_id": "str", "account": "str",
                           "symbol": "str", "group": "str", "tacked": "bool",
                           "tax_type": "str", "sale_date": DATE_DTYPE,
                           "acquired": DATE_DTYPE, "holding_start": DATE_DTYPE})
    out = pieces.copy()
    out["gain"] = out["proceeds"] - out["cost_basis"]
    out["disallowed"] = np.bincount(of_piece, weights=rows["disallowed"].to_numpy(),
                                    minlength=len(out)) if len(rows) else 0.0
    return out[list(SALE_COLUMNS)].reset_index(drop=True)


def match_wash_sales(sales: pd.DataFrame, acquisitions: pd.DataFrame, *,
                     policy: str | SubstantiallyIdentical = "same_security",
                     securities: SecurityMaster | None = None,
                     groups: Iterable[Iterable[str]] | None = None,
                     lots: pd.DataFrame | None = None) -> WashResult:
    """Find wash sales: match loss sales to replacement acquisitions across accounts.

    Pure: works on plain frames, needs no household; inputs are not modified.

    Parameters
    ----------
    sales : DataFrame
        Sales of lots (one row per lot sold), with ``account``, ``symbol``, ``sale_date``,
        ``quantity`` (shares, positive), ``proceeds`` and ``cost_basis`` (dollars); optional
        ``sale_id``, ``owner``, ``acquired`` and ``holding_start`` (dates of the shares sold;
        ``holding_start`` defaults to ``acquired``), ``tax_type`` (of the selling account,
        default ``taxable``) and ``reported_disallowed`` (dollars the broker already reports
        as disallowed, box 1g; default 0). A row is a loss sale when ``cost_basis -
        proceeds > 0`` in a taxable account; other rows (gains, tax-advantaged accounts,
        missing basis) wash nothing but their shares are not replacements for losses sold
        with them.
    acquisitions : DataFrame
        Acquisitions, with ``account``, ``symbol``, ``date`` and ``quantity`` (shares,
        positive); optional ``acq_id``, ``kind`` (``buy``, ``reinvest``, ...), ``tax_type``
        (of the acquiring account; default ``taxable``), ``price`` (dollars/share) or
        ``cost`` (dollars), and ``lot_id`` (the open lot that holds the shares).
    policy : str or SubstantiallyIdentical, default "same_security"
        Which securities are substantially identical (see :class:`SubstantiallyIdentical`).
    securities : SecurityMaster, optional
        Default: the bundled master.
    groups : iterable of iterable of str, optional
        Declared groups of substantially identical symbols.
    lots : DataFrame, optional
        Open lots (:data:`toolkit.schema.LOTS`) to adjust; see ``WashResult.adjusted_lots``.

    Returns
    -------
    WashResult
        ``rows`` with :data:`ROW_COLUMNS`; per loss sale the rows' ``loss`` sums to the sale's
        loss and ``allowed + disallowed = loss``.

    Raises
    ------
    SchemaError
        On a missing column, a non-positive quantity, an unknown tax type, or sold shares
        acquired after their sale date.

    Notes
    -----
    Rows whose ``acquired`` is missing cannot exclude their own purchase, and get no tacked
    holding period (``replacement_holding_start`` NaT).
    """
    pol = SubstantiallyIdentical.coerce(policy, groups)
    master = securities if securities is not None else load_securities()
    s = core.prepare_sales(sales)
    a = core.prepare_acquisitions(acquisitions)
    syms = [s["symbol"], a["symbol"]]
    if lots is not None:
        syms.append(lots["symbol"])
    keys = pol.keys(pd.concat(syms, ignore_index=True), master)
    s["group"] = s["symbol"].map(keys).astype("str")
    a["group"] = a["symbol"].map(keys).astype("str")
    before, after = wash_window()
    converged = True
    carry: dict = {}
    seen = chain.carry_signature(carry)
    for _ in range(_MAX_PASSES):
        pieces = chain.apply_carry(s, carry)
        ms, ma, mq = core.sweep(pieces, a, before, after)
        rows, of_piece = core.build_rows(pieces, a, ms, ma, mq)
        carry, rest = chain.place_in_sales(rows, pieces["sale"].to_numpy()[of_piece], s, a,
                                           keys, lots)
        sig = chain.carry_signature(carry)
        if sig == seen:
            break
        seen = sig
    else:
        converged = False
    notes: list[str] = []
    if not converged:
        notes.append(f"the wash-sale chains did not settle in {_MAX_PASSES} passes (losses "
                     "re-washed back and forth); the last pass is reported")
    nohs = rows["permanent"].eq(False) & rows["replacement_id"].notna() & rows[
        "holding_start"].isna()
    if nohs.any():
        notes.append(f"{nohs.sum()} wash-sale match(es) sold shares with no acquisition date: "
                     "the replacement's holding period cannot be tacked")
    adjusted, unplaced = None, 0.0
    if lots is not None:
        adjusted, unplaced, more = core.adjust_lots(lots, rest, a, keys)
        notes.extend(more)
    return WashResult(rows=rows, adjustments=core.summarise_adjustments(rows, a),
                      adjusted_lots=adjusted, unplaced=unplaced, warnings=tuple(notes),
                      policy=pol, sales=_sales_frame(pieces, rows, of_piece))


def wash_sale_result(household, *, policy: str | SubstantiallyIdentical = "same_security",
                     groups: Iterable[Iterable[str]] | None = None) -> WashResult:
    """Wash sales of a household's realised losses, with the full :class:`WashResult`.

    Parameters
    ----------
    household : Household
        Loss sales come from ``household.realized`` (broker-reported closed lots with
        ``cost_basis - proceeds > 0``; ``gain`` fills a missing one); acquisitions from
        ``household.transactions`` (``buy``, ``reinvest`` and share-carrying
        ``contribution`` rows with ``quantity > 0``; a missing symbol is resolved from the
        same account's position descriptions) and, for accounts without transactions (and
        lots older than an account's transactions), the open lots' ``acquired`` dates.
        Account tax types and owners come from ``household.accounts``.
    policy : str or SubstantiallyIdentical, default "same_security"
        See :class:`SubstantiallyIdentical`.
    groups : iterable of iterable of str, optional
        Declared groups; default ``household.settings["substantially_identical"]``.

    Returns
    -------
    WashResult
        ``adjusted_lots`` are ``household.lots`` adjusted. (Replacement shares the history
        holds in a holding no positions file lists, :func:`~toolkit.tax.wash_household.
        unlisted_lots`, take their basis too, so it is not reported unplaced, but they are
        not in ``adjusted_lots``: ``adjustments`` shows their adjusted cost.) What could not
        be used (symbols not
        resolved, rows without basis or dates) is in ``warnings`` and also issued as Python
        warnings. Basis the broker already moved (``wash_sale_disallowed`` on a realised row,
        same-account replacements) is not added twice.
    """
    sales, n1 = hh.household_sales(household)
    acq, n2 = hh.household_acquisitions(household)
    lots = household.lots
    unlisted = hh.unlisted_lots(household)
    if len(unlisted):
        lots = pd.concat([lots, unlisted], ignore_index=True)
    res = match_wash_sales(sales, acq, policy=policy, securities=household.securities,
                           groups=hh.groups_setting(household, groups), lots=lots)
    adjusted = res.adjusted_lots
    if len(unlisted) and adjusted is not None:
        root = adjusted["lot_id"].str.replace(r"\.\d+$", "", regex=True)
        adjusted = adjusted[~root.isin(set(unlisted["lot_id"]))].reset_index(drop=True)
    notes = [*n1, *n2, *res.warnings]
    rep = sales.groupby("sale_id")["reported_disallowed"].sum()
    ours = res.rows.groupby("sale_id")["disallowed"].sum()
    diff = (ours.reindex(rep.index, fill_value=0.0) - rep).abs()
    differ = diff[(diff > 0.005) & (rep > 0)]
    if len(differ):
        notes.append(f"{len(differ)} sale(s) where the broker's reported wash-sale amount "
                     f"differs from this household-wide computation (e.g. {differ.index[0]})")
    for n in notes:
        warnings.warn(f"wash sales: {n}", UserWarning, stacklevel=2)
    return WashResult(rows=res.rows, adjustments=res.adjustments,
                      adjusted_lots=adjusted, unplaced=res.unplaced,
                      warnings=tuple(notes), policy=res.policy, sales=res.sales)


def wash_sales(household, *, policy: str | SubstantiallyIdentical = "same_security",
               groups: Iterable[Iterable[str]] | None = None) -> pd.DataFrame:
    """Wash sales of a household's realised losses, one row per match or unmatched remainder.

    Parameters
    ----------
    household : Household
        See :func:`wash_sale_result` for where sales and acquisitions come from.
    policy : str or SubstantiallyIdentical, default "same_security"
        See :class:`SubstantiallyIdentical`.
    groups : iterable of iterable of str, optional
        Declared groups; default ``household.settings["substantially_identical"]``.

    Returns
    -------
    DataFrame
        Columns :data:`ROW_COLUMNS` (see :class:`WashResult`); ``attrs["warnings"]`` lists
        what could not be used. For lots and totals use :func:`wash_sale_result`.
    """
    res = wash_sale_result(household, policy=policy, groups=groups)
    rows = res.rows.copy()
    rows.attrs["warnings"] = list(res.warnings)
    return rows


def forward_wash_check(household, sales, *, as_of=None,
                       policy: str | SubstantiallyIdentical = "same_security",
                       groups: Iterable[Iterable[str]] | None = None) -> pd.DataFrame:
    """What would wash a loss sale made today, and in which account.

    Parameters
    ----------
    household : Household
    sales : DataFrame, list or str
        The planned sales: lot ids (a str, a list of str, or a ``lot_id`` column, optionally
        with ``quantity``), or rows with ``account``, ``symbol`` and optionally ``quantity``
        (shares; default: the whole holding, taken from the oldest lots first).
    as_of : date-like, optional
        The sale date (default ``household.as_of``).
    policy : str or SubstantiallyIdentical, default "same_security"
        See :class:`SubstantiallyIdentical`.
    groups : iterable of iterable of str, optional
        Declared groups; default ``household.settings["substantially_identical"]``.

    Returns
    -------
    DataFrame
        One row per threat, columns :data:`THREAT_COLUMNS`: the planned sale
        (``sale_account``, ``sale_symbol``, ``sale_quantity``), the threat's ``account``,
        ``symbol``, ``date`` and ``kind``:

        - ``recent_purchase``: an acquisition in the last 30 days (or already recorded in the
          next 30) of a substantially identical security, in any account, with ``quantity``
          the shares not already used as a replacement for an earlier realised loss (the
          shares being sold excluded) and ``dollars`` their cost;
        - ``scheduled_contribution``: a planned contribution (``household.contributions``)
          to an account holding the group, treated as a purchase of it; ``dollars`` is the
          contribution times the group's share of the account's non-cash value, ``quantity``
          that at the current price; ``date`` NaT (the household file gives no date);
        - ``expected_reinvestment``: a holding of the group in an account that reinvested
          its distributions in the past year; ``date`` the last reinvestment plus the median
          gap between them (NaT with a single one), ``quantity``/``dollars`` the last one.

        ``permanent`` is True where the threat is in a tax-advantaged account (the loss would
        be lost for good). ``safe_buy_back_date`` is the sale date + 31 days (the first day a
        purchase no longer washes it); ``safe_sell_date`` is a recent purchase's date + 31
        (the first day a sale is out of its reach). ``attrs["warnings"]`` lists planned sales
        in tax-advantaged accounts (no loss to wash), which are skipped.

    Raises
    ------
    HouseholdError
        If a planned sale names an unknown lot or neither a lot nor an account and symbol.

    Notes
    -----
    Whether the sale is at a loss is not checked. When a quantity is given without lot ids,
    the oldest lots are assumed sold, which leaves recent lots as threats (conservative).
    """
    day0 = pd.Timestamp(as_of if as_of is not None else household.as_of).normalize()
    before, after = wash_window()
    pol = SubstantiallyIdentical.coerce(policy, hh.groups_setting(household, groups))
    plan = hh.planned_sales(household, sales)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = wash_sale_result(household, policy=pol, groups=()).rows
    key_of, used = threat_inputs(household, plan, pol, done)
    out, notes = threats(household, plan, key_of, used, day0, before, after)
    out.attrs["warnings"] = notes
    return out
