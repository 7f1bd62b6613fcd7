"""Per-household memo of derived results that do not change while a household is explored.

A loaded :class:`~toolkit.household.Household` is treated as immutable (the toolkit never
mutates it), so results that depend only on it (this year's realised gains after wash sales,
recent purchases, the reconciliation) are computed once per household object. Widgets that
replan on every slider move rely on this.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


def memo(household, key: Hashable, compute: Callable[[], T]) -> T:
    """Return ``compute()`` for ``household`` and ``key``, computing it at most once."""
    cache = household.__dict__.setdefault("_memo", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]
