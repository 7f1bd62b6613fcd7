"""The household checkup: a tidy list of what needs attention, most urgent first.

:func:`checkup` runs the core over a household and returns one row per finding, in plain
language with the numbers behind it. Kinds (severity in brackets):

``outside_band`` [action]
    A class outside its tolerance band (:func:`toolkit.allocation.drift`); ``value`` is the
    dollars beyond the nearer edge. Cash and unclassified holdings have their own kinds.
``rebalanced_in_isolation`` [warning]
    An account whose own mix is within ``account_tolerance`` of the target in every class
    while the household is outside its band: rebalancing account by account does not fix
    the household.
``every_account_on_target`` [warning; info when location would save nothing]
    Every account holds the target mix: the household is on target, but no account
    specialises, so tax-inefficient classes sit in taxable accounts; ``value`` is the yearly
    drag the best placement would save (:func:`toolkit.location.location_report`).
``household_on_target`` [info]
    The household is within its band for every class although some accounts are not: fine,
    the target applies to the household.
``tax_inefficient_in_taxable`` [warning]
    A holding in a taxable account that the placement playbook puts in a tax-advantaged one
    (:data:`toolkit.location.PLAYBOOK`); ``value`` is its yearly tax drag.
``tax_exempt_in_shelter`` [info]
    Municipal bonds in a tax-advantaged account (the exemption is wasted); ``value`` is the
    holding's value.
``turns_long_term_soon`` [warning for gains, info for losses]
    A taxable lot turning long-term within ``soon_days``. For a gain, ``value`` is the extra
    tax of selling it short-term now rather than long-term then (two
    :func:`toolkit.tax.gains_tax` computations); for a loss, how much more the loss is worth
    this year harvested short-term.
``wash_sale_disallowed`` [action]
    A loss sold this tax year that the household-wide wash-sale rule disallows beyond what the
    broker reported (purchases in other accounts, IRAs included); ``value`` the dollars to
    report with code W on Form 8949.
``wash_sale_window`` [warning]
    A loss realised in the last 30 days: buying a substantially identical security in any
    account until the window closes would wash it; ``value`` is the loss still allowed.
``wash_sale_recent_purchase`` [warning]
    A purchase in the last 30 days (any account) that would wash a loss harvested today from
    a taxable holding; ``value`` is the loss at risk.
``wash_sale_future_purchase`` [info]
    A scheduled contribution or an expected dividend reinvestment that would wash such a
    harvest.
``idle_cash`` [action]
    Cash (sweep and money-market funds) above the account's planned cash floor by more than
    the larger of ``IdleCash.fraction`` of the account and ``IdleCash.dollars`` (default the
    larger of 2% and $1,000); ``value`` is the cash above the floor.
``unclassified`` [action]
    A holding the security master does not know: it is outside every class, the drift and
    the location; ``value`` its market value.
``unreconciled`` [action]
    A holding whose positions, lots and history disagree (:func:`toolkit.reconcile`: the
    household's stored reconciliation); ``value`` its market value.
``tax_figures_unavailable`` [info]
    The tax-dependent findings were skipped (no tax table for the profile's year).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.allocation import Band, drift, exposures
from toolkit.errors import TaxTableError
from toolkit.history import reconcile
from toolkit.household import Household
from toolkit.location import location_report
from toolkit.schema import UNCLASSIFIED, TaxType
from toolkit.tax import wash_household as hh
from toolkit.tax.engine import liability_parts, profile_for, tax_change, tax_inputs
from toolkit.tax.holding import lot_status
from toolkit.tax.wash import SubstantiallyIdentical, wash_sale_result, wash_window
from toolkit.tax.wash_threats import threat_inputs, threats

__all__ = ["COLUMNS", "SEVERITIES", "IdleCash", "checkup"]

#: Severities, most urgent first.
SEVERITIES: tuple[str, ...] = ("action", "warning", "info")
#: Columns of the checkup frame.
COLUMNS: tuple[str, ...] = ("severity", "kind", "account", "symbol", "asset_class", "message",
                            "evidence", "value")

_CLASS_LABELS = {
    "us_equity": "US stocks", "intl_equity": "International stocks", "bonds": "Bonds",
    "muni_bonds": "Municipal bonds", "reits": "REITs", "cash": "Cash",
    "other": "Other assets", UNCLASSIFIED: "Unclassified holdings",
    "multi_asset": "Balanced funds",
}
_CLASS_NOUNS = {
    "us_equity": "US stocks", "intl_equity": "international stocks", "bonds": "bonds",
    "muni_bonds": "municipal bonds", "reits": "REITs", "cash": "cash",
    "other": "other assets", UNCLASSIFIED: "unclassified holdings",
    "multi_asset": "balanced funds",
}
_TREATMENT_WORDS = {"taxable": "taxable", "tax_deferred": "tax-deferred",
                    "tax_free": "tax-free (Roth, HSA)"}
_PLAN_THREATS = {"scheduled_contribution", "expected_reinvestment"}


@dataclass(frozen=True)
class IdleCash:
    """When an account's cash counts as idle.

    Parameters
    ----------
    fraction : float, default 0.02
        Cash above the floor by more than this fraction of the account's value ...
    dollars : float, default 1000.0
        ... and by more than this many dollars is idle (the larger threshold applies).
    floors : mapping or float, optional
        Planned cash floor per account id (dollars), or one floor for every account.
        Default: the household file's ``[settings] cash_floor`` (a number or a table of
        account id -> dollars), else 0.
    """

    fraction: float = 0.02
    dollars: float = 1_000.0
    floors: Mapping[str, float] | float | None = None

    def floor(self, household: Household, account: str) -> float:
        """The planned cash floor of ``account`` in dollars."""
        f = self.floors if self.floors is not None else household.settings.get("cash_floor")
        if f is None:
            return 0.0
        if isinstance(f, Mapping):
            return float(f.get(account, 0.0))
        return float(f)


def checkup(household: Household, *, band: Band | None = None, soon_days: int = 30,
            idle_cash: IdleCash | None = None, account_tolerance: float = 0.02,
            rates: Mapping[str, float] | None = None, policy: str = "same_security",
            reconciliation: pd.DataFrame | None = None) -> pd.DataFrame:
    """Everything in the household that needs attention, one finding per row.

    Parameters
    ----------
    household : Household
        Tax figures are priced on its year-to-date profile (:func:`toolkit.tax.profile_for`).
    band : Band, optional
        Tolerance band for the drift (default the 5/25 rule).
    soon_days : int, default 30
        Lots turning long-term within this many days are listed.
    idle_cash : IdleCash, optional
        Idle-cash thresholds (default: more than the larger of 2% of the account and $1,000
        above the planned cash floor).
    account_tolerance : float, default 0.02
        An account is "on target" when each class of its invested (non-cash, classified)
        dollars is within this many percentage points (as a fraction) of the target.
    rates : mapping, optional
        Marginal rates for the tax drag (see :func:`toolkit.location.tax_drag`).
    policy : str, default "same_security"
        Substantially-identical policy for the wash-sale findings.
    reconciliation : DataFrame, optional
        A :func:`toolkit.reconcile` report (``account``, ``symbol``, ``status``, ``detail``,
        ``trusted``); default: ``toolkit.reconcile(household)`` (the reconciliation the
        household carries from its history replay).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: ``severity`` (``action``, ``warning``, ``info``), ``kind``
        (see the module docstring), ``account``, ``symbol``, ``asset_class`` (missing where
        the finding is about the household), ``message`` (plain language), ``evidence`` (the
        numbers, as text) and ``value`` (dollars, as each kind defines; NaN where no dollar
        figure applies). Ordered by severity, then ``value`` (largest first, NaN last).
        ``attrs["notes"]`` lists what was skipped or could not be used (the wash-sale
        engine's warnings included).
    """
    band = band or Band()
    idle_cash = idle_cash or IdleCash()
    notes: list[str] = []
    found: list[dict] = []
    ctx = _Context(household)
    ctx.ex = exposures(household)
    d = drift(household, band=band, values=ctx.ex)
    found += _band_findings(ctx, d, band)
    try:
        rep = location_report(household, rates=rates, max_swaps=0, values=ctx.ex)
    except TaxTableError as exc:
        rep = None
        found.append(_row("info", "tax_figures_unavailable", None, None, None,
                          f"Tax figures were skipped: {exc}", "", np.nan))
    found += _isolation_findings(ctx, d, account_tolerance, rep)
    if rep is not None:
        found += _location_findings(ctx, rep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wash = wash_sale_result(household, policy=policy)
    notes.extend(f"wash sales: {w}" for w in wash.warnings)
    if rep is not None:
        found += _long_term_findings(ctx, wash.adjusted_lots, soon_days)
    found += _wash_findings(ctx, wash)
    found += _forward_wash_findings(ctx, wash, policy)
    found += _idle_cash_findings(ctx, idle_cash)
    found += _unclassified_findings(ctx)
    found += _unreconciled_findings(ctx, reconciliation)
    out = pd.DataFrame(found, columns=list(COLUMNS))
    out = out.astype({c: "str" for c in COLUMNS if c != "value"}).astype({"value": "float64"})
    out["value"] = out["value"].round(2) + 0.0
    for c in ("account", "symbol", "asset_class"):
        out[c] = out[c].where(out[c].notna() & out[c].ne("None"))
    sev = out["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    out = out.assign(_sev=sev, _val=-out["value"].fillna(-np.inf)).sort_values(
        ["_sev", "_val"], kind="stable").drop(columns=["_sev", "_val"]).reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


# --- formatting --------------------------------------------------------------------------------


def _usd(x: float) -> str:
    x = float(x)
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def _pct(x: float, digits: int = 1) -> str:
    return f"{x * 100:.{digits}f}%"


def _rate(x: float) -> str:
    s = f"{x * 100:.2f}".rstrip("0").rstrip(".")
    return f"{s}%"


def _shares(q: float) -> str:
    return f"{q:g} share" if q == 1 else f"{q:g} shares"


def _date(d) -> str:
    return str(pd.Timestamp(d).date())


def _class(c: str) -> str:
    return _CLASS_LABELS.get(c, c)


def _row(severity, kind, account, symbol, asset_class, message, evidence, value) -> dict:
    return {"severity": severity, "kind": kind, "account": account, "symbol": symbol,
            "asset_class": asset_class, "message": message, "evidence": evidence,
            "value": float(value) if value is not None and pd.notna(value) else np.nan}


class _Context:
    def __init__(self, household: Household) -> None:
        self.h = household
        acc = household.accounts
        self.names = dict(zip(acc["account"], acc["name"], strict=True))
        self.types = dict(zip(acc["account"], acc["tax_type"], strict=True))
        self.ex: pd.DataFrame | None = None

    def label(self, account: str) -> str:
        name = self.names.get(account)
        if isinstance(name, str) and name and name != account:
            return f"{name} ({account})"
        return str(account)

    def asset_class(self, account: str, symbol: str) -> str | None:
        """The asset class of a holding (its position's, else the security master's)."""
        if not hasattr(self, "_classes"):
            pos = self.h.positions.drop_duplicates(["account", "symbol"])
            self._classes = dict(zip(zip(pos["account"], pos["symbol"], strict=True),
                                     pos["asset_class"], strict=True))
        hit = self._classes.get((account, symbol))
        if hit is None:
            hit = str(self.h.securities.classify(pd.Series([symbol])).iloc[0])
        return hit

    def taxable(self, account: str) -> bool:
        t = self.types.get(account)
        return t is not None and not TaxType(t).tax_advantaged

    def prices(self) -> pd.DataFrame:
        pos = self.h.positions
        price = pos["price"].where(pos["price"].notna(),
                                   pos["market_value"] / pos["quantity"].where(
                                       pos["quantity"] != 0))
        return pd.DataFrame({"account": pos["account"], "symbol": pos["symbol"],
                             "price": price})


# --- allocation --------------------------------------------------------------------------------


def _band_findings(ctx: _Context, d: pd.DataFrame, band: Band) -> list[dict]:
    total = float(d["market_value"].sum())
    rows = []
    for cls, r in d.iterrows():
        if not r["outside"] or cls in ("cash", UNCLASSIFIED):
            continue
        above = r["current"] > r["upper"]
        act = "sell" if r["dollars_to_target"] < 0 else "buy"
        if r["target"] == 0:
            msg = (f"{_class(cls)} are {_pct(r['current'])} of the household with a 0% "
                   f"target: {_usd(r['dollars_outside'])} held outside the target.")
        else:
            msg = (f"{_class(cls)} are {_pct(r['current'])} of the household, "
                   f"{'above' if above else 'below'} the band of {_pct(r['lower'])} to "
                   f"{_pct(r['upper'])} around the {_pct(r['target'])} target: "
                   f"{_usd(r['dollars_outside'])} beyond the {'upper' if above else 'lower'} "
                   "edge.")
        ev = (f"{_usd(r['market_value'])} of {_usd(total)}; target {_pct(r['target'])} "
              f"({_usd(r['target'] * total)}); band {band.label()}; {act} "
              f"{_usd(abs(r['dollars_to_target']))} to reach the target")
        rows.append(_row("action", "outside_band", None, None, cls, msg, ev,
                         r["dollars_outside"]))
    return rows


def _account_mix(ctx: _Context) -> tuple[pd.DataFrame, pd.Series]:
    ex = ctx.ex
    inv = ex[~ex["asset_class"].isin(["cash", UNCLASSIFIED])]
    mix = inv.pivot_table(index="account", columns="asset_class", values="market_value",
                          aggfunc="sum", fill_value=0.0, sort=False)
    totals = mix.sum(axis=1)
    mix = mix[totals > 0].div(totals[totals > 0], axis=0)
    tgt = ctx.h.targets
    classes = list(dict.fromkeys([*tgt.index, *mix.columns]))
    mix = mix.reindex(columns=classes, fill_value=0.0)
    return mix, tgt.reindex(classes, fill_value=0.0)


def _isolation_findings(ctx: _Context, d: pd.DataFrame, tol: float, rep) -> list[dict]:
    mix, tgt = _account_mix(ctx)
    if mix.empty:
        return []
    gap = (mix - tgt).abs()
    worst = gap.max(axis=1)
    on = worst <= tol + 1e-12
    off_classes = [c for c, r in d.iterrows() if r["outside"] and c not in ("cash",
                                                                            UNCLASSIFIED)]

    def mix_text(acct: str) -> str:
        return "; ".join(f"{c} {_pct(mix.loc[acct, c])} (target {_pct(tgt[c])})"
                         for c in mix.columns if mix.loc[acct, c] > 0 or tgt[c] > 0)

    rows = []
    if len(mix) >= 2 and on.all():
        saving = rep.saving if rep is not None else np.nan
        sev = "warning" if pd.notna(saving) and saving > 0.005 else "info"
        msg = ("Every account holds the target mix. The target applies to the household, so "
               "accounts can specialise: holding bonds and REITs in tax-advantaged accounts "
               "and stocks in taxable ones")
        msg += (f" would save about {_usd(saving)} a year in tax (see the location report)."
                if sev == "warning" else " would save nothing here.")
        ev = "; ".join(f"{a}: {mix_text(a)}" for a in mix.index)
        rows.append(_row(sev, "every_account_on_target", None, None, None, msg, ev, saving))
    elif off_classes:
        hh = "; ".join(f"household {c} {_pct(d.loc[c, 'current'])} (band "
                       f"{_pct(d.loc[c, 'lower'])} to {_pct(d.loc[c, 'upper'])})"
                       for c in off_classes)
        for acct in mix.index[on]:
            msg = (f"{ctx.label(acct)} holds the target mix by itself (every class within "
                   f"{tol * 100:g} pp of target), but the household is outside its band for "
                   f"{', '.join(_CLASS_NOUNS.get(c, c) for c in off_classes)}: rebalancing "
                   "each account to the target "
                   "separately does not fix the household; rebalance across accounts.")
            rows.append(_row("warning", "rebalanced_in_isolation", acct, None, None, msg,
                             f"{mix_text(acct)}; {hh}", np.nan))
    elif len(mix) >= 2 and not on.all():
        far = [a for a in mix.index if not on[a]]
        ev = "; ".join(f"{a}: {c} {_pct(mix.loc[a, c])} vs target {_pct(tgt[c])}"
                       for a in far for c in [gap.loc[a].idxmax()])
        msg = (f"The household is within its band for every class although "
               f"{len(far)} account(s) are not on target individually "
               f"({', '.join(ctx.label(a) for a in far)}): that is fine. The target applies "
               "to the household, and accounts that specialise are how asset location "
               "saves tax.")
        rows.append(_row("info", "household_on_target", None, None, None, msg, ev, np.nan))
    return rows


# --- location ----------------------------------------------------------------------------------


def _location_findings(ctx: _Context, rep) -> list[dict]:
    drag = rep.drag.set_index(["account", "symbol"])
    drag = drag[~drag.index.duplicated()]
    r = rep.rates
    rows = []
    for f in rep.flags.itertuples(index=False):
        pos = drag.loc[(f.account, f.symbol)]
        noun = _CLASS_NOUNS.get(f.asset_class, f.asset_class)
        what = f"{f.symbol} ({_usd(f.market_value)} of {noun})"
        w = f.market_value / pos["market_value"] if pos["market_value"] else 1.0
        if f.treatment == "taxable":
            prefer = _TREATMENT_WORDS.get(f.prefer.split(", ")[0], f.prefer)
            msg = (f"{what} sits in {ctx.label(f.account)}, a taxable account: {f.reason}. "
                   f"Estimated tax drag {_usd(f.drag)} a year; the playbook places it in "
                   f"{prefer} accounts first.")
            ev = (f"{_usd(pos['distributions'] * w)} of distributions a year "
                  f"({_rate(pos['yield'])} yield), {_rate(pos['qualified_fraction'])} "
                  f"qualified, taxed at {_rate(pos['tax_rate'])} on average (ordinary "
                  f"{_rate(r['ordinary'])}, qualified {_rate(r['qualified'])})")
            if pos["foreign_tax_credit"]:
                ev += f", less a foreign tax credit of {_usd(pos['foreign_tax_credit'] * w)}"
            ev += f" = {_usd(f.drag)} a year"
            rows.append(_row("warning", "tax_inefficient_in_taxable", f.account, f.symbol,
                             f.asset_class, msg, ev, f.drag))
        else:
            msg = (f"{what} sits in {ctx.label(f.account)}, a "
                   f"{_TREATMENT_WORDS.get(f.treatment, f.treatment)} account: {f.reason}.")
            ev = f"playbook rule {f.rule}: prefer {f.prefer}; source {f.source}"
            rows.append(_row("info", "tax_exempt_in_shelter", f.account, f.symbol,
                             f.asset_class, msg, ev, f.market_value))
    return rows


# --- lots and wash sales -----------------------------------------------------------------------


def _long_term_findings(ctx: _Context, lots: pd.DataFrame | None, soon_days: int
                        ) -> list[dict]:
    h = ctx.h
    lots = h.lots if lots is None else lots
    lots = lots[lots["account"].map(ctx.taxable).fillna(False).astype(bool)]
    if lots.empty:
        return []
    st = lot_status(lots, ctx.prices(), h.as_of, soon_days=soon_days)
    soon = st[st["turns_long_soon"] & st["unrealized_gain"].notna()]
    if soon.empty:
        return []
    inp = tax_inputs(profile_for(h))  # the year-to-date profile, as every pricing function
    base = liability_parts(inp, 0.0, 0.0)
    rows = []
    for r in soon.itertuples(index=False):
        g = float(r.unrealized_gain)
        now = tax_change(inp, g, 0.0, base=base)
        later = tax_change(inp, 0.0, g, base=base)
        ltd, days = _date(r.long_term_date), int(r.days_to_long_term)
        who = (f"{_shares(r.quantity)} of {r.symbol} bought {_date(r.acquired)} in "
               f"{ctx.label(r.account)} turn{'s' if r.quantity == 1 else ''} long-term on {ltd} "
               f"(in {days} days)")
        cls = ctx.asset_class(r.account, r.symbol)
        ev = (f"lot bought {_date(r.acquired)}: {r.quantity:g} shares x {_usd(r.price)} = "
              f"{_usd(r.market_value)}"
              f", basis {_usd(r.cost_basis)}, holding period from {_date(r.holding_start)}; "
              f"tax of selling now (short-term) {_usd(now)}, on or after {ltd} (long-term) "
              f"{_usd(later)}")
        if g > 0:
            stake = round(now - later, 2) + 0.0
            if stake > 0.005:
                msg = (f"{who}. Do not sell before then: the {_usd(g)} gain would be "
                       f"short-term, {_usd(stake)} more tax than selling on or after {ltd}.")
                sev = "warning"
            else:
                msg = (f"{who} with a {_usd(g)} gain: under this year's profile the term "
                       "makes no difference to its tax.")
                sev = "info"
            rows.append(_row(sev, "turns_long_term_soon", r.account, r.symbol, cls, msg, ev,
                             stake))
        else:
            stake = round(later - now, 2) + 0.0
            tail = (f"harvested before then the loss stays short-term, worth {_usd(stake)} "
                    "more this year than a long-term loss." if stake > 0.005 else
                    "under this year's profile the term makes no difference to the tax it "
                    "saves.")
            msg = f"{who} at a {_usd(-g)} loss: {tail}"
            rows.append(_row("info", "turns_long_term_soon", r.account, r.symbol, cls, msg,
                             ev, stake))
    return rows


def _wash_findings(ctx: _Context, wash) -> list[dict]:
    h = ctx.h
    _, after = wash_window()
    day0 = pd.Timestamp(h.as_of)
    w = wash.rows
    if w.empty:
        return []
    keys = ["account", "symbol", "sale_date"]
    agg = w.groupby(keys, sort=True).agg(loss=("loss", "sum"), dis=("disallowed", "sum"),
                                         allowed=("allowed", "sum"))
    rz = h.realized
    broker = rz.groupby(["account", "symbol", "sold"])["wash_sale_disallowed"].sum(
        min_count=1).fillna(0.0)
    agg["broker"] = broker.reindex(agg.index).fillna(0.0).to_numpy()
    sold = agg.index.get_level_values("sale_date")
    end = sold + pd.Timedelta(days=after)
    agg["disallow"] = (sold.year == h.profile.year) & (agg["dis"] - agg["broker"] > 0.005)
    agg["window"] = (sold <= day0) & (day0 <= end) & (agg["allowed"] > 0.005)
    agg = agg[agg["disallow"] | agg["window"]]
    if agg.empty:
        return []
    m = w[w["replacement_id"].notna() & (w["disallowed"] > 0)]
    flagged = set(agg.index[agg["disallow"]])
    matched: dict[tuple, list[tuple]] = {}
    for k, q, s_, a, d, p, x in zip(zip(m["account"], m["symbol"], m["sale_date"],
                                        strict=True),
                                    m["replacement_quantity"], m["replacement_symbol"],
                                    m["replacement_account"], m["replacement_date"],
                                    m["permanent"], m["disallowed"], strict=True):
        if k in flagged:
            matched.setdefault(k, []).append((q, s_, a, d, bool(p), float(x)))
    rows = []
    for (acct, sym, sold), loss, dis, allowed, brk, disallow, window in zip(
            agg.index, agg["loss"], agg["dis"], agg["allowed"], agg["broker"],
            agg["disallow"], agg["window"], strict=True):
        where, cls = ctx.label(acct), ctx.asset_class(acct, sym)
        if disallow:
            g = matched.get((acct, sym, sold), [])
            parts = [f"{q:g} shares of {s_} bought in {ctx.label(a)} on {_date(d)}"
                     + (" (tax-advantaged: lost for good)" if p else "")
                     for q, s_, a, d, p, _ in g]
            perm = sum(x for *_, p, x in g if p)
            how = (" for good (Rev. Rul. 2008-5: a purchase in an IRA or Roth IRA adds "
                   "nothing to any basis)" if perm >= dis - 0.005 else
                   ", to be added to the replacement shares' basis")
            reported = (f"the broker reports {_usd(brk)}" if brk > 0 else
                        "the broker does not report it")
            msg = (f"The {_usd(loss)} loss on {sym} sold {_date(sold)} in {where} is a wash "
                   f"sale: {_usd(dis)} of it is disallowed{how}; {reported}. Report "
                   f"{_usd(dis - brk)} more as disallowed on Form 8949 with code W.")
            rows.append(_row("action", "wash_sale_disallowed", acct, sym, cls, msg,
                             "replaced by " + "; ".join(parts), dis - brk))
        if window:
            close = pd.Timestamp(sold) + pd.Timedelta(days=after)
            msg = (f"{sym} was sold at a {_usd(loss)} loss on {_date(sold)} in {where}. "
                   f"Buying {sym} or a substantially identical security in any household "
                   "account (IRAs, Roth IRAs, HSAs and a spouse's accounts included) through "
                   f"{_date(close)} would wash it; the first safe day is "
                   f"{_date(close + pd.Timedelta(days=1))}.")
            ev = (f"loss {_usd(loss)}, already disallowed {_usd(dis)}, still allowed "
                  f"{_usd(allowed)}; window {_date(sold - pd.Timedelta(days=after))} to "
                  f"{_date(close)}")
            rows.append(_row("warning", "wash_sale_window", acct, sym, cls, msg, ev, allowed))
    return rows


def _forward_wash_findings(ctx: _Context, wash, policy: str) -> list[dict]:
    """What would wash a loss harvested today from each taxable holding, one row per holding.

    One planned sale per holding with a loss lot (all its loss lots), checked with the
    household-wide threat search behind :func:`toolkit.tax.forward_wash_check` (purchases
    within 30 days in any account, planned contributions, expected reinvestments), reusing
    the wash-sale result already computed.
    """
    h = ctx.h
    lots = h.lots[h.lots["account"].map(ctx.taxable).fillna(False).astype(bool)]
    if lots.empty:
        return []
    st = lot_status(lots, ctx.prices(), h.as_of)
    losing = st[st["unrealized_gain"] < 0]
    if losing.empty:
        return []
    day0 = pd.Timestamp(h.as_of)
    before, after = wash_window()
    hold = losing.groupby(["account", "symbol"], sort=True).agg(
        loss=("unrealized_gain", "sum"), shares=("quantity", "sum")).reset_index()
    hold["loss"] = -hold["loss"]
    hold["sale"] = np.arange(len(hold))
    plan = losing[["account", "symbol", "quantity", "acquired"]].merge(
        hold[["account", "symbol", "sale"]], on=["account", "symbol"])
    pol = SubstantiallyIdentical.coerce(policy, hh.groups_setting(h, None))
    key_of, used = threat_inputs(h, plan, pol, wash.rows)
    t, _ = threats(h, plan, key_of, used, day0, before, after)
    if t.empty:
        return []
    hold = {(a, s): (float(lo), float(sh)) for a, s, lo, sh in
            zip(hold["account"], hold["symbol"], hold["loss"], hold["shares"], strict=True)}
    t = t.assign(text=_threat_text(t), recent=t["kind"].eq("recent_purchase"))
    by: dict[tuple, list[dict]] = {}
    for rec in t.to_dict("records"):
        by.setdefault((rec["sale_account"], rec["sale_symbol"], rec["recent"]), []).append(rec)
    rows = []
    for (acct, sym, recent) in sorted(by, key=lambda k: (k[0], k[1], not k[2])):
        part = by[(acct, sym, recent)]
        loss, shares = hold[(acct, sym)]
        where, cls = ctx.label(acct), ctx.asset_class(acct, sym)
        at_risk = loss * min(1.0, sum(float(p["quantity"]) for p in part) / shares)
        perm = [bool(p["permanent"]) for p in part]
        perm_txt = (" for good (a tax-advantaged account)" if all(perm) else
                    " (for good where the purchase is in a tax-advantaged account)"
                    if any(perm) else "")
        ev = (f"{_shares(shares)} of {sym} held at a loss of {_usd(loss)}; "
              + "; ".join(p["text"] for p in part))
        if recent:
            items = [f"{_shares(p['quantity'])} of {p['symbol']} "
                     + ("were bought in " if k == 0 else "in ")
                     + f"{ctx.label(p['account'])} on {_date(p['date'])}"
                     for k, p in enumerate(part[:3])]
            more = f" and {len(part) - 3} more purchase(s)" if len(part) > 3 else ""
            safe = _date(max(p["safe_sell_date"] for p in part))
            msg = (f"Selling {sym} at a loss in {where} today would be a wash sale: "
                   f"{' and '.join(items)}{more}, which would wash it{perm_txt}. "
                   f"Harvest it from {safe}.")
            rows.append(_row("warning", "wash_sale_recent_purchase", acct, sym, cls, msg, ev,
                             at_risk))
        else:
            what = " and ".join(
                f"the planned contribution to {ctx.label(p['account'])} buys {p['symbol']}"
                if p["kind"] == "scheduled_contribution" else
                f"{p['symbol']} dividends are reinvested in {ctx.label(p['account'])}"
                for p in part)
            one = len(part) == 1
            msg = (f"A loss harvested on {sym} in {where} could be washed: {what}, "
                   f"{'a purchase' if one else 'purchases'} that would wash it{perm_txt}. "
                   f"Pause or redirect {'that purchase' if one else 'them'} from 30 days "
                   "before the sale until 30 days after it.")
            rows.append(_row("info", "wash_sale_future_purchase", acct, sym, cls, msg, ev,
                             at_risk))
    return rows


def _threat_text(t: pd.DataFrame) -> list[str]:
    out = []
    for kind, q, sym, acct, d, dollars, note in zip(
            t["kind"], t["quantity"], t["symbol"], t["account"], t["date"], t["dollars"],
            t["note"], strict=True):
        cost = f" ({_usd(dollars)})" if pd.notna(dollars) else ""
        if kind == "recent_purchase":
            out.append(f"{str(note).split(' ')[0]} of {q:g} {sym} in {acct} on "
                       f"{_date(d)}{cost}")
        else:
            out.append(f"{kind.replace('_', ' ')} of {q:g} {sym} in {acct}{cost}: {note}")
    return out


# --- cash, data quality ----------------------------------------------------------------------


def _idle_cash_findings(ctx: _Context, rule: IdleCash) -> list[dict]:
    pos = ctx.h.positions
    value = pos.groupby("account")["market_value"].sum()
    cash = pos[pos["asset_class"] == "cash"].groupby("account")["market_value"].sum()
    rows = []
    for acct, c in cash.items():
        floor = rule.floor(ctx.h, acct)
        over = float(c) - floor
        threshold = max(rule.fraction * float(value[acct]), rule.dollars)
        if over <= threshold:
            continue
        msg = (f"{ctx.label(acct)} holds {_usd(c)} in cash, {_usd(over)} above its planned "
               f"cash floor of {_usd(floor)}: invest it or move it where it is needed.")
        ev = (f"cash {_usd(c)} of {_usd(value[acct])} ({_pct(c / value[acct])}); idle when "
              f"more than the larger of {_pct(rule.fraction)} of the account "
              f"({_usd(rule.fraction * value[acct])}) and {_usd(rule.dollars)} above the floor")
        rows.append(_row("action", "idle_cash", acct, None, "cash", msg, ev, over))
    return rows


def _unclassified_findings(ctx: _Context) -> list[dict]:
    rows = []
    for r in ctx.h.unclassified.itertuples(index=False):
        desc = f" ({r.description})" if isinstance(r.description, str) else ""
        msg = (f"{r.symbol}{desc} in {ctx.label(r.account)} is not in the security master: "
               f"its {_usd(r.market_value)} is outside every asset class, the drift and the "
               f"location report. Add it under [securities.{r.symbol}] in the household file.")
        ev = f"{r.quantity:g} shares x {_usd(r.price)} = {_usd(r.market_value)}" \
            if pd.notna(r.quantity) and pd.notna(r.price) else f"{_usd(r.market_value)}"
        rows.append(_row("action", "unclassified", r.account, r.symbol, UNCLASSIFIED, msg,
                         ev, r.market_value))
    return rows


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float | int | np.floating) else str(v)


def _unreconciled_findings(ctx: _Context, report: pd.DataFrame | None) -> list[dict]:
    if report is None:
        report = reconcile(ctx.h)
    bad = report[~report["trusted"].astype(bool)]
    pos = ctx.h.positions.groupby(["account", "symbol"])["market_value"].sum()
    classes = ctx.h.positions.drop_duplicates(["account", "symbol"]).set_index(
        ["account", "symbol"])["asset_class"]
    rows = []
    for r in bad.itertuples(index=False):
        k = (r.account, r.symbol)
        mv = float(pos.get(k, np.nan))
        detail = getattr(r, "detail", None)
        detail = detail if isinstance(detail, str) and detail else str(r.status)
        msg = (f"{r.symbol} in {ctx.label(r.account)} is not reconciled "
               f"({str(r.status).replace('_', ' ')}): {detail} Fix the positions, lots or "
               "history before planning sales of it.")
        ev = "; ".join(f"{c} {_fmt(getattr(r, c))}" for c in
                       ("position_quantity", "lots_quantity", "history_quantity",
                        "position_basis", "lots_basis", "lots_source")
                       if hasattr(r, c) and pd.notna(getattr(r, c)))
        rows.append(_row("action", "unreconciled", r.account, r.symbol, classes.get(k),
                         msg, ev or f"status {r.status}", mv))
    return rows
