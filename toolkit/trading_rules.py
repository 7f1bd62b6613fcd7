"""A household's trading rules: the funds it buys, what it never trades, its cash and prices.

What a household file says about how its accounts may be traded, read once at load and kept
with the household (:attr:`toolkit.household.Household.rules`): the planner
(:func:`toolkit.plan`) and the checkup read it, a caller's :class:`~toolkit.planner.PlanOptions`
override it. The keys (README, "The household file"):

``[funds]``
    The fund to buy for each asset class: ``us_equity = "VTI"`` or a list in order of
    preference (``intl_equity = ["VXUS", "IXUS"]``: the first one the account may buy and the
    plan can price wins). A sub-table named for an account tax type (``[funds.roth_ira]``) or
    for an account id (``[funds."87654"]``, masked forms match) chooses for those accounts
    only; per account wins over per type, which wins over the household's choice. A fund named
    here may be bought even when it is a single stock.
``[[accounts]]`` ``cash_floor``, ``menu``, ``do_not_buy``, ``do_not_sell``
    Dollars of cash the account keeps; the only symbols it may buy (an employer plan's fund
    menu); ``true`` for an account that is never bought in (sold in), or a list of symbols
    never bought (sold) in that account.
``[securities.X]`` ``price``, ``do_not_buy``, ``do_not_sell``
    A price per share (dollars) for a fund no export prices; ``true`` for a symbol never bought
    (never sold) in any account.

:func:`take_trading_rules` reads those keys out of the parsed TOML (what is left is the rest
of the household file) and checks their types, naming the key. Tables merge key by key (a
model file's ``[funds]`` with a household's: :func:`merge_tables`). Account keys are matched to
the household's account ids by :meth:`TradingRules.resolved`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from toolkit.accounts import match_account
from toolkit.errors import HouseholdError
from toolkit.schema import ASSET_CLASSES, TaxType

__all__ = [
    "AccountRules",
    "TradingRules",
    "merge_tables",
    "take_trading_rules",
]

#: Keys of ``[[accounts]]`` entries that this module reads.
ACCOUNT_KEYS = ("cash_floor", "menu", "do_not_buy", "do_not_sell")
#: Keys of ``[securities.X]`` entries that this module reads.
SECURITY_KEYS = ("price", "do_not_buy", "do_not_sell")
_TAX_TYPES = tuple(t.value for t in TaxType)
_CLASSES = tuple(c for c in ASSET_CLASSES if c != "cash")


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True)
class AccountRules:
    """What one account's ``[[accounts]]`` entry says about trading it.

    Attributes
    ----------
    cash_floor : float or None
        Dollars of cash the account keeps (None: the household default).
    menu : frozenset of str or None
        The only symbols the account may buy (None: any the rules allow).
    no_buys, no_sells : bool
        Nothing is bought (sold) in this account.
    do_not_buy, do_not_sell : frozenset of str
        Symbols never bought (sold) in this account.
    """

    cash_floor: float | None = None
    menu: frozenset[str] | None = None
    no_buys: bool = False
    no_sells: bool = False
    do_not_buy: frozenset[str] = frozenset()
    do_not_sell: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TradingRules:
    """A household's trading rules (module docstring); empty by default.

    Attributes
    ----------
    funds : mapping of str to tuple of str
        Asset class -> funds to buy, best first (``[funds]``).
    funds_by_type : mapping
        Account tax type -> class -> funds (``[funds.<tax type>]``).
    funds_by_account : mapping
        Account id -> class -> funds (``[funds."<id>"]``).
    accounts : mapping of str to AccountRules
        Account id -> its rules.
    prices : mapping of str to float
        Symbol -> dollars a share (``[securities.X] price``).
    do_not_buy, do_not_sell : frozenset of str
        Symbols never bought (sold) in any account.
    """

    funds: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    funds_by_type: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=_empty)
    funds_by_account: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=_empty)
    accounts: Mapping[str, AccountRules] = field(default_factory=_empty)
    prices: Mapping[str, float] = field(default_factory=_empty)
    do_not_buy: frozenset[str] = frozenset()
    do_not_sell: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        def freeze(m: Mapping) -> Mapping:
            return MappingProxyType({k: (freeze(v) if isinstance(v, Mapping) else v)
                                     for k, v in m.items()})

        for name in ("funds", "funds_by_type", "funds_by_account", "accounts", "prices"):
            object.__setattr__(self, name, freeze(getattr(self, name)))

    def __getstate__(self) -> dict[str, Any]:
        def thaw(m: Any) -> Any:
            return {k: thaw(v) for k, v in m.items()} if isinstance(m, Mapping) else m

        return {k: thaw(getattr(self, k)) for k in self.__dataclass_fields__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self.__post_init__()

    # --- reading ------------------------------------------------------------------------

    def funds_for(self, account: str, tax_type: str, asset_class: str) -> tuple[str, ...]:
        """The funds chosen for ``asset_class`` in ``account``, best first.

        Per account, then per account type, then the household's choice (each level only
        where it names the class).

        Parameters
        ----------
        account : str
            Household account id.
        tax_type : str
            The account's :class:`~toolkit.schema.TaxType` value.
        asset_class : str

        Returns
        -------
        tuple of str
            Symbols (empty when the file chooses none).
        """
        out: list[str] = []
        for level in (self.funds_by_account.get(account, {}),
                      self.funds_by_type.get(tax_type, {}), self.funds):
            for s in level.get(asset_class, ()):
                if s not in out:
                    out.append(s)
        return tuple(out)

    @property
    def named_funds(self) -> frozenset[str]:
        """Every symbol ``[funds]`` names (the household chose it: it may be bought)."""
        out = set()
        for level in (self.funds, *self.funds_by_type.values(),
                      *self.funds_by_account.values()):
            for syms in level.values():
                out.update(syms)
        return frozenset(out)

    def account(self, account: str) -> AccountRules:
        """The rules of one account (empty when its entry says nothing)."""
        return self.accounts.get(account, AccountRules())

    def resolved(self, account_ids: Iterable[str], *, where: str = "") -> TradingRules:
        """The rules with every account key matched to one of ``account_ids``.

        Parameters
        ----------
        account_ids : iterable of str
            The household's account ids.
        where : str
            Origin, for messages.

        Returns
        -------
        TradingRules

        Raises
        ------
        HouseholdError
            If a ``[funds."<id>"]`` or ``[[accounts]]`` key matches no account or several.
        """
        ids = list(account_ids)

        def one(key: str, what: str) -> str:
            hits = match_account(ids, key)
            if len(hits) != 1:
                raise HouseholdError(
                    f"{where}{what} {key!r} matches "
                    f"{'no account' if not hits else 'several accounts: ' + ', '.join(hits)}")
            return hits[0]

        by_account: dict[str, dict[str, tuple[str, ...]]] = {}
        for k, v in self.funds_by_account.items():
            a = one(k, "[funds] account")
            merged = dict(by_account.get(a, {}))
            merged.update(v)
            by_account[a] = merged
        accounts = {one(k, "[[accounts]]"): v for k, v in self.accounts.items()}
        return replace(self, funds_by_account=by_account, accounts=accounts)


# --- reading the TOML -------------------------------------------------------------------------


def merge_tables(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge two TOML tables key by key: tables recursively, any other value replaced.

    How a household's ``[funds]`` (or any shareable table) overrides a model file's: a class,
    account type or account the household names replaces the model's entry for it alone.

    Parameters
    ----------
    base, over : mapping
        Parsed TOML tables; ``over`` wins.

    Returns
    -------
    dict
        A new table (the inputs are not changed).
    """
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge_tables(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _symbol(v: Any, ctx: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise HouseholdError(f"{ctx} = {v!r} is not a symbol (a quoted ticker or CUSIP)")
    return v.strip().upper()


def _symbols(v: Any, ctx: str) -> tuple[str, ...]:
    if isinstance(v, str):
        return (_symbol(v, ctx),)
    if isinstance(v, list) and v:
        return tuple(dict.fromkeys(_symbol(x, f"{ctx}[{i}]") for i, x in enumerate(v)))
    raise HouseholdError(f"{ctx} = {v!r} is not a symbol or a list of symbols")


def _class_table(t: Any, ctx: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(t, Mapping):
        raise HouseholdError(f"{ctx} must be a table of asset class = fund")
    out = {}
    for c, v in t.items():
        if c not in _CLASSES:
            raise HouseholdError(f"{ctx}: {c!r} is not an asset class a fund is bought for; "
                                 f"expected one of {', '.join(_CLASSES)}")
        out[c] = _symbols(v, f"{ctx}.{c}")
    return out


def _funds(t: Any, where: str) -> tuple[dict, dict, dict]:
    ctx = f"{where}[funds]"
    if not isinstance(t, Mapping):
        raise HouseholdError(f"{ctx} must be a table")
    classes, by_type, by_account = {}, {}, {}
    for k, v in t.items():
        if k in _CLASSES:
            classes[k] = _symbols(v, f"{ctx} {k}")
        elif k in _TAX_TYPES:
            by_type[k] = _class_table(v, f"{ctx}.{k}")
        elif isinstance(v, Mapping):
            by_account[str(k)] = _class_table(v, f"{ctx}.{k!r}")
        else:
            raise HouseholdError(
                f"{ctx}: {k} = {v!r}: a key of [funds] is an asset class "
                f"({', '.join(_CLASSES)}) with a fund, or an account type or account id with "
                "a table of class = fund")
    return classes, by_type, by_account


def _money(v: Any, ctx: str, *, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or (
            v <= 0 if positive else v < 0):
        raise HouseholdError(f"{ctx} = {v!r} is not a "
                             f"{'positive' if positive else 'non-negative'} number of dollars")
    return float(v)


def _flag_or_symbols(v: Any, ctx: str) -> tuple[bool, frozenset[str]]:
    if isinstance(v, bool):
        return v, frozenset()
    if isinstance(v, list):
        return False, frozenset(_symbol(x, f"{ctx}[{i}]") for i, x in enumerate(v))
    raise HouseholdError(f"{ctx} = {v!r} must be true/false or a list of symbols")


def _account(entry: Mapping, ctx: str) -> AccountRules | None:
    if not any(k in entry for k in ACCOUNT_KEYS):
        return None
    floor = entry.get("cash_floor")
    menu = entry.get("menu")
    nb, nb_syms = _flag_or_symbols(entry.get("do_not_buy", False), f"{ctx} do_not_buy")
    ns, ns_syms = _flag_or_symbols(entry.get("do_not_sell", False), f"{ctx} do_not_sell")
    if menu is not None and (not isinstance(menu, list) or not menu):
        raise HouseholdError(f"{ctx} menu = {menu!r} must be a list of symbols")
    return AccountRules(
        cash_floor=None if floor is None else _money(floor, f"{ctx} cash_floor"),
        menu=None if menu is None else frozenset(_symbol(x, f"{ctx} menu[{i}]")
                                                 for i, x in enumerate(menu)),
        no_buys=nb, no_sells=ns, do_not_buy=nb_syms, do_not_sell=ns_syms)


def take_trading_rules(data: Mapping[str, Any], where: str = "") -> tuple[dict, TradingRules]:
    """Read a household file's trading rules out of its parsed TOML.

    Parameters
    ----------
    data : mapping
        The parsed household file.
    where : str
        Origin (the file), for messages.

    Returns
    -------
    tuple
        ``(rest, rules)``: a copy of ``data`` without ``[funds]`` and without the keys of
        :data:`ACCOUNT_KEYS` and :data:`SECURITY_KEYS` (a ``[securities.X]`` entry left empty
        is dropped), and the :class:`TradingRules` (account keys as written: see
        :meth:`TradingRules.resolved`).

    Raises
    ------
    HouseholdError
        If a value has the wrong type or names an unknown class (the message names the key).
    """
    where = f"{where}: " if where and not where.endswith(": ") else where
    rest = dict(data)
    classes, by_type, by_account = _funds(rest.pop("funds", {}), where)
    accounts: dict[str, AccountRules] = {}
    entries = rest.get("accounts", [])
    if isinstance(entries, list):
        kept = []
        for i, a in enumerate(entries):
            if not isinstance(a, Mapping):
                kept.append(a)
                continue
            ctx = f"{where}[[accounts]] #{i + 1}"
            r = _account(a, ctx)
            if r is not None:
                if "id" not in a:
                    raise HouseholdError(f"{ctx}: needs an id (as the broker writes it)")
                accounts[str(a["id"])] = r
            kept.append({k: v for k, v in a.items() if k not in ACCOUNT_KEYS})
        rest["accounts"] = kept
    prices: dict[str, float] = {}
    no_buy: set[str] = set()
    no_sell: set[str] = set()
    secs = rest.get("securities")
    if isinstance(secs, Mapping):
        left = {}
        for sym, entry in secs.items():
            if not isinstance(entry, Mapping):
                left[sym] = entry
                continue
            key = str(sym).strip().upper()
            ctx = f"{where}[securities.{sym}]"
            if "price" in entry:
                prices[key] = _money(entry["price"], f"{ctx} price", positive=True)
            for name, into in (("do_not_buy", no_buy), ("do_not_sell", no_sell)):
                if name in entry:
                    if not isinstance(entry[name], bool):
                        raise HouseholdError(f"{ctx} {name} = {entry[name]!r} must be true or "
                                             "false")
                    if entry[name]:
                        into.add(key)
            other = {k: v for k, v in entry.items() if k not in SECURITY_KEYS}
            if other:
                left[sym] = other
        rest["securities"] = left
    return rest, TradingRules(funds=classes, funds_by_type=by_type,
                              funds_by_account=by_account, accounts=accounts, prices=prices,
                              do_not_buy=frozenset(no_buy), do_not_sell=frozenset(no_sell))
