"""Models shared across households: one TOML file, many household files.

A model file holds any of the household file's shareable sections (:data:`MODEL_SECTIONS`:
``[targets]``, ``[subtargets]``, ``[settings]`` and ``[funds]``, the fund to buy per asset
class). A household file names it in ``[household]`` (``model = "models/growth.toml"``, the
path relative to the household file) and its own keys override the model's, key by key:
tables merge recursively, any other value (a number, a string, an array) replaces the
model's. :func:`merge_model` is the pure merge; :func:`resolve_model` reads the model a
household names and merges it, so a loader can call it on the parsed TOML before anything
else and never see the ``model`` key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import HouseholdError

__all__ = ["MODEL_SECTIONS", "merge_model", "read_model", "resolve_model"]

#: Sections a model file may hold (everything else in a household file is the household's own).
MODEL_SECTIONS = ("targets", "subtargets", "settings", "funds")


def read_model(path: str | Path) -> dict:
    """Read and check a model file.

    Parameters
    ----------
    path : str or Path
        The model TOML file.

    Returns
    -------
    dict
        Its sections (only those of :data:`MODEL_SECTIONS`), each a table.

    Raises
    ------
    HouseholdError
        If the file is missing or not valid TOML, or holds a section a model cannot hold
        (``[household]``, ``[[accounts]]``, ``[[files]]`` ...) or a section that is not a table.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HouseholdError(f"{path}: no such model file") from exc
    except UnicodeDecodeError as exc:
        raise HouseholdError(f"{path}: the model file is not UTF-8 (byte 0x"
                             f"{exc.object[exc.start]:02x} at offset {exc.start})") from exc
    except OSError as exc:  # a directory, no permission
        raise HouseholdError(f"{path}: the model file cannot be read "
                             f"({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HouseholdError(f"{path}: model file is not valid TOML ({exc})") from exc
    bad = sorted(set(data) - set(MODEL_SECTIONS))
    if bad:
        raise HouseholdError(f"{path}: a model file may hold only "
                             f"{', '.join(f'[{s}]' for s in MODEL_SECTIONS)}; found "
                             f"{', '.join(bad)} (keep those in each household file)")
    for k, v in data.items():
        if not isinstance(v, Mapping):
            raise HouseholdError(f"{path}: {k} must be a table ([{k}]), not {type(v).__name__}")
    return data


def _merge(base: Mapping, over: Mapping, where: str) -> dict:
    out: dict = dict(base)
    for k, v in over.items():
        if k in out and isinstance(out[k], Mapping) != isinstance(v, Mapping):
            mine = "table" if isinstance(v, Mapping) else "value"
            theirs = "table" if isinstance(out[k], Mapping) else "value"
            raise HouseholdError(f"{where}.{k}: the household gives a {mine} where the model "
                                 f"has a {theirs}")
        if isinstance(v, Mapping) and k in out:
            out[k] = _merge(out[k], v, f"{where}.{k}")
        else:
            out[k] = v
    return out


def merge_model(household: Mapping[str, Any], model: Mapping[str, Any], *,
                household_file: str | Path = "household file",
                model_file: str | Path = "model file") -> dict:
    """Merge a model's sections under a household file's own keys (a pure function).

    Parameters
    ----------
    household : mapping
        The household file, parsed (``tomllib``). A ``model`` key in ``[household]`` is
        dropped from the result.
    model : mapping
        The model file, parsed (:func:`read_model` checks it).
    household_file, model_file : str or Path
        Names used in error messages.

    Returns
    -------
    dict
        A new household mapping: for each section of :data:`MODEL_SECTIONS`, the model's
        table with the household's keys laid over it key by key (nested tables merge; other
        values replace); every other section as the household wrote it. Inputs are not
        changed.

    Raises
    ------
    HouseholdError
        If the model holds a section a model cannot hold; a section is a table in one file
        and a value in the other; or the merged ``[targets]`` do not sum to 1 (the message
        names which weights came from which file).

    Examples
    --------
    >>> merged = merge_model(
    ...     {"household": {"name": "A", "model": "m.toml"}, "targets": {"bonds": 0.3,
    ...      "us_equity": 0.7}},
    ...     {"targets": {"bonds": 0.4, "us_equity": 0.6}, "settings": {"cash_floor": 500}})
    >>> merged["household"], merged["targets"], merged["settings"]
    ({'name': 'A'}, {'bonds': 0.3, 'us_equity': 0.7}, {'cash_floor': 500})
    """
    bad = sorted(set(model) - set(MODEL_SECTIONS))
    if bad:
        raise HouseholdError(f"{model_file}: a model file may hold only "
                             f"{', '.join(f'[{s}]' for s in MODEL_SECTIONS)}; found "
                             f"{', '.join(bad)}")
    out: dict = {}
    for k, v in household.items():
        if k == "household" and isinstance(v, Mapping):
            out[k] = {kk: vv for kk, vv in v.items() if kk != "model"}
        else:
            out[k] = v
    for section in MODEL_SECTIONS:
        if section not in model:
            continue
        mine = household.get(section)
        if mine is None:
            out[section] = _merge({}, model[section], f"[{section}]")
        elif not isinstance(mine, Mapping):
            raise HouseholdError(f"{household_file}: {section} must be a table ([{section}])")
        else:
            try:
                out[section] = _merge(model[section], mine, f"[{section}]")
            except HouseholdError as exc:
                raise HouseholdError(f"{household_file} over model {model_file}: {exc}") from None
    targets = out.get("targets")
    if isinstance(targets, Mapping) and "targets" in model and targets:
        try:
            total = sum(float(v) for v in targets.values())
        except (TypeError, ValueError):
            return out  # a non-number: the loader names it
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            own = household.get("targets") or {}
            parts = ", ".join(f"{c} = {float(w):g} from "
                              f"{household_file if c in own else model_file}"
                              for c, w in targets.items())
            raise HouseholdError(f"{household_file}: [targets] merged with model {model_file} "
                                 f"sum to {total:.6g}, not 1 ({parts})")
    return out


def resolve_model(data: Mapping[str, Any], path: str | Path, *,
                  model: str | Path | None = None) -> dict:
    """The household file with the model it names merged in (or unchanged when none).

    Parameters
    ----------
    data : mapping
        The household file, parsed.
    path : str or Path
        The household file's path (model paths are relative to its folder).
    model : str or Path, optional
        A model assigned from outside (a book's manifest), used when the household file
        names none; relative paths are taken as given (relative to the working directory or
        absolute).

    Returns
    -------
    dict
        :func:`merge_model` of the household and its model; ``data`` itself (as a dict)
        when there is no model.

    Raises
    ------
    HouseholdError
        If ``model`` in ``[household]`` is not a string, the model file cannot be read, the
        household file and ``model`` name different models, or the merge fails.
    """
    path = Path(path)
    h = data.get("household")
    named = h.get("model") if isinstance(h, Mapping) else None
    if named is not None and not isinstance(named, str):
        raise HouseholdError(f"{path}: [household] model = {named!r} must be a path (a string)")
    if named is None and model is None:
        return dict(data)
    own = (path.parent / named).resolve() if named is not None else None
    given = Path(model).resolve() if model is not None else None
    if own is not None and given is not None and own != given:
        raise HouseholdError(f"{path}: names model {named!r} ({own}) but the book assigns "
                             f"{given}; remove one of them")
    model_path = own if own is not None else given
    return merge_model(data, read_model(model_path), household_file=path,
                       model_file=named if named is not None else model_path)
