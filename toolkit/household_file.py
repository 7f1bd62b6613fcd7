"""The household file: reading its TOML, loading the exports it lists, matching accounts.

:func:`load_household` reads a household file (format in the README), loads every export it
lists with :func:`toolkit.io.load_export`, matches the accounts each export names to the
household's accounts (masked ids included), types every account, builds the
:class:`~toolkit.household.Household` with :meth:`~toolkit.household.Household.from_frames`
(classifying every holding with the security master), and replays the transaction history
once (:func:`toolkit.history.replay_household`: lots rebuilt where no file gives them, and
the reconciliation kept with the household).
"""

from __future__ import annotations

import datetime
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.accounts import account_key, infer_tax_type, keys_match
from toolkit.errors import HouseholdError
from toolkit.history import replay_household
from toolkit.household import Household, TaxProfile, validate_subtargets, validate_targets
from toolkit.io import Export, load_export
from toolkit.model_portfolio import resolve_model
from toolkit.schema import (
    LOTS,
    PENDING,
    POSITIONS,
    REALIZED,
    SKIPPED,
    TRANSACTIONS,
    CostBasisMethod,
    TaxType,
    concat_frames,
    validate_skipped,
)
from toolkit.securities import SecurityMaster, load_securities
from toolkit.tax.harvest_log import log_sales, read_log
from toolkit.trading_rules import take_trading_rules

__all__ = ["load_household"]

_HOUSEHOLD_KEYS = {
    "name", "tax_year", "filing_status", "ordinary_income", "qualified_dividends", "state_rate",
    "carryforward_short_term", "carryforward_long_term", "realized_short_term",
    "realized_long_term", "as_of", "future_ordinary_rate", "deductions",
    "other_investment_income",
}
_ACCOUNT_KEYS = {"id", "type", "owner", "name", "custodian", "cost_basis_method"}
_FILE_KEYS = {"path", "account", "symbol", "format"}
_TOP_KEYS = {"household", "targets", "subtargets", "accounts", "files", "contributions",
             "securities", "people", "settings"}
_COST_BASIS_METHODS = tuple(m.value for m in CostBasisMethod)


def _read_toml(path: Path) -> dict:
    if path.is_dir():
        raise HouseholdError(f"{path}: is a directory; give the household file (a .toml file) "
                             "inside it")
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise HouseholdError(f"{path}: no such household file") from exc
    except OSError as exc:
        raise HouseholdError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise HouseholdError(f"{path}: line {line}, column {col}: byte 0x{raw[exc.start]:02x} "
                             "is not UTF-8; save the household file as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HouseholdError(f"{path}: not valid TOML ({exc})") from exc


# --- typed keys: every value checked, the key named ------------------------------------------


def _is_number(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float)


def _number(section: Mapping, key: str, where: str, default: float | None = None) -> float:
    if key not in section:
        if default is None:
            raise HouseholdError(f"{where}: required key {key!r} is missing")
        return default
    v = section[key]
    if not _is_number(v):
        raise HouseholdError(f"{where}: {key} = {v!r} is not a number")
    if not math.isfinite(v):
        raise HouseholdError(f"{where}: {key} = {v!r} is not a finite number")
    return float(v)


def _text(section: Mapping, key: str, where: str, *, numbers: bool = False) -> str | None:
    """A string value (None when absent); ``numbers`` lets a TOML integer stand for it."""
    if key not in section:
        return None
    v = section[key]
    if isinstance(v, str):
        return v
    if numbers and isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise HouseholdError(f"{where}: {key} = {v!r} is not a string (write it in quotes)")


def _table(data: Mapping, key: str, where: str) -> Mapping:
    """A table (``[key]``), empty when absent."""
    v = data.get(key, {})
    if not isinstance(v, Mapping):
        raise HouseholdError(f"{where}: {key} = {v!r} is not a table; write it as [{key}] "
                             "with key = value lines")
    return v


def _tables(data: Mapping, key: str, where: str) -> list[Mapping]:
    """An array of tables (``[[key]]``), empty when absent."""
    v = data.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, Mapping) for x in v):
        raise HouseholdError(f"{where}: {key} = {v!r} is not an array of tables; write each "
                             f"entry as [[{key}]] with key = value lines")
    return v


