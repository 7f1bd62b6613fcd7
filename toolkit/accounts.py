"""Account ids and tax types: matching masked ids, and typing an account from its name.

Brokers write the same account differently: Fidelity gives the full number (``X71234567``),
Schwab masks it (``...567``, ``XXXX-4567``), E*TRADE appends it to a name
(``Individual Brokerage -4567``), IBKR may write ``U***4567``. :func:`account_key` reduces an
id to its visible characters, and :func:`keys_match` says whether two ids can be the same
account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from toolkit.errors import HouseholdError, ToolkitError
from toolkit.schema import TaxType

__all__ = ["AccountKey", "account_key", "infer_tax_type", "keys_match", "mask_account",
           "mask_text", "match_account", "match_contributions"]

_MASKED = re.compile(r"(?:\.{2,}|\*{2,}|X{2,}|#{2,})[-\s]?([A-Z0-9]{2,})$")
_INNER_MASK = re.compile(r"^([A-Z]+)\*{2,}([0-9]{2,})$")  # U***4567
_DASH_SUFFIX = re.compile(r"\s-\s?([0-9]{3,})$")  # "Individual Brokerage -4567"


@dataclass(frozen=True)
class AccountKey:
    """The visible characters of an account id, and whether the rest was masked."""

    key: str
    masked: bool

    def __str__(self) -> str:
        return ("*" if self.masked else "") + self.key


def account_key(raw: str) -> AccountKey:
    """Normalise an account id for matching.

    Parameters
    ----------
    raw : str
        The id as written: ``"X71234567"``, ``"...567"``, ``"XXXX-4567"``,
        ``"Individual ...567"``, ``"Individual Brokerage -4567"``, ``"U***4567"``,
        ``"99X-12345"``.

    Returns
    -------
    AccountKey
        Upper-case alphanumeric characters that are visible (``"X71234567"``, ``"567"``,
        ``"4567"``, ``"99X12345"``) and whether the id was masked.

    Examples
    --------
    >>> str(account_key("XXXX-4567")), str(account_key("X71234567"))
    ('*4567', 'X71234567')
    """
    s = str(raw).strip().upper()
    m = _MASKED.search(s)
    if m:
        return AccountKey(m.group(1), True)
    m = _INNER_MASK.match(s)
    if m:
        return AccountKey(m.group(2), True)
    m = _DASH_SUFFIX.search(s)
    if m and re.search(r"[A-Z]{3,}", s[: m.start()]):
        return AccountKey(m.group(1), True)
    token = s.split()[-1] if s.split() else s
    return AccountKey(re.sub(r"[^A-Z0-9]", "", token), False)


def keys_match(a: str | AccountKey, b: str | AccountKey) -> bool:
    """Whether two account ids can denote the same account.

    Two full ids match when equal; a masked id matches any id whose visible characters end
    with its visible digits (at least three of them).

    Examples
    --------
    >>> keys_match("X71234567", "...567"), keys_match("XXXX-4567", "...567")
    (True, True)
    >>> keys_match("X71234567", "X71234568")
    False
    """
    ka = a if isinstance(a, AccountKey) else account_key(a)
    kb = b if isinstance(b, AccountKey) else account_key(b)
    if not ka.key or not kb.key:
        return False
    if not ka.masked and not kb.masked:
        return ka.key == kb.key
    short, long_ = sorted((ka.key, kb.key), key=len)
    return len(short) >= 3 and long_.endswith(short)


def match_account(ids: Iterable[str], key: str) -> list[str]:
    """The household account ids ``key`` can denote: itself if it is one, else masked matches.

    Parameters
    ----------
    ids : iterable of str
        The household's account ids.
    key : str
        An id as a person or a file writes it (``"87654"``, ``"...654"``).

    Returns
    -------
    list of str
        ``[key]`` when it is an id; otherwise every id :func:`keys_match` pairs with it (none,
        one, or several when ``key`` is ambiguous).
    """
    ids = list(ids)
    k = str(key)
    return [a for a in ids if a == k] or [a for a in ids if keys_match(a, k)]


def match_contributions(ids: Iterable[str], contributions: Mapping[str, float], *,
                        where: str = "contribution account",
                        error: type[ToolkitError] = HouseholdError) -> dict[str, float]:
    """Planned new money per household account id, from keys a person wrote.

    The one matching of contribution keys to accounts, used by the household file's
    ``[contributions]`` and by :func:`toolkit.plan`'s ``contributions=``.

    Parameters
    ----------
    ids : iterable of str
        The household's account ids.
    contributions : mapping of str to float
        Account id (full or masked, see :func:`match_account`) -> dollars (negative for a
        withdrawal).
    where : str, default "contribution account"
        Start of an error message (the origin of the mapping).
    error : type, default HouseholdError
        The :class:`~toolkit.errors.ToolkitError` raised on a bad key or amount.

    Returns
    -------
    dict of str to float
        Household account id -> dollars; keys naming the same account are added up.

    Raises
    ------
    ToolkitError
        (``error``) If a key matches no account or several, or an amount is not a number.
    """
    ids = list(ids)
    out: dict[str, float] = {}
    for k, v in contributions.items():
        hits = match_account(ids, str(k))
        if len(hits) != 1:
            raise error(f"{where} {k!r} matches "
                        f"{'no account' if not hits else 'several accounts: ' + ', '.join(hits)}")
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise error(f"{where} {k!r} = {v!r} is not a number")
        out[hits[0]] = out.get(hits[0], 0.0) + float(v)
    return out


# Ordered: the first pattern that matches the broker's account name wins.
_TYPE_PATTERNS: tuple[tuple[re.Pattern, TaxType], ...] = tuple(
    (re.compile(p, re.I), t) for p, t in (
        (r"\bROTH\b.*\b401\s*\(?K\)?", TaxType.ROTH_401K),
        (r"\b401\s*\(?K\)?.*\bROTH\b", TaxType.ROTH_401K),
        (r"\bROTH\b.*\b403\s*\(?B\)?", TaxType.ROTH_403B),
        (r"\bROTH\b", TaxType.ROTH_IRA),
        (r"\bHSA\b|HEALTH\s+SAVINGS", TaxType.HSA),
        (r"\b401\s*\(?K\)?|\bPSP\b|PROFIT\s+SHARING", TaxType.K401),
        (r"\b403\s*\(?B\)?", TaxType.B403),
        (r"\b457\s*\(?B\)?", TaxType.G457B),
        (r"\bSEP\b", TaxType.SEP_IRA),
        (r"\bSIMPLE\s+IRA\b", TaxType.SIMPLE_IRA),
        # IRRA: Merrill's rollover IRA registration ("IRRA-Edge")
        (r"ROLLOVER|TRADITIONAL|\bTRAD\b|CONTRIBUTORY|\bIRR?A\b", TaxType.TRADITIONAL_IRA),
        # CMA, CMAM: Merrill's cash management account registrations ("CMA-Edge")
        (r"INDIVIDUAL|\bJOINT\b|BROKERAGE(?!\s*LINK)|\bTOD\b|WROS|\bTRUST\b|\bCMAM?\b|CASH\s+MANAGEMENT|"
         r"TENANTS|COMMUNITY\s+PROPERTY|\bTAXABLE\b|\bMARGIN\b", TaxType.TAXABLE),
    )
)


def infer_tax_type(name: str | None) -> TaxType | None:
    """Infer an account's tax type from the broker's account name.

    Parameters
    ----------
    name : str or None
        E.g. ``"ROTH IRA"``, ``"Rollover IRA"``, ``"ACME 401(K) PLAN"``,
        ``"HEALTH SAVINGS ACCOUNT"``, ``"Joint WROS"``, ``"Individual"``.

    Returns
    -------
    TaxType or None
        None when the name says nothing about the tax type.

    Examples
    --------
    >>> infer_tax_type("Roth Contributory IRA"), infer_tax_type("ROLLOVER IRA")
    (<TaxType.ROTH_IRA: 'roth_ira'>, <TaxType.TRADITIONAL_IRA: 'traditional_ira'>)
    """
    if not isinstance(name, str) or not name.strip():
        return None
    for rx, tax_type in _TYPE_PATTERNS:
        if rx.search(name):
            return tax_type
    return None


def mask_account(account: str, *, keep: int = 3) -> str:
    """An account id with all but its last ``keep`` characters hidden, for reports.

    Examples
    --------
    >>> mask_account("X71234567"), mask_account("...456"), mask_account("87")
    ('...567', '...456', '87')
    """
    s = str(account)
    if s.startswith("...") and len(s) <= keep + 3:
        return s
    return "..." + s[-keep:] if len(s) > keep else s


def mask_text(text: str, accounts: Iterable[str], *, keep: int = 3) -> str:
    """``text`` with every occurrence of each account id replaced by its masked form.

    For free text that names accounts (a plan's reasons and notes, a label): ids are
    replaced wherever they occur, longest first, by :func:`mask_account`.

    Parameters
    ----------
    text : str
    accounts : iterable of str
        The full account ids to hide.
    keep : int, default 3
        Characters of each id left visible.

    Returns
    -------
    str

    Examples
    --------
    >>> mask_text("sell inside Maya IRA (234567891)", ["234567891", "...456"])
    'sell inside Maya IRA (...891)'
    """
    out = str(text)
    for a in sorted({str(x) for x in accounts}, key=len, reverse=True):
        masked = mask_account(a, keep=keep)
        if masked != a and a:
            out = out.replace(a, masked)
    return out
