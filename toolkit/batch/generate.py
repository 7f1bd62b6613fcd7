"""Realistic books of households, written as the brokers' own export files (seeded).

:func:`generate_book` writes a folder an advisor could have assembled: one sub-folder per
household holding its household TOML and the exports downloaded from each custodian, plus
shared model files under ``models/`` and a manifest CSV (``book.csv``). Each household has
2–9 accounts of mixed tax types at several custodians, 5–60 holdings and 20–2,000 tax lots
(``size="realistic"``), or 2–3 accounts, 5–8 holdings and 20–40 lots (``size="small"``, for
tests). The files follow the layouts the toolkit reads (README, "Formats it reads"):

- Schwab: ``All-Accounts-Positions-…csv`` (April-2026 layout, one block per account, masked
  ``...123`` labels, ``Cash & Cash Investments`` and ``Account Total`` rows) and one
  ``<Name>_XXX123_<SYM>_Lot_Details_…csv`` per taxable holding (banner, trailing commas,
  ``Total`` row).
- Fidelity: ``Portfolio_Positions_Nov-20-2026.csv`` (July-2026 sentence-case header, UTF-8 BOM,
  CRLF, ``SPAXX**`` money market, trailing commas, footer disclaimers); Fidelity gives no lot
  file, so taxable lots come in the toolkit's generic lots template.
- Vanguard: ``OfxDownload.csv`` holdings section (``VMFXX`` settlement fund, every line
  ending in a comma); taxable lots in the generic template, as for Fidelity.
- E*TRADE: ``PortfolioDownload.csv`` per account (account summary, filters, lot rows under
  each symbol in the expanded view, ``CASH`` and ``TOTAL`` rows, ``Generated at`` footer).

Broken households on request (``broken=``): ``"malformed"`` (an export cut off inside its
header, which the loader rejects naming the file), ``"targets"`` (the household's own
targets sum to 0.95) and ``"infeasible"`` (a withdrawal larger than the account holds: the
optimal planner refuses it with :class:`~toolkit.errors.PlanningError`).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tomli_w

__all__ = ["BROKEN_KINDS", "MODELS", "SIZES", "GeneratedBook", "generate_book"]

AS_OF = (2026, 11, 20)
SIZES = ("small", "realistic")
BROKEN_KINDS = ("malformed", "targets", "infeasible")

#: The shared models written under ``models/`` (targets as fractions; settings as in a
#: household file).
MODELS: dict[str, dict] = {
    "growth": {"targets": {"us_equity": 0.6, "intl_equity": 0.25, "bonds": 0.1, "reits": 0.05},
               "settings": {"cash_floor": 500}},
    "balanced": {"targets": {"us_equity": 0.4, "intl_equity": 0.2, "bonds": 0.35,
                             "reits": 0.05},
                 "settings": {"cash_floor": 1000}},
    "conservative": {"targets": {"us_equity": 0.25, "intl_equity": 0.1, "bonds": 0.6,
                                 "reits": 0.05},
                     "settings": {"cash_floor": 2000}},
}

# Funds by asset class with a price, dollars per share (all in the bundled security master).
_FUNDS: dict[str, list[tuple[str, str, float]]] = {
    "us_equity": [("VTI", "VANGUARD TOTAL STOCK MARKET ETF", 330.00),
                  ("ITOT", "ISHARES CORE S&P TOTAL US STOCK MKT ETF", 141.20),
                  ("SCHB", "SCHWAB US BROAD MARKET ETF", 25.40),
                  ("IVV", "ISHARES CORE S&P 500 ETF", 655.10),
                  ("IJH", "ISHARES CORE S&P MID-CAP ETF", 66.30),
                  ("IJR", "ISHARES CORE S&P SMALL-CAP ETF", 119.80),
                  ("SCHA", "SCHWAB US SMALL CAP ETF", 27.00),
                  ("DGRO", "ISHARES CORE DIVIDEND GROWTH ETF", 68.90),
                  ("FXAIX", "FIDELITY 500 INDEX FUND", 232.10),
                  ("FSKAX", "FIDELITY TOTAL MARKET INDEX FUND", 171.40),
                  ("IWM", "ISHARES RUSSELL 2000 ETF", 238.50),
                  ("IWB", "ISHARES RUSSELL 1000 ETF", 356.20),
                  ("QQQ", "INVESCO QQQ TRUST", 598.40),
                  ("RSP", "INVESCO S&P 500 EQUAL WEIGHT ETF", 187.30),
                  ("MDY", "SPDR S&P MIDCAP 400 ETF TRUST", 583.10),
                  ("DIA", "SPDR DOW JONES INDUSTRIAL AVERAGE ETF", 462.80),
                  ("HDV", "ISHARES CORE HIGH DIVIDEND ETF", 121.60),
                  ("IVW", "ISHARES S&P 500 GROWTH ETF", 112.90),
                  ("IVE", "ISHARES S&P 500 VALUE ETF", 204.70)],
    "intl_equity": [("VXUS", "VANGUARD TOTAL INTL STOCK ETF", 72.00),
                    ("IXUS", "ISHARES CORE MSCI TOTAL INTL STK ETF", 81.60),
                    ("VEA", "VANGUARD FTSE DEVELOPED MARKETS ETF", 58.90),
                    ("VWO", "VANGUARD FTSE EMERGING MARKETS ETF", 51.30),
                    ("SCHF", "SCHWAB INTERNATIONAL EQUITY ETF", 22.40),
                    ("IEFA", "ISHARES CORE MSCI EAFE ETF", 86.70),
                    ("FTIHX", "FIDELITY TOTAL INTERNATIONAL INDEX FUND", 15.90),
                    ("EFA", "ISHARES MSCI EAFE ETF", 92.40),
                    ("EEM", "ISHARES MSCI EMERGING MARKETS ETF", 49.80),
                    ("IEMG", "ISHARES CORE MSCI EMERGING MARKETS ETF", 63.10),
                    ("SPDW", "SPDR PORTFOLIO DEVELOPED WORLD EX-US ETF", 41.20),
                    ("SCHE", "SCHWAB EMERGING MARKETS EQUITY ETF", 30.60),
                    ("VEU", "VANGUARD FTSE ALL-WORLD EX-US ETF", 70.90)],
    "bonds": [("BND", "VANGUARD TOTAL BOND MARKET ETF", 73.50),
              ("AGG", "ISHARES CORE US AGGREGATE BOND ETF", 99.80),
              ("SCHZ", "SCHWAB US AGGREGATE BOND ETF", 23.40),
              ("BNDX", "VANGUARD TOTAL INTERNATIONAL BOND ETF", 49.50),
              ("VGIT", "VANGUARD INTERMEDIATE-TERM TREASURY ETF", 59.70),
              ("TIP", "ISHARES TIPS BOND ETF", 110.20),
              ("FXNAX", "FIDELITY U.S. BOND INDEX FUND", 10.42),
              ("SCHP", "SCHWAB US TIPS ETF", 26.80),
              ("VCIT", "VANGUARD INTERMEDIATE-TERM CORPORATE BOND ETF", 82.90),
              ("VCSH", "VANGUARD SHORT-TERM CORPORATE BOND ETF", 79.10),
              ("LQD", "ISHARES IBOXX $ INVESTMENT GRADE CORPORATE BOND ETF", 109.60),
              ("IEF", "ISHARES 7-10 YEAR TREASURY BOND ETF", 95.70),
              ("SHY", "ISHARES 1-3 YEAR TREASURY BOND ETF", 82.60),
              ("GOVT", "ISHARES US TREASURY BOND ETF", 23.10),
              ("IUSB", "ISHARES CORE TOTAL USD BOND MARKET ETF", 46.50)],
    "reits": [("VNQ", "VANGUARD REAL ESTATE ETF", 92.00),
              ("SCHH", "SCHWAB US REIT ETF", 21.70),
              ("USRT", "ISHARES CORE US REIT ETF", 57.40),
              ("VNQI", "VANGUARD GLOBAL EX-US REAL ESTATE ETF", 44.30),
              ("RWR", "SPDR DOW JONES REIT ETF", 96.80),
              ("XLRE", "REAL ESTATE SELECT SECTOR SPDR FUND", 41.90),
              ("FREL", "FIDELITY MSCI REAL ESTATE INDEX ETF", 27.60)],
}
_CLASS_MIX = {"us_equity": 0.45, "intl_equity": 0.2, "bonds": 0.28, "reits": 0.07}
_CUSTODIANS = ("schwab", "fidelity", "vanguard", "etrade")
_TAX_TYPES = ("taxable", "taxable", "traditional_ira", "roth_ira", "401k", "hsa", "roth_ira",
              "traditional_ira", "taxable")
# the broker's name for each type, per custodian (what the export writes)
_SCHWAB_NAME = {"taxable": "Individual", "traditional_ira": "Contributory IRA",
                "roth_ira": "Roth Contributory IRA", "401k": "Company Retirement Account",
                "hsa": "Health Savings Account"}
_FIDELITY_NAME = {"taxable": "INDIVIDUAL", "traditional_ira": "ROLLOVER IRA",
                  "roth_ira": "ROTH IRA", "401k": "ACME CORP 401(K) PLAN",
                  "hsa": "HEALTH SAVINGS ACCOUNT"}
_ETRADE_NAME = {"taxable": "Individual Brokerage", "traditional_ira": "Rollover IRA",
                "roth_ira": "Roth IRA", "401k": "Individual 401(k)",
                "hsa": "Health Savings Account"}
_CASH = {"schwab": None, "fidelity": ("SPAXX**", "HELD IN MONEY MARKET"),
         "vanguard": ("VMFXX", "Vanguard Federal Money Market Fund"), "etrade": None}


@dataclass
class _Lot:
    acquired: tuple[int, int, int]  # (year, month, day)
    quantity: float
    basis: float


@dataclass
class _Holding:
    symbol: str
    description: str
    price: float
    quantity: float
    basis: float
    lots: list[_Lot] = field(default_factory=list)

    @property
    def value(self) -> float:
        return round(self.quantity * self.price, 2)


@dataclass
class _Account:
    id: str
    custodian: str
    tax_type: str
    owner: str
    holdings: list[_Holding]
    cash: float


@dataclass(frozen=True)
class GeneratedBook:
    """What :func:`generate_book` wrote.

    Attributes
    ----------
    path : Path
        The book folder (household sub-folders, ``models/``, ``book.csv``).
    manifest : Path
        The manifest CSV: ``file`` (household file, relative to the book), ``model``,
        ``advisor``, ``tags``.
    households : tuple of str
        Household keys, as :func:`toolkit.batch.load_book` names them (``hh0000/household``).
    broken : dict
        Household key -> kind of breakage (one of :data:`BROKEN_KINDS`).
    lots : dict
        Household key -> number of tax lots written.
    """

    path: Path
    manifest: Path
    households: tuple[str, ...]
    broken: dict[str, str]
    lots: dict[str, int]


# --- formatting helpers (the brokers' own number forms) ---------------------------------------


def _money(x: float, *, plus: bool = False) -> str:
    sign = "-" if x < 0 else ("+" if plus and x > 0 else "")
    return f"{sign}${abs(x):,.2f}"


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _qty(x: float) -> str:
    return f"{x:,.3f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x):,}"


def _quoted(cells: Sequence[str]) -> str:
    return ",".join(f'"{c}"' for c in cells)


def _mdy(d: tuple[int, int, int]) -> str:
    return f"{d[1]:02d}/{d[2]:02d}/{d[0]}"


def _iso(d: tuple[int, int, int]) -> str:
    return f"{d[0]}-{d[1]:02d}-{d[2]:02d}"


def _long_term(d: tuple[int, int, int]) -> bool:
    # held more than one year on 2026-11-20: acquired on or before 2025-11-19
    return d <= (AS_OF[0] - 1, AS_OF[1], AS_OF[2] - 1)


# --- the household's contents -----------------------------------------------------------------


def _shape(rng: np.random.Generator, size: str) -> tuple[int, int, int]:
    """Accounts, holdings and lots of one household."""
    if size == "small":
        return int(rng.integers(2, 4)), int(rng.integers(5, 9)), int(rng.integers(20, 41))
    n_acct = int(rng.integers(2, 10))
    n_hold = int(rng.integers(max(5, n_acct), 61))
    n_lots = int(np.exp(rng.uniform(np.log(20), np.log(2000))))
    return n_acct, n_hold, n_lots


def _account_ids(rng: np.random.Generator, n: int, custodians: list[str]) -> list[str]:
    """Account numbers whose last four digits differ (masked forms stay unambiguous)."""
    tails = rng.choice(np.arange(100, 1000), size=n, replace=False)
    ids = []
    for tail, cust in zip(tails, custodians, strict=True):
        head = int(rng.integers(1000, 9999))
        digit = int(rng.integers(1, 9))
        if cust == "fidelity":
            ids.append(f"Z{head:04d}{digit}{tail:03d}")
        else:
            ids.append(f"{head:04d}{digit}{tail:03d}")
    return ids


def _random_date(rng: np.random.Generator) -> tuple[int, int, int]:
    y = int(rng.integers(2010, 2027))
    m = int(rng.integers(1, 13 if y < 2026 else 11))
    return (y, m, int(rng.integers(1, 29)))


def _accounts(rng: np.random.Generator, size: str, owners: list[str],
              targets: Mapping[str, float]) -> list[_Account]:
    """Accounts and holdings near ``targets``: some households inside their bands, some not."""
    n_acct, n_hold, n_lots = _shape(rng, size)
    types = ["taxable"] + [str(t) for t in rng.choice(_TAX_TYPES, size=n_acct - 1)]
    custodians = [str(c) for c in rng.choice(_CUSTODIANS, size=n_acct)]
    # employer plans and HSAs sit at Fidelity (NetBenefits)
    custodians = ["fidelity" if t in ("401k", "hsa") else c
                  for t, c in zip(types, custodians, strict=True)]
    ids = _account_ids(rng, n_acct, custodians)
    # holdings spread over the accounts (each account at least one), classes drawn by target
    per = np.ones(n_acct, dtype=int) + rng.multinomial(n_hold - n_acct, np.ones(n_acct) / n_acct)
    per = np.minimum(per, sum(len(_FUNDS[c]) for c in _FUNDS if targets.get(c, 0) > 0))
    classes = [c for c in _CLASS_MIX if targets.get(c, 0) > 0]
    p = np.array([targets[c] for c in classes])
    picks: list[list[tuple[str, str, str, float]]] = []
    for i in range(n_acct):
        chosen: set[str] = set()
        acct = []
        for _ in range(int(per[i])):
            cls = classes[int(rng.choice(len(classes), p=p / p.sum()))]
            funds = [f for f in _FUNDS[cls] if f[0] not in chosen]
            if not funds:
                cls = next(c for c in classes if any(f[0] not in chosen for f in _FUNDS[c]))
                funds = [f for f in _FUNDS[cls] if f[0] not in chosen]
            sym, desc, price = funds[int(rng.integers(0, len(funds)))]
            chosen.add(sym)
            acct.append((cls, sym, desc, price))
        picks.append(acct)
    # dollars per class: the target, off by a household-specific amount
    value = float(np.exp(rng.uniform(np.log(150_000), np.log(3_000_000))))
    spread = float(rng.uniform(0.03, 0.4))
    held = [c for c in classes if any(x[0] == c for acct in picks for x in acct)]
    w = np.array([targets[c] for c in held]) * np.exp(rng.normal(0.0, spread, len(held)))
    class_value = dict(zip(held, w / w.sum() * value * 0.98, strict=True))
    taxable = [i for i, t in enumerate(types) if t == "taxable"]
    taxable_holdings = int(sum(per[i] for i in taxable))
    lots_per_holding = max(n_lots, taxable_holdings) / max(taxable_holdings, 1)
    n_in_class = {c: sum(x[0] == c for acct in picks for x in acct) for c in held}
    split = {c: list(rng.dirichlet(np.ones(n) * 1.5)) for c, n in n_in_class.items()}
    out: list[_Account] = []
    for i, (t, cust, acct_id) in enumerate(zip(types, custodians, ids, strict=True)):
        holdings = []
        for cls, sym, desc, price in picks[i]:
            dollars = class_value[cls] * float(split[cls].pop())
            qty = max(1.0, round(dollars / price, 3))
            holdings.append(_Holding(sym, desc, price, qty, 0.0))
        if t == "taxable":
            for h in holdings:
                h.lots = _lots(rng, h, max(1, round(lots_per_holding)))
                h.basis = round(sum(lot.basis for lot in h.lots), 2)
        else:
            for h in holdings:
                h.basis = round(h.value * float(rng.uniform(0.6, 1.2)), 2)
        acct_value = sum(h.value for h in holdings)
        cash = round(acct_value * float(rng.uniform(0.001, 0.02)), 2) + 10.0
        owner = owners[0] if t == "taxable" or len(owners) == 1 else owners[i % len(owners)]
        out.append(_Account(acct_id, cust, t, owner, holdings, cash))
    return out


def _lots(rng: np.random.Generator, h: _Holding, n: int) -> list[_Lot]:
    """Split a holding into ``n`` lots (whole shares where it can), bases around the price."""
    n = int(min(n, max(1, int(h.quantity))))
    cuts = np.sort(rng.choice(np.arange(1, int(h.quantity)), size=n - 1, replace=False)) \
        if n > 1 else np.array([], dtype=int)
    edges = np.concatenate([[0], cuts, [int(h.quantity)]]).astype(float)
    sizes = np.diff(edges)
    sizes[-1] += round(h.quantity - int(h.quantity), 3)  # the fractional part on the last lot
    lots = []
    for q in sizes:
        date = _random_date(rng)
        cps = h.price * float(rng.uniform(0.55, 1.3))
        lots.append(_Lot(date, round(float(q), 3), round(float(q) * cps, 2)))
    lots.sort(key=lambda lot: lot.acquired)
    return lots


# --- writers: one per broker layout -----------------------------------------------------------

_SCHWAB_HEADER = ["Symbol", "Description", "Price", "Qty (Quantity)",
                  "Price Chng $ (Price Change $)", "Price Chng % (Price Change %)",
                  "Mkt Val (Market Value)", "Day Chng $ (Day Change $)",
                  "Day Chng % (Day Change %)", "Cost Basis", "Gain $ (Gain/Loss $)",
                  "Gain % (Gain/Loss %)", "Ratings", "Reinvest?", "Reinvest Capital Gains?",
                  "% of Acct (% of Account)", "Asset Type"]
_LOT_HEADER = ("Open Date", "Transaction Open", "Quantity", "Price", "Cost/Share",
               "Transaction CPS", "Market Value", "Cost Basis", "Transaction CB", "Gain/Loss $",
               "Transaction G/L $", "Gain/Loss %", "Transaction G/L %", "Holding Period",
               "Disallowed Loss")


def _schwab_label(a: _Account) -> str:
    return f"{_SCHWAB_NAME[a.tax_type]} ...{a.id[-3:]}"


def _schwab_positions(accounts: list[_Account]) -> str:
    n = len(_SCHWAB_HEADER)
    lines = [_quoted(["Positions for All-Accounts as of 10:15 AM ET, 2026/11/20"] + [""] * (n - 1)),
             _quoted([""] * n)]
    for a in accounts:
        total = sum(h.value for h in a.holdings) + a.cash
        basis = sum(h.basis for h in a.holdings)
        lines += [_quoted([_schwab_label(a)] + [""] * (n - 1)), _quoted(_SCHWAB_HEADER)]
        for h in a.holdings:
            lines.append(_quoted([h.symbol, h.description, _money(h.price), _qty(h.quantity),
                                  "$0.00", "0.00%", _money(h.value), "$0.00", "0.00%",
                                  _money(h.basis), _money(h.value - h.basis, plus=True),
                                  _pct((h.value - h.basis) / h.basis), "--", "No", "No",
                                  _pct(h.value / total), "ETFs & Closed End Funds"]))
        lines.append(_quoted(["Cash & Cash Investments", "--", "--", "--", "--", "--",
                              _money(a.cash), "$0.00", "0%", "--", "--", "--", "--", "--", "--",
                              _pct(a.cash / total), "Cash and Money Market"]))
        lines.append(_quoted(["Account Total", "--", "--", "--", "--", "--", _money(total),
                              "$0.00", "0%", _money(basis),
                              _money(total - a.cash - basis, plus=True), "--", "--", "--", "--",
                              "--", "--"]))
        lines += [_quoted([""] * n), _quoted([""] * n)]
    return "\n".join(lines) + "\n"


def _schwab_lot_details(a: _Account, h: _Holding) -> str:
    lines = [f'"{h.symbol} Lot Details for ...{a.id[-3:]} as of 10:15 AM ET, {_mdy(AS_OF)}"', "",
             _quoted(_LOT_HEADER) + ","]
    for lot in h.lots:
        mv = round(lot.quantity * h.price, 2)
        lines.append(_quoted([f"{_mdy(lot.acquired)} 00:00:00", "--", _qty(lot.quantity),
                              _money(h.price), _money(lot.basis / lot.quantity), "--",
                              _money(mv), _money(lot.basis), "--", _money(mv - lot.basis), "--",
                              _pct((mv - lot.basis) / lot.basis), "--",
                              "Long Term" if _long_term(lot.acquired) else "Short Term",
                              "--"]) + ",")
    lines.append(_quoted(["Total", "--", _qty(h.quantity), "--", "--", "--", _money(h.value),
                          _money(h.basis), "--", _money(h.value - h.basis), "--", "--", "--",
                          "--", "--"]) + ",")
    return "\n".join(lines) + "\n"


_FID_HEADER = ("Account number,Account name,Symbol,Description,Quantity,Last price,"
               "Last price change,Current value,Today's gain/loss dollar,"
               "Today's gain/loss percent,Total gain/loss dollar,Total gain/loss percent,"
               "Percent of account,Cost basis total,Average cost basis,Type")


def _fidelity_positions(accounts: list[_Account]) -> str:
    lines = [_FID_HEADER]
    for a in accounts:
        total = sum(h.value for h in a.holdings) + a.cash
        name = _FIDELITY_NAME[a.tax_type]
        typ = "" if a.tax_type == "401k" else "Cash"
        if a.tax_type != "401k":
            sym, desc = _CASH["fidelity"]
            cells = [a.id, name, sym, desc, "", "", "", _money(a.cash), "", "", "", "",
                     _pct(a.cash / total), "", "", "Cash"]
            lines.append(",".join(f'"{c}"' if "," in c else c for c in cells) + ",")
        for h in a.holdings:
            cells = [a.id, name, h.symbol, h.description, _qty(h.quantity), _money(h.price),
                     "+$0.00", _money(h.value), "+$0.00", "+0.00%",
                     _money(h.value - h.basis, plus=True),
                     f"{(h.value - h.basis) / h.basis * 100:+.2f}%", _pct(h.value / total),
                     _money(h.basis), _money(h.basis / h.quantity), typ]
            lines.append(",".join(f'"{c}"' if "," in c else c for c in cells) + ",")
    lines += ["",
              '"The data and information in this spreadsheet is provided to you solely for your '
              'use and is not for distribution. The spreadsheet is provided for informational '
              'purposes only."',
              '"Brokerage services are provided by Fidelity Brokerage Services LLC (FBS), 900 '
              'Salem Street, Smithfield, RI 02917. Custody and other services provided by '
              'National Financial Services LLC (NFS), Member NYSE, SIPC."',
              "",
              '"Date downloaded Nov-20-2026 at 10:02 a.m ET"']
    return "\r\n".join(lines) + "\r\n"


def _fidelity_cash_401k(accounts: list[_Account]) -> None:
    """A 401(k) at Fidelity shows no money-market row: its cash goes into the first fund."""
    for a in accounts:
        if a.tax_type == "401k" and a.cash:
            h = a.holdings[0]
            extra = round(a.cash / h.price, 3)
            h.quantity = round(h.quantity + extra, 3)
            h.basis = round(h.basis + a.cash, 2)
            a.cash = 0.0


def _vanguard_ofx(accounts: list[_Account]) -> str:
    lines = ["Account Number,Investment Name,Symbol,Shares,Share Price,Total Value,"]
    for k, a in enumerate(accounts):
        if k:
            lines.append("")
        for h in a.holdings:
            lines.append(f"{a.id},{h.description},{h.symbol},{h.quantity:.3f},{h.price:.2f},"
                         f"{h.value:.2f},")
        sym_desc = _CASH["vanguard"]
        lines.append(f"{a.id},{sym_desc[1]},{sym_desc[0]},{a.cash:.2f},1.0,{a.cash:.2f},")
    return "\n".join(lines) + "\n\n\n"


def _etrade_portfolio(a: _Account) -> str:
    total = sum(h.value for h in a.holdings) + a.cash
    basis = sum(h.basis for h in a.holdings)
    gain = total - a.cash - basis
    label = f'"{_ETRADE_NAME[a.tax_type]} -{a.id[-4:]}"'
    lines = ["Account Summary,,,,,,,,,",
             "Account,Net Account Value,Total Gain $,Total Gain %,Day's Gain Unrealized $,"
             "Day's Gain Unrealized %,Available For Withdrawal,Cash Purchasing Power",
             f"{label},{total:.2f},{gain:.2f},{gain / basis * 100:.2f},0.00,0.00,{a.cash:.2f},"
             f"{a.cash:.2f}",
             "", "",
             "View Summary - All Positions,,,,,,,,,",
             "Filters applied: ,,,,,,,,,",
             "Symbol,Security type(s),Sort by,Sort order,,,,,,",
             ",All,Symbol,Asc,,,,,,",
             "",
             "Symbol,Last Price $,Change $,Change %,Quantity,Price Paid $,Day's Gain $,"
             "Total Gain $,Total Gain %,Value $"]
    for h in sorted(a.holdings, key=lambda x: x.symbol):
        g = h.value - h.basis
        lines.append(f"{h.symbol},{h.price:.2f},0.00,.00,{h.quantity:.4f},"
                     f"{h.basis / h.quantity:.4f},.0000,{g:.4f},{g / h.basis * 100:.4f},"
                     f"{h.value:.4f}")
        for lot in h.lots:
            mv = round(lot.quantity * h.price, 2)
            lg = mv - lot.basis
            lines.append(f"     {_mdy(lot.acquired)},{h.price:.2f},0.00,.00,{lot.quantity:.4f},"
                         f"{lot.basis / lot.quantity:.4f},.0000,{lg:.4f},"
                         f"{lg / lot.basis * 100:.4f},{mv:.4f}")
    lines += [f"CASH,,,,,,,,,{a.cash:.2f}",
              f"TOTAL,,,,,{basis:.2f},0.00,{gain:.2f},{gain / basis * 100:.2f},{total:.2f}",
              ",,,,,,,,,", "", "", "Generated at Nov 20 2026 10:15 AM ET"]
    return "\n".join(lines) + "\n"


def _generic_lots(accounts: list[_Account]) -> str:
    out = io.StringIO()
    out.write("# toolkit generic lots template v1: open tax lots the custodian gives no file "
              "for (from its cost-basis pages)\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["account", "symbol", "quantity", "cost_basis", "cost_per_share", "acquired",
                "term", "wash_sale_disallowed", "lot_id", "description"])
    for a in accounts:
        for h in a.holdings:
            for k, lot in enumerate(h.lots):
                w.writerow([a.id, h.symbol, _qty(lot.quantity).replace(",", ""),
                            f"{lot.basis:.2f}", "",
                            _iso(lot.acquired), "", "", f"{a.id[-3:]}-{h.symbol}-{k + 1}",
                            h.description])
    return out.getvalue()


def _write(path: Path, text: str, *, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def _exports(folder: Path, accounts: list[_Account]) -> list[str]:
    """Write every custodian's files for one household; return their paths (relative)."""
    files: list[str] = []
    by = {c: [a for a in accounts if a.custodian == c] for c in _CUSTODIANS}
    if by["schwab"]:
        name = "schwab/All-Accounts-Positions-2026-11-20-101500.csv"
        _write(folder / name, _schwab_positions(by["schwab"]))
        files.append(name)
        for a in by["schwab"]:
            if a.tax_type != "taxable":
                continue
            nick = _SCHWAB_NAME[a.tax_type].replace(" ", "_")
            for h in a.holdings:
                name = (f"schwab/{nick}_XXX{a.id[-3:]}_{h.symbol}_Lot_Details_"
                        f"20261120-101500.csv")
                _write(folder / name, _schwab_lot_details(a, h))
                files.append(name)
    if by["fidelity"]:
        _fidelity_cash_401k(by["fidelity"])
        name = "fidelity/Portfolio_Positions_Nov-20-2026.csv"
        _write(folder / name, _fidelity_positions(by["fidelity"]), bom=True)
        files.append(name)
    if by["vanguard"]:
        name = "vanguard/OfxDownload.csv"
        _write(folder / name, _vanguard_ofx(by["vanguard"]))
        files.append(name)
    for a in by["etrade"]:
        name = f"etrade/PortfolioDownload_{a.id[-4:]}.csv"
        _write(folder / name, _etrade_portfolio(a))
        files.append(name)
    generic = [a for c in ("fidelity", "vanguard") for a in by[c] if a.tax_type == "taxable"]
    if generic:
        name = "lots/lots_fidelity_vanguard.csv"
        _write(folder / name, _generic_lots(generic))
        files.append(name)
    return files


