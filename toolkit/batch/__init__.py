"""The book of households: batch checkups and plans over many households, on Dask.

A book is a folder of household files (or a manifest CSV listing them, with a model,
advisor and tags per household). :func:`run` reads each household on a Dask worker, runs
the tasks (drift, checkup, harvest, RMDs, plan) and returns tidy frames keyed by household,
with a ``failures`` frame for what could not be done; results are written per household as
they finish, so a run can be resumed. :func:`generate_book` writes realistic books for tests
and benchmarks; :mod:`toolkit.model_portfolio` merges shared models into household files.
"""

from toolkit.batch.book import Book, Entry, load_book
from toolkit.batch.generate import GeneratedBook, generate_book
from toolkit.batch.plots import plot_book_drift
from toolkit.batch.result import BookResult
from toolkit.batch.run import local_cluster, read_results, run
from toolkit.batch.tasks import FRAMES, TASKS, household_results, load_entry, plan_frames
from toolkit.model_portfolio import MODEL_SECTIONS, merge_model, read_model, resolve_model

__all__ = [
    "FRAMES",
    "MODEL_SECTIONS",
    "TASKS",
    "Book",
    "BookResult",
    "Entry",
    "GeneratedBook",
    "generate_book",
    "household_results",
    "load_book",
    "load_entry",
    "local_cluster",
    "merge_model",
    "plan_frames",
    "plot_book_drift",
    "read_model",
    "read_results",
    "resolve_model",
    "run",
]
