"""Tax-loss harvesting: what to sell at a loss now, what it saves, what would wash it.

:func:`harvest` lists the household's taxable lots at a loss that meet both thresholds, checks
each holding with the forward wash-sale check (:func:`toolkit.tax.wash.forward_wash_check`'s
threats: purchases in the last 30 days, planned contributions and expected reinvestments, in
*any* household account), values the losses with :func:`toolkit.tax.gains.gains_tax` given the
year's other gains, and proposes replacements that are not substantially identical under the
chosen policy (:func:`replacement_candidates`). The harvest log a person keeps of what they
actually did is :class:`~toolkit.tax.harvest_log.HarvestLog` (re-exported here).

Rules and choices (sources: IRC §1091, §1211(b), §1212(b); Reg. §1.1091-1; Pub 550):

- **Thresholds.** A lot is a candidate when its loss is at least ``min_loss_pct`` of its cost
  basis *and* the losses of all such lots of the same symbol in the same account add up to at
  least ``min_loss`` dollars: the dollar threshold applies to the sale a person would place
  (one order per account and symbol), the percentage to each lot. Both are inclusive (a loss
  of exactly $500.00 and exactly 5.00% qualifies); losses are in cents.
- **Wash risk is per holding, not per lot.** Replacement shares bought in the 61-day window
  wash the loss shares *sold*, whichever they are (Reg. §1.1091-1(c), (d)), so a threat to a
  holding threatens every lot of it: selling only the lots "it does not reach" does not help.
  ``wash_shares`` estimates how many shares the threats would wash if all candidate lots of
  the holding were sold (matched to the earliest-acquired lots first) and ``wash_loss`` the
  dollars of loss that would be disallowed (for good when ``permanent``). A replacement share
  already used by an earlier realised loss cannot wash another (Reg. §1.1091-1(e)).
- **Threat dates.** A purchase in the last 30 days, a planned contribution (the household file
  gives no date) and an expected reinvestment dated up to 30 days after the sale (or of
  unknown date, or expected earlier but not yet recorded) are threats; an expected
  reinvestment projected more than 30 days out is not.
- **Valuing** (what the loss saves *this year*): the baseline is the household's
  year-to-date profile (:func:`toolkit.tax.profile_for`, the rule every pricing function
  follows): the file's profile plus the net gains of ``household.realized`` rows sold in the
  profile's year in taxable accounts, net of the wash-sale loss disallowed by the
  household-wide computation (:func:`~toolkit.tax.wash.wash_sale_result` under the same
  policy). A lot's ``tax_value`` is
  ``-gains_tax(baseline, short_term=-st_loss, long_term=-lt_loss).total`` for that lot alone;
  ``by_symbol`` values each holding's candidate lots together; ``total_tax_value`` values all
  ``"harvest"`` lots together in one computation, which is not the sum of the parts: past the
  $3,000 ($1,500 MFS) net-loss limit the excess carries forward (``carryforward``) and saves
  nothing this year. ``tax_value`` of a lot at wash risk is what it would save if the threat
  is removed; lots at risk are left out of ``total_tax_value``.
- **Replacements** come from the security master: its listed harvest partners first (same
  class and sub-class, different index), then other securities of the same asset class and
  sub-class (not for ``us_sector``, ``balanced`` and ``target_date``, whose members differ in
  what they hold; never 401(k) collective trusts), minus anything substantially identical to
  the symbol under the policy. The replacement chosen for a holding is also not
  substantially identical to any symbol being harvested (buying it would wash that loss).
- ``first_safe_buyback`` is the sale date + 31 days: the first day buying the original back
  cannot wash this loss (the sale date and the 30 days after it are in the window).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.schema import DATE_DTYPE, TaxType, Term
from toolkit.securities import SecurityMaster, load_securities
from toolkit.tax import wash_household as hh
from toolkit.tax.engine import (
    liability_parts,
    profile_for,
    realized_this_year,
    tax_change,
    tax_inputs,
)
from toolkit.tax.gains import GainsTax, gains_tax
from toolkit.tax.harvest_log import LOG_COLUMNS, HarvestLog, read_log
from toolkit.tax.holding import lot_status
from toolkit.tax.wash import SubstantiallyIdentical, wash_sale_result, wash_window
from toolkit.tax.wash_threats import threat_inputs, threats

__all__ = [
    "BY_SYMBOL_COLUMNS",
    "CANDIDATE_COLUMNS",
    "LOG_COLUMNS",
    "STATUSES",
    "HarvestLog",
    "HarvestResult",
    "harvest",
    "read_log",
    "replacement_candidates",
]

#: Status of a candidate lot.
STATUSES = ("harvest", "wash_risk")

#: Columns of :attr:`HarvestResult.candidates`, in order.
CANDIDATE_COLUMNS = (
    "account", "symbol", "lot_id", "acquired", "quantity", "cost_basis", "price",
    "market_value", "loss", "loss_pct", "term", "tax_value", "status", "wash_shares",
    "wash_loss", "threat_account", "threat_date", "permanent", "threats", "replacements",
    "first_safe_buyback",
)

#: Columns of :attr:`HarvestResult.by_symbol`, in order.
BY_SYMBOL_COLUMNS = (
    "account", "symbol", "lots", "quantity", "market_value", "cost_basis", "loss",
    "short_term_loss", "long_term_loss", "tax_value", "status", "wash_shares", "wash_loss",
    "permanent", "threats", "replacement", "first_safe_buyback",
)

#: Sub-classes whose members hold different things (a sector, a glide path, a mix): only the
#: security master's listed partners are offered as replacements there.
_HETEROGENEOUS = ("us_sector", "balanced", "target_date")
#: Vehicles a person cannot buy in a brokerage account.
_NOT_BUYABLE = ("cit",)
_EPS = 1e-9


# --- replacements ----------------------------------------------------------------------------


def replacement_candidates(symbol: str, securities: SecurityMaster | None = None, *,
                           policy: str | SubstantiallyIdentical = "same_security",
                           groups: Iterable[Iterable[str]] | None = None) -> list[str]:
    """Securities to buy after selling ``symbol`` at a loss, best first.

    Parameters
    ----------
    symbol : str
        Ticker or CUSIP sold.
    securities : SecurityMaster, optional
        Default: the bundled master.
    policy : str or SubstantiallyIdentical, default "same_security"
        Which securities are substantially identical (see
        :class:`~toolkit.tax.wash.SubstantiallyIdentical`).
    groups : iterable of iterable of str, optional
        Declared groups of substantially identical symbols, added to the policy's.

    Returns
    -------
    list of str
        The master's listed ``replacements`` of ``symbol`` in its order, then the other
        securities with the same ``asset_class`` and ``sub_class`` (funds tracking another
        index first, then those of the same vehicle, then by expense ratio, then symbol;
        none for the ``us_sector``, ``balanced`` and ``target_date`` sub-classes, and never a
        401(k) collective trust), without ``symbol`` itself and without any security
        substantially identical to it under ``policy`` (under ``same_index`` IVV is not a
        replacement for VOO; under ``same_security`` it is, after the different-index funds).
        Empty when the master does not know ``symbol``.

    Examples
    --------
    >>> replacement_candidates("VTI")[:3]
    ['ITOT', 'SCHB', 'SPTM']
    >>> "IVV" in replacement_candidates("VOO", policy="same_index")
    False
    """
    pol = SubstantiallyIdentical.coerce(policy, groups)
    master = securities if securities is not None else load_securities()
    return _Replacements(master, pol).of(symbol)


class _Replacements:
    """Replacement lists for many symbols: the master's buckets and keys computed once."""

    def __init__(self, master: SecurityMaster, pol: SubstantiallyIdentical,
                 extra: Iterable[str] = ()) -> None:
        self.master = master
        f = master.frame
        self.keys = pol.keys([*f.index, *extra], master).to_dict()
        self.pol = pol
        buyable = f[~f["vehicle"].isin(_NOT_BUYABLE) & f["sub_class"].notna()
                    & ~f["sub_class"].isin(_HETEROGENEOUS)]
        self.buckets = {k: g for k, g in buyable.groupby(["asset_class", "sub_class"])}

    def key(self, symbol: str) -> str:
        k = self.keys.get(symbol)
        if k is None:
            k = self.keys[symbol] = self.pol.keys([symbol], self.master).iloc[0]
        return k

    def of(self, symbol: str) -> list[str]:
        master = self.master
        key = master.resolve(symbol)
        if key is None:
            return []
        row = master.frame.loc[key]
        listed = [s.strip().upper() for s in master.replacements(key)]
        same = self.buckets.get((row["asset_class"], row["sub_class"]))
        others: list[str] = []
        if same is not None:
            sym = same.index.to_numpy(dtype=str)
            order = np.lexsort((sym, same["expense_ratio"].fillna(np.inf).to_numpy(),
                                same["vehicle"].ne(row["vehicle"]).fillna(True).to_numpy(),
                                same["index"].eq(row["index"]).fillna(False).to_numpy()))
            others = sym[order].tolist()
        own = self.key(key)
        return [s for s in dict.fromkeys([*listed, *others])
                if s != key and self.key(s) != own]


