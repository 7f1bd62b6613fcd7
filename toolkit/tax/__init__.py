"""The tax engine: holding periods, the tax cost of realising gains, lot selection, wash sales
and loss harvesting. Pure functions over canonical frames; no I/O, no display."""

from toolkit.tax.holding import long_term_date, long_term_dates, lot_status, term, terms

__all__ = ["long_term_date", "long_term_dates", "lot_status", "term", "terms"]