def _settings(data: Mapping, where: str) -> dict:
    """The ``[settings]`` table with the keys the toolkit reads checked."""
    s = dict(_table(data, "settings", where))
    ctx = f"{where}: [settings]"
    groups = s.get("substantially_identical")
    if groups is not None and not (
            isinstance(groups, list)
            and all(isinstance(g, list) and all(isinstance(x, str) for x in g)
                    for g in groups)):
        raise HouseholdError(f"{ctx}: substantially_identical = {groups!r} is not a list of "
                             'lists of symbols (write [["VOO", "IVV"], ["VTI", "ITOT"]])')
    floor = s.get("cash_floor")
    if floor is not None:
        values = floor.values() if isinstance(floor, Mapping) else [floor]
        if not all(_is_number(v) and math.isfinite(v) and v >= 0 for v in values):
            raise HouseholdError(f"{ctx}: cash_floor = {floor!r} is not a non-negative number "
                                 "of dollars (or a table of account id = dollars)")
    _text(s, "harvest_log", ctx)
    return s


def _profile(h: Mapping, where: str) -> TaxProfile:
    unknown = set(h) - _HOUSEHOLD_KEYS
    if unknown:
        raise HouseholdError(f"{where}: unknown key(s) {sorted(unknown)} in [household]; "
                             f"allowed: {', '.join(sorted(_HOUSEHOLD_KEYS))}")
    if "filing_status" not in h:
        raise HouseholdError(f"{where}: [household] needs filing_status")
    if "tax_year" not in h:
        raise HouseholdError(f"{where}: [household] needs tax_year")
    ctx = f"{where}: [household]"
    _text(h, "name", ctx)
    status = _text(h, "filing_status", ctx)
    year = h["tax_year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise HouseholdError(f"{ctx}: tax_year = {year!r} is not a year (a whole number such as "
                             "2026)")
    fr = None if h.get("future_ordinary_rate") is None else _number(
        h, "future_ordinary_rate", ctx)
    ded = None if h.get("deductions") is None else _number(h, "deductions", ctx)
    return TaxProfile(
        filing_status=status,
        year=year,
        ordinary_income=_number(h, "ordinary_income", ctx),
        qualified_dividends=_number(h, "qualified_dividends", ctx, 0.0),
        state_rate=_number(h, "state_rate", ctx, 0.0),
        carryforward_short_term=_number(h, "carryforward_short_term", ctx, 0.0),
        carryforward_long_term=_number(h, "carryforward_long_term", ctx, 0.0),
        realized_short_term=_number(h, "realized_short_term", ctx, 0.0),
        realized_long_term=_number(h, "realized_long_term", ctx, 0.0),
        future_ordinary_rate=fr,
        deductions=ded,
        other_investment_income=_number(h, "other_investment_income", ctx, 0.0),
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
    for i, a in enumerate(_tables(data, "accounts", where)):
        ctx = f"{where}: [[accounts]] #{i + 1}"
        unknown = set(a) - _ACCOUNT_KEYS
        if unknown:
            raise HouseholdError(f"{ctx}: unknown key(s) {sorted(unknown)}; allowed: "
                                 f"{', '.join(sorted(_ACCOUNT_KEYS))}")
        if "id" not in a:
            raise HouseholdError(f"{ctx}: needs an id (as the broker writes it)")
        _text(a, "id", ctx, numbers=True)
        for key in ("type", "owner", "name", "custodian", "cost_basis_method"):
            _text(a, key, ctx)
        t = a.get("type")
        if t is not None and t not in {x.value for x in TaxType}:
            raise HouseholdError(f"{ctx} (id {a['id']!r}): type {t!r} is not one of "
                                 f"{', '.join(x.value for x in TaxType)}")
        m = a.get("cost_basis_method", CostBasisMethod.FIFO.value)
        if m not in _COST_BASIS_METHODS:
            raise HouseholdError(f"{ctx}: cost_basis_method {m!r} is not one of "
                                 f"{', '.join(_COST_BASIS_METHODS)}")
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


def load_household(path: str | Path, *, securities: SecurityMaster | None = None,
                   model: str | Path | None = None, strict: bool = False) -> Household:
    """Load a household file and every export it lists into one validated :class:`Household`.

    A data row an export's loader could not read is skipped with its reason
    (``Household.skipped``) and its holding marked unreliable (``Household.unreliable``,
    ``Household.not_loaded()``): the household loads what it can.

    Parameters
    ----------
    path : str or Path
        The household TOML file (format: README, "The household file").
    securities : SecurityMaster, optional
        Security master to start from (default: the bundled one).
    model : str or Path, optional
        A shared model file (:mod:`toolkit.model_portfolio`) assigned from outside, e.g. by a
        book's manifest, used when the household file names none in ``[household] model``.
        The household's own keys override the model's, key by key.
    strict : bool, default False
        Raise instead when any holding has a data row that could not be read.

    Returns
    -------
    Household

    Raises
    ------
    HouseholdError
        If the file is not valid TOML, a value has the wrong type, a required key is
        missing, targets do not sum to 1 or name unknown classes, an account cannot be
        typed, or an id is ambiguous; with ``strict``, if a holding's row could not be read.
    FormatError
        If an export it lists cannot be loaded (the message names file, line and column).
    """
    path = Path(path)
    where = str(path)
    data = resolve_model(_read_toml(path), path, model=model)
    data, rules = take_trading_rules(data, where)  # [funds] and the planner's keys
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise HouseholdError(f"{where}: unknown section(s) {sorted(unknown)}; allowed: "
                             f"{', '.join(sorted(_TOP_KEYS))}")
    h = data.get("household")
    if not isinstance(h, Mapping):
        raise HouseholdError(f"{where}: needs a [household] table")
    profile = _profile(h, where)
    targets = validate_targets(_table(data, "targets", where), where=f"{where}: [targets]")
    subtargets = _table(data, "subtargets", where)
    validate_subtargets(subtargets, targets, where=f"{where}: [subtargets]")
    overrides = _table(data, "securities", where)
    for sym, fields in overrides.items():
        if not isinstance(fields, Mapping):
            raise HouseholdError(f"{where}: securities.{sym} = {fields!r} is not a table; write "
                                 f"[securities.{sym}] with asset_class = \"...\"")
    master = (securities or load_securities()).with_overrides(overrides, where=where)
    contributions = _table(data, "contributions", where)
    for k, v in contributions.items():
        if _is_number(v) and not math.isfinite(v):
            raise HouseholdError(f"{where}: [contributions]: {k!r} = {v!r} is not a finite "
                                 "number of dollars")
    people = _tables(data, "people", where)
    for n, p in enumerate(people):
        if not isinstance(p.get("name"), str):
            raise HouseholdError(f"{where}: [[people]] #{n + 1}: name = {p.get('name')!r} is not "
                                 "a string (each person needs a name, as the accounts' owner)")
    settings = _settings(data, where)

    exports: list[Export] = []
    seen: dict[Path, int] = {}
    for n, entry in enumerate(_tables(data, "files", where)):
        ctx = f"{where}: [[files]] #{n + 1}"
        if "path" not in entry:
            raise HouseholdError(f"{ctx}: needs a path")
        bad = set(entry) - _FILE_KEYS
        if bad:
            raise HouseholdError(f"{ctx}: unknown key(s) {sorted(bad)}; allowed: "
                                 f"{', '.join(sorted(_FILE_KEYS))}")
        for key in _FILE_KEYS:
            _text(entry, key, ctx, numbers=key == "account")
        f = (path.parent / entry["path"]).resolve()
        if not f.exists():
            raise HouseholdError(f"{ctx}: file {entry['path']!r} not found (looked at {f})")
        if not f.is_file():
            raise HouseholdError(f"{ctx}: {entry['path']!r} is not a file (looked at {f})")
        if f in seen:
            raise HouseholdError(f"{ctx}: file {entry['path']!r} is already listed as "
                                 f"[[files]] #{seen[f]}")
        seen[f] = n + 1
        exports.append(load_export(f, format=entry.get("format"),
                                   account=_text(entry, "account", ctx, numbers=True),
                                   symbol=entry.get("symbol")))

    declared = _declared_accounts(data, where)
    accts, mapping, warnings = _match_accounts(exports, declared, where)
    for e in exports:
        warnings.extend(f"{e.path.name}: {note}" for note in e.notes)

    prov: list[dict] = []
    skipped: list[pd.DataFrame] = [_rename(e.skipped, mapping, i)
                                   for i, e in enumerate(exports)]
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

    pending = concat_frames([_rename(e.pending, mapping, i) for i, e in enumerate(exports)],
                            PENDING)
    stray = ~pending["account"].isin([a.account for a in accts])
    for r in pending[stray].itertuples(index=False):
        warnings.append(f"{r.source_file} line {r.source_line}: pending activity of account "
                        f"{r.account} (${r.amount:,.2f}), which is not one of the household's, "
                        "is left out")
    pending = pending[~stray]
    skipped_df = validate_skipped(concat_frames(
        [validate_skipped(s) for s in skipped], SKIPPED), where=where)
    as_of = _as_of(h, exports, transactions, where)
    for a in accts:
        if a.declared and not any(v == a.account for v in mapping.values()):
            warnings.append(f"account {a.account}: declared but no export mentions it")
    household = Household.from_frames(
        name=str(h.get("name", path.stem)),
        profile=profile,
        as_of=as_of,
        targets=targets,
        subtargets=subtargets,
        accounts=pd.DataFrame([{
            "account": a.account,
            "account_key": str(account_key(a.account)),
            "name": a.name,
            "owner": a.owner,
            "custodian": a.custodian,
            "tax_type": a.tax_type,
            "tax_type_inferred": a.inferred,
            "cost_basis_method": a.cost_basis_method,
        } for a in accts]),
        positions=positions if len(positions) else POSITIONS.empty(),
        lots=lots if len(lots) else LOTS.empty(),
        transactions=transactions if len(transactions) else TRANSACTIONS.empty(),
        realized=realized if len(realized) else REALIZED.empty(),
        skipped=skipped_df,
        pending=pending,
        harvest_log=_harvest_log(settings, path, where),
        contributions=contributions,
        securities=master,
        provenance=pd.DataFrame(prov, columns=["file", "format", "frame", "key", "rows", "used",
                                               "reason"]),
        warnings=warnings,
        exports=exports,
        path=path,
        people={p["name"]: dict(p) for p in people},
        settings=settings,
        rules=rules,
        where=where,
    )
    # The one replay of the history: lots rebuilt for taxable holdings no file gives lots
    # for (where the history explains the position), and the reconciliation, kept.
    household = replay_household(household)
    household = _with_log_sales(household)
    if strict:
        gaps = household.not_loaded()
        if gaps:
            raise HouseholdError(f"{where}: strict loading: {len(gaps)} holding(s) have rows "
                                 "that could not be read: " + " | ".join(gaps))
    return household


def _with_log_sales(h: Household) -> Household:
    """The household with the harvest log's sales that no realised row shows yet added."""
    if h.harvest_log.empty:
        return h
    name = Path(str(h.settings["harvest_log"])).name
    add = log_sales(h.harvest_log, h.realized, source=name)
    if add.empty:
        return h
    prov = pd.concat([h.provenance, pd.DataFrame([{
        "file": name, "format": "harvest_log", "frame": "realized", "key": f"{a} {s}",
        "rows": len(g), "used": True,
        "reason": "harvests in the log that no broker file or history shows yet"}
        for (a, s), g in add.groupby(["account", "symbol"], sort=True)])], ignore_index=True)
    notes = [f"account {r.account} {r.symbol}: the harvest log's sale of {r.quantity:g} "
             f"share(s) on {r.sold.date()} ({name} line {r.source_line}) is in no broker file "
             "or history yet: counted from the log (acquisition date unknown)"
             for r in add.itertuples(index=False)]
    return h.replace(realized=concat_frames([h.realized, add], REALIZED), provenance=prov,
                     warnings=(*h.warnings, *notes), history=h.history)


def _harvest_log(settings: Mapping, path: Path, where: str) -> pd.DataFrame | None:
    """The harvest log ``[settings] harvest_log`` names (relative to the file), or None."""
    name = settings.get("harvest_log")
    if name is None:
        return None
    f = (path.parent / name).resolve()
    ctx = f"{where}: [settings]: harvest_log = {name!r}"
    if not f.is_file():
        raise HouseholdError(f"{ctx}: no such file (looked at {f})")
    try:
        return read_log(f).frame
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise HouseholdError(f"{ctx}: cannot be read as a harvest log ({exc})") from exc


def _as_of(h: Mapping, exports: list[Export], transactions: pd.DataFrame,
           where: str) -> pd.Timestamp:
    if "as_of" in h:
        v = h["as_of"]
        if not isinstance(v, str | datetime.date):
            raise HouseholdError(f"{where}: [household]: as_of = {v!r} is not a date (write "
                                 "as_of = 2026-11-20)")
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