# --- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HarvestResult:
    """What :func:`harvest` found.

    Attributes
    ----------
    candidates : DataFrame
        One row per candidate lot, columns :data:`CANDIDATE_COLUMNS`, ordered by account,
        symbol and acquisition: ``quantity`` (shares), ``cost_basis``, ``price``
        (dollars/share), ``market_value``, ``loss`` (positive dollars, to the cent),
        ``loss_pct`` (loss / basis, fraction), ``term`` at the sale date, ``tax_value`` (tax
        this lot's loss saves this year on its own, dollars), ``status`` (:data:`STATUSES`),
        ``wash_shares`` and ``wash_loss`` (shares and dollars the holding's threats would wash,
        0 when none), ``threat_account`` (accounts of the threats, ``"; "``-joined),
        ``threat_date`` (earliest known threat date, NaT when none or unknown),
        ``permanent`` (a threat is in a tax-advantaged account: the washed loss is lost for
        good), ``threats`` (plain text of the holding's first three threats, then "and N
        more"; ``""`` when none; all are in ``wash_threats``), ``replacements``
        (``";"``-joined symbols, best first, ``""`` when none known) and
        ``first_safe_buyback`` (date).
    by_symbol : DataFrame
        One row per account and symbol, columns :data:`BY_SYMBOL_COLUMNS`: totals of its
        candidate lots (``lots`` count, shares, dollars), ``tax_value`` of selling them all
        together, the holding's ``status``, wash figures and threats, and the ``replacement``
        chosen (None when there is none).
    total_tax_value : float
        Tax saved this year by harvesting every ``"harvest"`` lot together, dollars.
    carryforward : dict of str to float
        Capital loss carried to next year that harvesting them creates, dollars:
        ``short_term``, ``long_term`` (after minus before).
    warnings : tuple of str
        What was odd but usable (lots without basis or price, unknown symbols, no
        replacement, wash-sale notes).
    as_of : Timestamp
        The sale date.
    policy : SubstantiallyIdentical
        The substantially-identical policy used.
    realized_short_term, realized_long_term : float
        Net gains of ``household.realized`` added to the profile's as the baseline, dollars.
    tax : GainsTax or None
        The computation behind ``total_tax_value`` (its ``breakdown`` shows every line);
        None when nothing is harvested.
    wash_threats : DataFrame
        The threats found (columns :data:`toolkit.tax.wash.THREAT_COLUMNS`), one planned
        sale per account and symbol.
    """

    candidates: pd.DataFrame
    by_symbol: pd.DataFrame
    total_tax_value: float
    carryforward: dict[str, float]
    warnings: tuple[str, ...]
    as_of: pd.Timestamp
    policy: SubstantiallyIdentical = field(default_factory=SubstantiallyIdentical)
    realized_short_term: float = 0.0
    realized_long_term: float = 0.0
    tax: GainsTax | None = field(default=None, repr=False)
    wash_threats: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def to_harvest(self) -> pd.DataFrame:
        """The candidates with status ``"harvest"``."""
        return self.candidates[self.candidates["status"] == "harvest"].reset_index(drop=True)

    @property
    def loss(self) -> float:
        """Total loss of the ``"harvest"`` lots, dollars."""
        return round(float(self.to_harvest["loss"].sum()), 2)