# --- the household file -----------------------------------------------------------------------

_FIRST = ("Maya", "Alex", "Jordan", "Sam", "Priya", "Chen", "Luis", "Ana", "Omar", "Grace",
          "Noah", "Ines", "Ravi", "Keiko", "Tom", "Lena")
_LAST = ("Rivera", "Okafor", "Nguyen", "Schmidt", "Patel", "Kowalski", "Haddad", "Moreau",
         "Silva", "Brennan", "Ito", "Larsen")
_STATUSES = ("married_filing_jointly", "single", "married_filing_jointly", "head_of_household")


def _own_targets(rng: np.random.Generator) -> dict[str, float]:
    """A household's own target (whole percents summing to 1)."""
    pct = np.round(rng.dirichlet(np.array([9.0, 4.0, 6.0, 1.5])) * 100).astype(int)
    pct = np.maximum(pct, 2)
    pct[0] += 100 - int(pct.sum())
    return {c: int(v) / 100 for c, v in zip(_CLASS_MIX, pct, strict=True)}


def _household_toml(rng: np.random.Generator, name: str, owners: list[str],
                    accounts: list[_Account], files: list[str], model: str | None,
                    own_targets: Mapping[str, float] | None, kind: str | None) -> dict:
    status = "married_filing_jointly" if len(owners) > 1 else str(
        rng.choice([s for s in _STATUSES if s != "married_filing_jointly"]))
    h: dict = {"name": name, "tax_year": AS_OF[0], "filing_status": status,
               "ordinary_income": int(rng.integers(40, 600)) * 1000,
               "state_rate": float(rng.choice([0.0, 0.03, 0.05, 0.0575, 0.093])),
               "carryforward_short_term": 0, "carryforward_long_term": 0}
    if model is not None:
        h["model"] = f"../models/{model}.toml"
    if all(a.custodian == "vanguard" for a in accounts):
        # OfxDownload.csv and the lots template carry no date: the file says the valuation date
        h["as_of"] = datetime.date(*AS_OF)
    data: dict = {"household": h}
    if own_targets is not None:
        tg = dict(own_targets)
        if kind == "targets":
            tg["bonds"] = round(tg["bonds"] - 0.05, 2)  # sums to 0.95
        data["targets"] = tg
    elif rng.random() < 0.3:
        data["settings"] = {"cash_floor": 250}  # overrides the model's cash floor
    born = [int(rng.integers(1940, 1990)) for _ in owners]
    data["people"] = [{"name": o, "birth_year": b} for o, b in zip(owners, born, strict=True)]
    data["accounts"] = [{"id": a.id, "type": a.tax_type, "owner": a.owner,
                         "name": f"{a.owner} {a.tax_type.replace('_', ' ')} "
                                 f"({a.custodian})",
                         "custodian": a.custodian} for a in accounts]
    data["files"] = [{"path": f} for f in files]
    if kind == "infeasible":
        a = accounts[0]
        value = sum(h.value for h in a.holdings) + a.cash
        data["contributions"] = {a.id: -round(value * 3, 2)}
    return data


