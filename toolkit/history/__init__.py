"""Transaction histories: lots replayed from them, and where lots become trusted.

:func:`rebuild_lots` replays a history into open lots and matched sales
(:mod:`toolkit.history.replay`); :func:`replay_household` is the household's one replay, kept
with it (:mod:`toolkit.history.trusted`); :func:`reconcile` says whether each holding's lots
explain its position (:mod:`toolkit.history.reconciliation`).
"""

from toolkit.history.reconciliation import (
    COLUMNS,
    STATUSES,
    reconcile,
    reconcile_frames,
    reconciliation_summary,
    replay_for,
)
from toolkit.history.replay import (
    IMPLIED_COLUMNS,
    UNMATCHED_COLUMNS,
    WASH_COLUMNS,
    HistoryResult,
    rebuild_lots,
)
from toolkit.history.trusted import (
    HouseholdLots,
    HouseholdSales,
    lots_from_history,
    replay_household,
    sales_from_history,
)

__all__ = [
    "COLUMNS",
    "IMPLIED_COLUMNS",
    "STATUSES",
    "UNMATCHED_COLUMNS",
    "WASH_COLUMNS",
    "HistoryResult",
    "HouseholdLots",
    "HouseholdSales",
    "lots_from_history",
    "rebuild_lots",
    "reconcile",
    "reconcile_frames",
    "reconciliation_summary",
    "replay_for",
    "replay_household",
    "sales_from_history",
]
