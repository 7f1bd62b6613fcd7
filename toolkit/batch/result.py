"""What a batch returns: the book's tidy frames, which households need attention, a summary.

:class:`BookResult` holds one frame per result (:data:`toolkit.batch.tasks.FRAMES`), every
one keyed by a ``household`` column, built from the per-household frames the workers send
back (and, on a resumed run, those read back from the output folder).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.batch.report import mask_book_frame, write_book_xlsx
from toolkit.batch.tasks import FAILURE_COLUMNS, FRAMES, HOUSEHOLD_COLUMNS, NOT_BANDED

__all__ = ["ATTENTION_COLUMNS", "BookResult", "combine"]

ATTENTION_COLUMNS = ("household", "name", "advisor", "status", "outside_band",
                     "classes_outside", "worst_drift_pp", "harvest_value", "rmd_owed",
                     "plan_tax", "failures", "reasons")


def combine(parts: Mapping[str, Iterable[pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Concatenate per-household frames into one frame per result, in household order.

    Parameters
    ----------
    parts : mapping of str to iterable of DataFrame
        Frame name -> per-household frames (each with a ``household`` column).

    Returns
    -------
    dict of str to DataFrame
        Every name of :data:`~toolkit.batch.tasks.FRAMES`, empty frames included (the
        ``households`` and ``failures`` frames keep their columns when empty), sorted by
        ``household`` (stable: rows of one household stay in their order).
    """
    out: dict[str, pd.DataFrame] = {}
    for name in FRAMES:
        frames = list(parts.get(name, ()))
        full = [f for f in frames if len(f)]
        if full:
            df = pd.concat(full, ignore_index=True)
        elif frames:
            df = frames[0].iloc[0:0].copy()
        elif name == "households":
            df = pd.DataFrame(columns=list(HOUSEHOLD_COLUMNS))
        elif name == "failures":
            df = pd.DataFrame(columns=list(FAILURE_COLUMNS))
        else:
            df = pd.DataFrame(columns=["household"])
        if len(df):
            df = df.sort_values("household", kind="stable").reset_index(drop=True)
        out[name] = df
    return out