# --- helpers ---------------------------------------------------------------------------------


def _check_args(min_loss, min_loss_pct, include) -> tuple[str, ...]:
    for name, v in (("min_loss", min_loss), ("min_loss_pct", min_loss_pct)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise PlanningError(f"{name} = {v!r} must be a non-negative number")
    if min_loss_pct >= 1:
        raise PlanningError(f"min_loss_pct = {min_loss_pct!r} is a fraction of the basis "
                            "(0.05 is 5%); it must be below 1")
    inc = (include,) if isinstance(include, str) else tuple(include)
    terms_ok = {t.value for t in Term}
    bad = [t for t in inc if t not in terms_ok]
    if bad or not inc:
        raise PlanningError(f"include = {include!r} must name 'short' and/or 'long'")
    return inc


def _prices(household: Household) -> pd.DataFrame:
    pos = household.positions
    per_share = pos["market_value"] / pos["quantity"].where(pos["quantity"] != 0)
    return pd.DataFrame({"account": pos["account"], "symbol": pos["symbol"],
                         "price": pos["price"].fillna(per_share)})


def _fmt_q(q: float) -> str:
    return f"{q:,.4f}".rstrip("0").rstrip(".")


#: Threats spelled out per holding in the ``threats`` text.
_SHOWN = 3
_TEXT_FIELDS = ("kind", "account", "tax_type", "symbol", "date", "quantity", "dollars",
                "permanent")


def _threat_text(kind, account, tax_type, symbol, date, quantity, dollars, permanent) -> str:
    where = f"{account} ({tax_type})"
    end = "permanent" if permanent else "deferred into its basis"
    if kind == "recent_purchase":
        what = f"bought {_fmt_q(quantity)} {symbol} in {where} on {pd.Timestamp(date).date()}"
    elif kind == "scheduled_contribution":
        about = f"about {_fmt_q(quantity)} " if pd.notna(quantity) else ""
        what = (f"planned contribution to {where} buys {about}{symbol} "
                f"(${dollars:,.2f}), date not given")
    else:
        when = f"expected {pd.Timestamp(date).date()}" if pd.notna(date) else "date unknown"
        about = f", about {_fmt_q(quantity)} shares" if pd.notna(quantity) else ""
        what = f"reinvestment of {symbol} in {where} {when}{about}"
    return f"{what}: {end}"


def _tax_values(inp, st: np.ndarray, lt: np.ndarray) -> np.ndarray:
    """-(gains_tax change) for each (short-term loss, long-term loss) pair, cached."""
    base = liability_parts(inp, 0.0, 0.0)
    cache: dict[tuple[float, float], float] = {}
    out = np.empty(len(st))
    for i, k in enumerate(zip(st.tolist(), lt.tolist(), strict=True)):
        v = cache.get(k)
        if v is None:
            v = cache[k] = -tax_change(inp, -k[0], -k[1], base) + 0.0
        out[i] = v
    return out


# --- harvest ---------------------------------------------------------------------------------


def harvest(household: Household, *, min_loss: float = 500.0, min_loss_pct: float = 0.05,
            policy: str | SubstantiallyIdentical = "same_security",
            groups: Iterable[Iterable[str]] | None = None, as_of=None,
            include: Sequence[str] = ("short", "long")) -> HarvestResult:
    """Taxable lots worth selling at a loss now, their tax value, wash risk and replacements.

    Parameters
    ----------
    household : Household
        Lots (``household.lots``, with the basis and holding period of wash-sale replacement
        shares as adjusted by :func:`~toolkit.tax.wash.wash_sale_result`) in accounts of tax
        type ``taxable``; prices from ``household.positions`` (the account's own price, else
        the symbol's, else market value / quantity); acquisitions, contributions and
        reinvestments for the wash check; the year-to-date profile
        (:func:`toolkit.tax.profile_for`) for the year's baseline (the file's
        ``realized_short_term`` and ``realized_long_term`` are added to the realised rows, so
        they should hold only gains realised outside the loaded exports).
    min_loss : float, default 500.0
        Dollars: the candidate lots of one symbol in one account must lose at least this much
        together (inclusive).
    min_loss_pct : float, default 0.05
        Fraction: each candidate lot must lose at least this share of its cost basis
        (inclusive).
    policy : str or SubstantiallyIdentical, default "same_security"
        Which securities are substantially identical, for the wash check and the replacements
        (see :class:`~toolkit.tax.wash.SubstantiallyIdentical`).
    groups : iterable of iterable of str, optional
        Declared groups; default ``household.settings["substantially_identical"]``.
    as_of : date-like, optional
        The sale date (default ``household.as_of``); terms and the wash window count from it.
        Prices are the household's either way.
    include : sequence of str, default ("short", "long")
        Terms (at the sale date) to consider; lots of other terms do not count toward
        ``min_loss`` either.

    Returns
    -------
    HarvestResult
        ``candidates`` (:data:`CANDIDATE_COLUMNS`), ``by_symbol`` (:data:`BY_SYMBOL_COLUMNS`),
        ``total_tax_value``, ``carryforward``, ``warnings``. Rules and formulas in the module
        docstring. Lots without a cost basis or a price are skipped with a warning; lots in
        accounts the household does not list are skipped (they may not be taxable).

    Raises
    ------
    PlanningError
        If a threshold is negative or not a number, ``min_loss_pct`` is 1 or more, or
        ``include`` names no term.
    TaxTableError
        If there is no tax table for the profile's year or filing status.
    """
    include = _check_args(min_loss, min_loss_pct, include)
    day0 = pd.Timestamp(as_of if as_of is not None else household.as_of).normalize()
    before, after = wash_window()
    pol = SubstantiallyIdentical.coerce(policy, hh.groups_setting(household, groups))
    master = household.securities
    profile = household.profile
    notes: list[str] = []
    if day0.year != profile.year:
        notes.append(f"the sale date {day0.date()} is not in the profile's tax year "
                     f"{profile.year}: losses are valued against {profile.year}")

    # The year's wash sales so far (replacement shares already used, disallowed losses).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = wash_sale_result(household, policy=pol, groups=())
    notes.extend(f"wash sales: {n}" for n in done.warnings)

    # --- taxable loss lots at the thresholds
    types = household.accounts.set_index("account")["tax_type"]
    lots = done.adjusted_lots if done.adjusted_lots is not None else household.lots
    moved = lots["wash_basis_added"].sum() if "wash_basis_added" in lots.columns else 0.0
    if moved > 0.005:
        notes.append(f"${moved:,.2f} of disallowed wash-sale loss the broker did not report is "
                     "in the basis of replacement lots (household-wide computation)")
    tt = lots["account"].map(types)
    if tt.isna().any():
        unknown = sorted(set(lots.loc[tt.isna(), "account"]))
        notes.append(f"lots in account(s) {', '.join(unknown)} not in the household's accounts "
                     "were skipped (their tax type is unknown)")
    lots = lots[tt.eq(TaxType.TAXABLE.value)]
    st = lot_status(lots, _prices(household), day0)
    nobasis = st["cost_basis"].isna()
    noprice = st["price"].isna() & ~nobasis
    if nobasis.any():
        notes.append(f"{int(nobasis.sum())} taxable lot(s) have no cost basis and were skipped: "
                     + ", ".join(sorted(set(st.loc[nobasis, "symbol"]))[:10]))
    if noprice.any():
        notes.append(f"{int(noprice.sum())} taxable lot(s) have no price and were skipped: "
                     + ", ".join(sorted(set(st.loc[noprice, "symbol"]))[:10]))
    st = st[~nobasis & ~noprice & (st["acquired"] <= day0)]
    mv = (st["quantity"] * st["price"]).round(2)
    loss = (st["cost_basis"] - mv).round(2)
    pct = loss / st["cost_basis"].where(st["cost_basis"] > 0)
    ok = (loss > 0) & (pct >= min_loss_pct - _EPS).fillna(False) & st["term"].isin(include)
    group_loss = loss.where(ok, 0.0).groupby([st["account"], st["symbol"]]).transform("sum")
    ok &= group_loss.round(2) >= min_loss - _EPS
    c = st[ok].assign(market_value=mv[ok], loss=loss[ok], loss_pct=pct[ok])
    c = c.sort_values(["account", "symbol", "acquired", "lot_id"], kind="stable",
                      na_position="last").reset_index(drop=True)

    # --- wash threats: one planned sale per account and symbol (all its candidate lots)
    sale_no = c.groupby(["account", "symbol"], sort=False).ngroup()
    plan = pd.DataFrame({"sale": sale_no, "account": c["account"], "symbol": c["symbol"],
                         "quantity": c["quantity"], "acquired": c["acquired"]})
    threats = _threats(household, plan, done, pol, day0, before, after, notes)
    c = _apply_threats(c, sale_no, threats)

    # --- values
    r_st, r_lt, more = realized_this_year(household, policy=pol, wash=done)
    notes.extend(more)
    base = profile_for(household, policy=pol, groups=(), wash=done)  # the year-to-date profile
    inp = tax_inputs(base)
    is_long = c["term"].eq(Term.LONG.value).to_numpy()
    lv = c["loss"].to_numpy()
    c["tax_value"] = _tax_values(inp, np.where(is_long, 0.0, lv), np.where(is_long, lv, 0.0))

    # --- replacements
    finder = _Replacements(master, pol, c["symbol"])
    reps = {s: finder.of(s) for s in dict.fromkeys(c["symbol"])}
    unknown = [s for s in reps if master.resolve(s) is None]
    if unknown:
        notes.append("not in the security master, so no replacement is proposed (add them "
                     "under [securities] with an index and replacements): " + ", ".join(unknown))
    c["replacements"] = c["symbol"].map({s: ";".join(v) for s, v in reps.items()}).astype("str")
    c["first_safe_buyback"] = day0 + pd.Timedelta(days=after + 1)
    c["first_safe_buyback"] = c["first_safe_buyback"].astype(DATE_DTYPE)
    candidates = c[list(CANDIDATE_COLUMNS)].reset_index(drop=True)

    by_symbol = _by_symbol(candidates, inp, reps, finder, notes)

    # --- everything with status "harvest" together
    take = candidates[candidates["status"] == "harvest"]
    st_loss = float(take.loc[take["term"] != Term.LONG.value, "loss"].sum())
    lt_loss = float(take.loc[take["term"] == Term.LONG.value, "loss"].sum())
    tax = None
    total = 0.0
    cf = {"short_term": 0.0, "long_term": 0.0}
    if len(take):
        tax = gains_tax(base, short_term=-round(st_loss, 2), long_term=-round(lt_loss, 2))
        total = -tax.total + 0.0
        cf = {"short_term": round(tax.after.carryforward_short_term
                                  - tax.before.carryforward_short_term, 2) + 0.0,
              "long_term": round(tax.after.carryforward_long_term
                                 - tax.before.carryforward_long_term, 2) + 0.0}
        notes.extend(tax.warnings)
    return HarvestResult(
        candidates=candidates, by_symbol=by_symbol, total_tax_value=total, carryforward=cf,
        warnings=tuple(dict.fromkeys(notes)), as_of=day0, policy=pol,
        realized_short_term=r_st, realized_long_term=r_lt, tax=tax, wash_threats=threats)


def _threats(household, plan, done, pol, day0, before, after, notes) -> pd.DataFrame:
    """Threats to each planned sale (see ``forward_wash_check``), dated within reach."""
    key_of, used = threat_inputs(household, plan, pol, done.rows)
    out, more = threats(household, plan, key_of, used, day0, before, after)
    notes.extend(f"wash check: {n}" for n in more)
    late = out["date"] > day0 + pd.Timedelta(days=after)
    return out[~late.fillna(False)].reset_index(drop=True)


def _apply_threats(c: pd.DataFrame, sale_no: pd.Series, threats: pd.DataFrame) -> pd.DataFrame:
    """Status, wash shares and loss, threat accounts, dates and text per candidate lot."""
    # Threats of one planned sale: sale_account + sale_symbol identify it.
    key = pd.MultiIndex.from_arrays([c["account"], c["symbol"]])
    by = ["sale_account", "sale_symbol"]
    t = threats.assign(_q=threats["quantity"].fillna(np.inf))
    g = t.groupby(by, sort=False)
    shares = g["_q"].sum()
    date = g["date"].min()
    perm = g["permanent"].any()
    accts = t[[*by, "account"]].drop_duplicates()
    acct = accts.groupby(by, sort=False)["account"].agg("; ".join)
    # Text: the first threats of each holding (all of them are in ``wash_threats``).
    shown = g.head(_SHOWN)
    text = pd.Series([_threat_text(*x) for x in zip(
        *(shown[k].to_numpy(dtype=object) for k in _TEXT_FIELDS), strict=True)],
        index=shown.index, dtype="object")
    text = text.groupby([shown[k] for k in by], sort=False).agg("; ".join)
    more = g.size().reindex(text.index) - _SHOWN
    text = text.where(more <= 0, text + "; and " + more.astype(str) + " more")
    per_lot = shares.reindex(key).fillna(0.0).to_numpy() if len(shares) else np.zeros(len(c))
    # Washed shares go to the earliest-acquired lots of the sale (c is sorted that way).
    q = c["quantity"].to_numpy()
    cum_before = c.groupby(sale_no)["quantity"].cumsum().to_numpy() - q
    washed = np.clip(per_lot - cum_before, 0.0, q)
    c = c.assign(
        wash_shares=washed.astype("float64"),
        wash_loss=np.round(washed / np.where(q > 0, q, 1.0) * c["loss"].to_numpy(), 2),
        status=np.where(per_lot > 0, "wash_risk", "harvest"),
        threat_account=acct.reindex(key).to_numpy() if len(acct) else None,
        threat_date=date.reindex(key).to_numpy() if len(date) else pd.NaT,
        permanent=perm.reindex(key).fillna(False).to_numpy().astype(bool) if len(perm)
        else False,
        threats=text.reindex(key).fillna("").to_numpy() if len(text) else "",
    )
    c["status"] = c["status"].astype("str")
    c["threat_account"] = c["threat_account"].astype("str").where(c["threat_account"].notna())
    c["threat_date"] = pd.to_datetime(c["threat_date"]).astype(DATE_DTYPE)
    c["threats"] = c["threats"].astype("str")
    c["permanent"] = c["permanent"].astype("bool")
    return c


def _by_symbol(c: pd.DataFrame, inp, reps: dict[str, list[str]], finder: _Replacements,
               notes: list[str]) -> pd.DataFrame:
    cols = list(BY_SYMBOL_COLUMNS)
    if c.empty:
        return pd.DataFrame({k: pd.Series(dtype="float64") for k in cols}).astype(
            {"account": "str", "symbol": "str", "lots": "int64", "status": "str",
             "permanent": "bool", "threats": "str", "replacement": "object",
             "first_safe_buyback": DATE_DTYPE})
    is_long = c["term"].eq(Term.LONG.value)
    d = c.assign(_st=c["loss"].where(~is_long, 0.0), _lt=c["loss"].where(is_long, 0.0))
    g = d.groupby(["account", "symbol"], sort=False)
    out = pd.DataFrame({
        "lots": g.size(),
        "quantity": g["quantity"].sum(),
        "market_value": g["market_value"].sum().round(2),
        "cost_basis": g["cost_basis"].sum().round(2),
        "loss": g["loss"].sum().round(2),
        "short_term_loss": g["_st"].sum().round(2),
        "long_term_loss": g["_lt"].sum().round(2),
        "status": g["status"].first(),
        "wash_shares": g["wash_shares"].sum(),
        "wash_loss": g["wash_loss"].sum().round(2),
        "permanent": g["permanent"].first(),
        "threats": g["threats"].first(),
        "first_safe_buyback": g["first_safe_buyback"].first(),
    }).reset_index()
    out["tax_value"] = _tax_values(inp, out["short_term_loss"].to_numpy(),
                                   out["long_term_loss"].to_numpy())
    # The replacement: not substantially identical to anything being sold.
    sold_keys = {finder.key(s) for s in dict.fromkeys(c["symbol"])}
    chosen = []
    for sym in out["symbol"]:
        opts = reps.get(sym, [])
        pick = next((s for s in opts if finder.key(s) not in sold_keys), None)
        if pick is None and opts:
            notes.append(f"every replacement for {sym} is substantially identical to another "
                         "symbol being harvested; none chosen")
        chosen.append(pick)
    out["replacement"] = pd.Series(chosen, index=out.index, dtype="object")
    out["lots"] = out["lots"].astype("int64")
    return out[cols]
