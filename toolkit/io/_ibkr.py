"""Pieces the Interactive Brokers loaders share: security types, terms, account names, the
currency rule and the cash-transaction vocabulary (FORMATS.md section 4)."""

from __future__ import annotations

import re

import pandas as pd

from toolkit.schema import Action

CUSTODIAN = "ibkr"
CASH_SYMBOL = "CASH"

#: IBKR asset categories (Flex codes and Activity Statement words) -> the toolkit's security type.
SECURITY_TYPES = {
    "stk": "stock", "stocks": "stock",
    "opt": "option", "fop": "option", "equity and index options": "option",
    "options on futures": "option",
    "fut": "future", "futures": "future",
    "bond": "bond", "bonds": "bond",
    "bill": "treasury", "treasury bills": "treasury",
    "war": "warrant", "warrants": "warrant",
    "cfd": "cfd", "cfds": "cfd",
    "fund": "fund", "mutual funds": "fund",
    "cash": "forex", "forex": "forex",
}

_A = Action
#: Flex ``CashTransaction@type`` (and Transaction History ``Transaction Type``), case-folded.
#: ``None`` means "contribution or withdrawal by the sign of the amount".
CASH_ACTIONS: dict[str, Action | None] = {
    "dividends": _A.DIVIDEND, "dividend": _A.DIVIDEND,
    "payment in lieu of dividends": _A.DIVIDEND, "payment in lieu": _A.DIVIDEND,
    "withholding tax": _A.TAX_WITHHELD, "871(m) withholding": _A.TAX_WITHHELD,
    "foreign tax withholding": _A.TAX_WITHHELD,
    "broker interest received": _A.INTEREST, "bond interest received": _A.INTEREST,
    "bond interest paid": _A.INTEREST, "credit interest": _A.INTEREST,
    "bond interest": _A.INTEREST,
    # interest IBKR charges is an expense, as Schwab's "Margin Interest" is
    "broker interest paid": _A.FEE, "debit interest": _A.FEE,
    "other fees": _A.FEE, "other fee": _A.FEE, "commission adjustments": _A.FEE,
    "commission adjustment": _A.FEE, "advisor fees": _A.FEE, "broker fees": _A.FEE,
    "client fees": _A.FEE,
    "deposits/withdrawals": None, "deposits & withdrawals": None,
    "deposit": _A.CONTRIBUTION, "withdrawal": _A.WITHDRAWAL,
    "price adjustments": _A.OTHER, "adjustment": _A.OTHER,
    "forex trade component": _A.OTHER,  # a currency conversion's cash leg
}
_CAPITAL_GAIN = re.compile(r"capital gain", re.I)
_DESCRIPTION_SYMBOL = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9.\- ]*?)\s*\(")


def security_type(asset: pd.Series) -> pd.Series:
    """Map IBKR asset categories to security types; unknown categories keep their text."""
    key = asset.str.strip().str.casefold()
    return key.map(SECURITY_TYPES).fillna(asset.str.strip()).astype("str")


def term_from_code(code: pd.Series) -> pd.Series:
    """``short``/``long`` from IBKR codes such as ``ST``, ``LT`` or ``Un;ST`` (else missing)."""
    tokens = code.fillna("").str.upper().str.split(r"[;,\s]+", regex=True)
    out = tokens.map(lambda t: "long" if "LT" in t else ("short" if "ST" in t else None))
    return out.astype("str").where(out.notna())


def account_name(alias: str | None, kind: str | None) -> str | None:
    """The account name the household reads: ``"alias (type)"``, or whichever is known."""
    alias = alias.strip() if isinstance(alias, str) and alias.strip() else None
    kind = kind.strip() if isinstance(kind, str) and kind.strip() else None
    if alias and kind and alias.casefold() != kind.casefold():
        return f"{alias} ({kind})"
    return alias or kind


def cash_actions(kind: pd.Series, amount: pd.Series, description: pd.Series) -> tuple[
        pd.Series, pd.Series]:
    """Actions for cash rows from their IBKR type; returns (action, unknown mask).

    Deposits/withdrawals go by the sign of the amount; dividends whose description says
    "Capital Gain" are capital-gain distributions; unknown types are ``other``.
    """
    key = kind.str.strip().str.casefold()
    known = key.isin(list(CASH_ACTIONS))
    mapped = key.map({k: (v.value if v is not None else "flow") for k, v in
                      CASH_ACTIONS.items()})
    action = mapped.where(mapped != "flow")
    flow = mapped.eq("flow").fillna(False)
    action = action.mask(flow & (amount >= 0), Action.CONTRIBUTION.value)
    action = action.mask(flow & (amount < 0), Action.WITHDRAWAL.value)
    capgain = action.eq(Action.DIVIDEND.value).fillna(False) & \
        description.str.contains(_CAPITAL_GAIN).fillna(False)
    action = action.mask(capgain, Action.CAPITAL_GAIN.value)
    action = action.fillna(Action.OTHER.value).astype("str")
    return action, ~known


def symbol_from_description(description: pd.Series) -> pd.Series:
    """The ticker IBKR puts before the ISIN in cash descriptions: ``VT(US9220427424) ...``."""
    return description.str.extract(_DESCRIPTION_SYMBOL, expand=False).astype("str")


def cusip_from_isin(isin: pd.Series) -> pd.Series:
    """The CUSIP inside a US or CA ISIN (``US9220427424`` -> ``922042742``), else missing."""
    s = isin.str.strip().str.upper()
    inner = s.str.slice(2, 11).where(s.str.match(r"^(US|CA)[0-9A-Z]{9}\d$").fillna(False))
    return inner.astype("str")


def currency_reason(what: str, currency: str, base: str | None, has_rate: bool,
                    rate_word: str = "fxRateToBase") -> str:
    """Why a row in a currency other than US dollars was not loaded."""
    if base == "USD" and not has_rate:
        return f"{what} in {currency}: no {rate_word} to convert it to US dollars"
    if base:
        return (f"{what} in {currency}: the toolkit works in US dollars and the statement's "
                f"base currency is {base}, so {rate_word} cannot convert it")
    return (f"{what} in {currency}: the statement does not name its base currency, so "
            f"{rate_word} cannot convert it to US dollars")