def _break_file(folder: Path, files: list[str]) -> None:
    """Cut the first export off inside its header, as an interrupted download leaves it."""
    p = folder / files[0]
    raw = p.read_bytes()
    p.write_bytes(raw[:40])


def generate_book(folder: str | Path, households: int = 50, *, seed: int = 0,
                  size: str = "realistic", broken: Mapping[str, int] | None = None,
                  models: bool = True) -> GeneratedBook:
    """Write a book of generated households in the brokers' layouts (deterministic per seed).

    Parameters
    ----------
    folder : str or Path
        Where to write (created if missing). Each household goes to ``hhNNNN/`` with its
        ``household.toml``; the models go to ``models/``; the manifest to ``book.csv``.
    households : int, default 50
    seed : int, default 0
        The same seed writes the same bytes.
    size : {"realistic", "small"}
        ``"realistic"``: 2–9 accounts, 5–60 holdings, 20–2,000 lots (log-uniform);
        ``"small"``: 2–3 accounts, 5–8 holdings, 20–40 lots.
    broken : mapping, optional
        Kind (:data:`BROKEN_KINDS`) -> how many households to break that way; the last
        households of the book are broken, in that order.
    models : bool, default True
        About two households in three name a shared model (``model = "../models/….toml"``)
        instead of their own ``[targets]``; with False every household has its own targets.

    Returns
    -------
    GeneratedBook

    Raises
    ------
    ValueError
        On an unknown size or kind, or more broken households than households.
    """
    if size not in SIZES:
        raise ValueError(f"size={size!r}: expected one of {', '.join(SIZES)}")
    broken = dict(broken or {})
    bad = set(broken) - set(BROKEN_KINDS)
    if bad:
        raise ValueError(f"broken: unknown kind(s) {sorted(bad)}; known: "
                         f"{', '.join(BROKEN_KINDS)}")
    kinds = [k for k in BROKEN_KINDS for _ in range(int(broken.get(k, 0)))]
    if len(kinds) > households:
        raise ValueError(f"{len(kinds)} broken households asked for in a book of {households}")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for name, content in MODELS.items():
        _write(root / "models" / f"{name}.toml", tomli_w.dumps(content))
    rng = np.random.default_rng(seed)
    advisors = ("Avery Chen", "Blake Osei", "Casey Moreno")
    keys, broken_out, lots = [], {}, {}
    rows = []
    first_broken = households - len(kinds)
    for i in range(households):
        kind = kinds[i - first_broken] if i >= first_broken else None
        hh_rng = np.random.default_rng([seed, i])
        last = str(hh_rng.choice(_LAST))
        n_owners = 2 if hh_rng.random() < 0.6 else 1
        owners = [str(x) for x in hh_rng.choice(_FIRST, size=n_owners, replace=False)]
        model = (str(hh_rng.choice(list(MODELS))) if models and hh_rng.random() < 0.67
                 else None)
        if kind == "targets":
            model = None  # its own targets, which do not sum to 1
        own = _own_targets(hh_rng) if model is None else None
        accounts = _accounts(hh_rng, size, owners, own or MODELS[str(model)]["targets"])
        folder_i = root / f"hh{i:04d}"
        files = _exports(folder_i, accounts)
        data = _household_toml(hh_rng, f"{last} household #{i}", owners, accounts, files,
                               model, own, kind)
        if kind == "malformed":
            _break_file(folder_i, files)
        _write(folder_i / "household.toml", tomli_w.dumps(data))
        key = f"hh{i:04d}/household"
        keys.append(key)
        lots[key] = sum(len(h.lots) for a in accounts for h in a.holdings)
        if kind:
            broken_out[key] = kind
        tags = ";".join(t for t, on in (("rmd-age", min(p["birth_year"] for p in data["people"])
                                         <= AS_OF[0] - 73),
                                        ("multi-custodian", len({a.custodian for a in accounts})
                                         > 1)) if on)
        rows.append([f"hh{i:04d}/household.toml", "", advisors[int(rng.integers(0, 3))], tags])
    manifest = root / "book.csv"
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["file", "model", "advisor", "tags"])
    w.writerows(rows)
    _write(manifest, out.getvalue())
    return GeneratedBook(root, manifest, tuple(keys), broken_out, lots)
