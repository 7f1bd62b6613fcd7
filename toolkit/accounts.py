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

import pandas as pd

from toolkit.errors import HouseholdError, ToolkitError
from toolkit.schema import TaxType

__all__ = ["MASK_KEEP", "MASK_KEEP_MAX", "AccountKey", "AccountMasker", "account_key",
           "account_masks", "infer_tax_type", "keys_match", "mask_account", "mask_text",
           "match_account", "match_contributions"]

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

    The masking primitive; within a household use :class:`AccountMasker`, whose masks are
    unique (two accounts ending in the same digits are told apart).

    Examples
    --------
    >>> mask_account("X71234567"), mask_account("...456"), mask_account("87")
    ('...567', '...456', '87')
    """
    s = str(account)
    if s.startswith("...") and len(s) <= keep + 3:
        return s
    return "..." + s[-keep:] if len(s) > keep else s


#: Characters of an id a mask shows at first, and at most when two masks collide.
MASK_KEEP, MASK_KEEP_MAX = 3, 4


def _conflict(a: str, b: str) -> bool:
    """Whether two masks' visible tails cannot tell their accounts apart.

    Equal tails collide, and so does a tail that ends another (``...789`` against
    ``...6789``): a reader cannot say the two are different accounts.
    """
    return a.endswith(b) or b.endswith(a)


def _limit(account: str) -> int:
    """How many characters of ``account`` a mask may show at most."""
    k = account_key(account)
    hidden_at_least = 0 if k.masked else 2  # a broker's masked id shows what it shows
    return max(MASK_KEEP, min(MASK_KEEP_MAX, len(k.key) - hidden_at_least))


def account_masks(accounts: Iterable[str], names: Mapping[str, str] | None = None
                  ) -> dict[str, str]:
    """One mask per account id, unique within the set.

    The rule, used by everything a person sees (screen, PDF, XLSX, CLI): show the last
    three characters (``X71234567`` -> ``...567``); where two masks cannot be told apart
    (equal last characters, or one ending the other, such as ``...789`` and ``...6789``),
    show four; where that is not enough, keep three and add the account's name
    (``...789 (Alex Roth IRA)``), or its position in ``accounts`` when it has no name or
    shares it.

    Parameters
    ----------
    accounts : iterable of str
        The account ids (full or as a broker masked them), in the household's order.
    names : mapping, optional
        Account id -> the account's name, for the last resort.

    Returns
    -------
    dict
        Account id -> its mask. Ids of three characters or fewer are shown as they are.

    Examples
    --------
    >>> account_masks(["X71234567", "87654"])
    {'X71234567': '...567', '87654': '...654'}
    >>> account_masks(["23456789", "11112789"])
    {'23456789': '...6789', '11112789': '...2789'}
    >>> account_masks(["...789", "23456789"], {"...789": "Alex Roth", "23456789": "Maya Roth"})
    {'...789': '...789 (Alex Roth)', '23456789': '...789 (Maya Roth)'}
    """
    ids = list(dict.fromkeys(str(a) for a in accounts))
    keys = {a: account_key(a).key or a for a in ids}
    keep = dict.fromkeys(ids, MASK_KEEP)

    def clashing() -> set[str]:
        tails = {a: keys[a][-keep[a]:] for a in ids}
        return {x for i, a in enumerate(ids) for b in ids[i + 1:]
                if _conflict(tails[a], tails[b]) for x in (a, b)}

    stuck = clashing()
    while stuck:
        grow = [a for a in stuck if keep[a] < _limit(a)]
        if not grow:
            break
        for a in grow:
            keep[a] += 1
        stuck = clashing()
    names = names or {}
    out = {}
    for i, a in enumerate(ids, start=1):
        if a not in stuck:
            out[a] = mask_account(a, keep=keep[a])
            continue
        name = names.get(a)
        unique = isinstance(name, str) and name.strip() and \
            sum(names.get(b) == name for b in stuck) == 1
        out[a] = f"{mask_account(a, keep=MASK_KEEP)} ({name.strip() if unique else f'#{i}'})"
    return out


_EDGE = r"(?<![A-Za-z0-9])({})(?![A-Za-z0-9])"


class AccountMasker:
    """Masks account ids wherever they are shown: cells, free text, whole frames.

    One masking rule for the household (:func:`account_masks`): masks are unique, and ids
    are replaced inside free text too (a plan's reasons, harvest threats, the wash
    calendar, notes), only where they stand as a whole word (``87654`` is not masked inside
    ``187654``).

    Parameters
    ----------
    masks : mapping
        Account id -> its mask. Empty: nothing is masked (``AccountMasker({})`` shows ids
        as they are).
    names : mapping, optional
        Account id -> name: where a mask carries the account's name, a text that already
        says ``"<name> (<id>)"`` gets the mask without the name.

    Examples
    --------
    >>> m = AccountMasker.of(["234567891", "87654"])
    >>> m.account("234567891"), m.text("move cash from 87654 to 234567891, not 187654")
    ('...891', 'move cash from ...654 to ...891, not 187654')
    """

    def __init__(self, masks: Mapping[str, str], names: Mapping[str, str] | None = None
                 ) -> None:
        self.masks = {str(k): str(v) for k, v in masks.items() if str(k) != str(v)}
        # "Alex Roth IRA (...789)" in a text already names the account: where the mask
        # carries the name too, that text gets the mask without it (no name said twice)
        self._named = {}
        for a, m in self.masks.items():
            name = (names or {}).get(a)
            if isinstance(name, str) and name and m.endswith(f" ({name})"):
                self._named[f"{name} ({a})"] = f"{name} ({m[: -len(name) - 3]})"
        alts = sorted([*self._named, *self.masks], key=len, reverse=True)
        self._rx = re.compile(_EDGE.format("|".join(map(re.escape, alts)))) if alts else None

    @classmethod
    def of(cls, accounts, names: Mapping[str, str] | None = None, *,
           enabled: bool = True) -> AccountMasker:
        """The masker of a set of accounts.

        Parameters
        ----------
        accounts : DataFrame or iterable of str
            A household's ``accounts`` frame (its ``account`` and ``name`` columns are
            used) or the account ids.
        names : mapping, optional
            Account id -> name, when ``accounts`` is a list of ids.
        enabled : bool, default True
            False gives a masker that shows every id as it is (``--no-mask``).

        Returns
        -------
        AccountMasker
        """
        if not enabled:
            return cls({})
        if hasattr(accounts, "columns"):
            ids = [str(a) for a in accounts["account"]]
            if names is None and "name" in accounts.columns:
                names = {a: n for a, n in zip(ids, accounts["name"], strict=True)
                         if isinstance(n, str)}
        else:
            ids = [str(a) for a in accounts]
        return cls(account_masks(ids, names), names)

    @property
    def enabled(self) -> bool:
        """Whether any id is masked."""
        return bool(self.masks)

    def account(self, account) -> str:
        """The mask of one id (an id the masker does not know gets the plain rule)."""
        a = str(account)
        if not self.masks:
            return a
        return self.masks.get(a, mask_account(a))

    def label(self, account, name=None) -> str:
        """``"Name (...567)"`` for a chart tick or a menu: the account's name and its mask.

        Where the mask already carries the name (two masks that collided), the name is not
        repeated. Without a name, the mask alone.
        """
        shown = self.account(account)
        if not isinstance(name, str) or not name.strip():
            return shown
        name = name.strip()
        suffix = f" ({name})"
        if shown.endswith(suffix):
            shown = shown[: -len(suffix)]
        return f"{name} ({shown})"

    def text(self, text):
        """``text`` with every known id replaced by its mask; non-text returned as is."""
        if not isinstance(text, str) or self._rx is None:
            return text
        return self._rx.sub(lambda m: self._named.get(m.group(1)) or self.masks[m.group(1)],
                            text)

    def frame(self, df):
        """A copy of ``df`` with every text cell masked (columns and free text alike)."""
        out = df.copy()
        if self._rx is None:
            return out
        for c in out.columns:
            col = out[c]
            if pd.api.types.is_string_dtype(col) or pd.api.types.is_object_dtype(col):
                out[c] = col.map(self.text, na_action="ignore")
        return out


def mask_text(text: str, accounts: Iterable[str]) -> str:
    """``text`` with every occurrence of each account id replaced by its unique mask.

    Shorthand for ``AccountMasker.of(accounts).text(text)``.

    Examples
    --------
    >>> mask_text("sell inside Maya IRA (234567891)", ["234567891", "...456"])
    'sell inside Maya IRA (...891)'
    """
    return AccountMasker.of(accounts).text(str(text))