@dataclass
class BookResult:
    """The results of a book, one tidy frame per result.

    Attributes
    ----------
    frames : dict of str to DataFrame
        ``households`` (one row per household: status, value, counts, ``outside_band``,
        ``harvest_value``, ``rmd_owed``, ``plan_tax``, seconds, worker), ``accounts``,
        ``drift`` (by class, with ``band_status``), ``checkup`` (findings), ``harvest``
        (candidate lots with their ``tax_value``), ``rmd`` (RMDs by account), ``plan`` (one
        summary row per household), ``trades``, ``orders`` (when the planner makes them) and
        ``failures`` (``household``, ``file``, ``task``, ``error_type``, ``message``).
    timings : dict
        ``households`` (in the book), ``run`` (run now), ``resumed`` (read back from
        ``out``), ``seconds`` (wall clock), ``first_result_s`` (seconds to the first
        household back), ``households_per_second``, ``workers``.
    out : Path or None
        The output folder, when results were written.
    """

    frames: dict[str, pd.DataFrame]
    timings: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def households(self) -> pd.DataFrame:
        """One row per household (see :data:`~toolkit.batch.tasks.HOUSEHOLD_COLUMNS`)."""
        return self.frames["households"]

    @property
    def failures(self) -> pd.DataFrame:
        """One row per failed household or task: file, task, error type, message."""
        return self.frames["failures"]

    def attention(self) -> pd.DataFrame:
        """Households that need a look, most urgent first.

        A household needs attention when it failed (or a task did), is outside its band,
        has harvestable losses worth something this year, or owes an RMD.

        Returns
        -------
        DataFrame
            :data:`ATTENTION_COLUMNS`: ``classes_outside`` (``"us_equity above; bonds
            below"``), ``worst_drift_pp`` (largest absolute drift, percentage points),
            ``harvest_value``, ``rmd_owed``, ``plan_tax`` (dollars), ``failures`` (count) and
            ``reasons`` (words). Sorted by failures, then outside band, then worst drift.
        """
        h = self.households
        if h.empty:
            return pd.DataFrame(columns=list(ATTENTION_COLUMNS))
        d = self.frames["drift"]
        out = h[["household", "name", "advisor", "status", "outside_band", "harvest_value",
                 "rmd_owed", "plan_tax"]].copy()
        if len(d):
            cls = d[~d["asset_class"].isin(NOT_BANDED)]
            outside = cls[cls["outside"].astype(bool)]
            words = outside.groupby("household", sort=False).apply(
                lambda g: "; ".join(f"{c} {s}" for c, s in zip(g["asset_class"],
                                                               g["band_status"], strict=True)),
                include_groups=False)
            worst = cls.assign(a=cls["drift"].abs() * 100).groupby("household")["a"].max()
            out["classes_outside"] = out["household"].map(words).fillna("")
            out["worst_drift_pp"] = out["household"].map(worst).astype("float64")
        else:
            out["classes_outside"] = ""
            out["worst_drift_pp"] = float("nan")
        nfail = self.failures.groupby("household").size() if len(self.failures) else {}
        out["failures"] = out["household"].map(nfail).fillna(0).astype("int64")
        reasons = []
        for r in out.itertuples(index=False):
            why = []
            if r.failures:
                why.append("failed" if r.status == "failed" else "a task failed")
            if pd.notna(r.outside_band) and bool(r.outside_band):
                why.append("outside band")
            if pd.notna(r.harvest_value) and r.harvest_value >= 0.005:
                why.append(f"harvest worth ${r.harvest_value:,.0f}")
            if pd.notna(r.rmd_owed) and r.rmd_owed >= 0.005:
                why.append(f"RMD ${r.rmd_owed:,.0f}")
            reasons.append("; ".join(why))
        out["reasons"] = pd.Series(reasons, index=out.index, dtype="str")
        out = out[out["reasons"] != ""]
        out = out.assign(_o=out["outside_band"].fillna(False).astype(bool)).sort_values(
            ["failures", "_o", "worst_drift_pp"], ascending=False, kind="stable",
            na_position="last")
        return out.drop(columns="_o").reindex(columns=list(ATTENTION_COLUMNS)).reset_index(
            drop=True)

    def summary(self) -> pd.DataFrame:
        """The book in a few numbers.

        Returns
        -------
        DataFrame
            Columns ``item``, ``value``, ``unit``: households (in the book, complete,
            failed, with a failed task), households outside band, harvestable value (sum of
            each household's harvest value, dollars), households owing an RMD and RMDs owed
            (dollars), tax of the plans (dollars), trades, households per second.
        """
        h = self.households
        p = self.frames["plan"]
        ok = h["status"].eq("ok") if len(h) else pd.Series(dtype=bool)

        def total(col: str) -> float:
            return round(float(h[col].sum()), 2) if len(h) and col in h else 0.0

        rows = [
            ("households", int(self.timings.get("households", len(h))), "count"),
            ("households complete", int(ok.sum()), "count"),
            ("households that failed to load",
             int(h["status"].eq("failed").sum()) if len(h) else 0, "count"),
            ("households with a failed task",
             int(h["status"].eq("incomplete").sum()) if len(h) else 0, "count"),
            ("households outside band",
             int(h["outside_band"].fillna(False).astype(bool).sum()) if len(h) else 0, "count"),
            ("harvestable loss value this year", total("harvest_value"), "dollars"),
            ("households owing an RMD",
             int((h["rmd_owed"].fillna(0) >= 0.005).sum()) if len(h) else 0, "count"),
            ("RMDs owed", total("rmd_owed"), "dollars"),
            ("tax of the plans", round(float(p["tax"].sum()), 2) if "tax" in p else 0.0,
             "dollars"),
            ("trades planned", int(p["trades"].sum()) if "trades" in p else 0, "count"),
            ("households per second", round(float(self.timings.get(
                "households_per_second", float("nan"))), 3), "rate"),
        ]
        return pd.DataFrame(rows, columns=["item", "value", "unit"])

    def masked(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` (one of this book's frames, or a selection of one) with account ids masked.

        The one masking rule (:class:`toolkit.accounts.AccountMasker`), household by
        household: masks are unique within each household, in account columns and free
        text (a failure's message, a trade's reason) alike.

        Parameters
        ----------
        df : DataFrame

        Returns
        -------
        DataFrame
            A copy; ``df`` is left unchanged.
        """
        return mask_book_frame(df, self)

    def to_xlsx(self, path: str | Path, *, mask_accounts: bool = True) -> Path:
        """Write the book report workbook (see :func:`toolkit.batch.report.write_book_xlsx`).

        Parameters
        ----------
        path : str or Path
        mask_accounts : bool, default True
            Show account ids masked (:meth:`masked`), everywhere.

        Returns
        -------
        Path
        """
        return write_book_xlsx(self, path, mask_accounts=mask_accounts)
