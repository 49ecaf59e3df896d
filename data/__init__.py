"""optiscribe.data: benchmarks, the batch runner and the evaluation.

The sub-packages own the details (``benchmarks``, ``gold/``, ``synth/``, ``batch/``,
``eval/``); the names here are the ones a user of the library needs to load a benchmark,
run many problems and score the results::

    from optiscribe.data import RunSpec, load_benchmark, run_batch, run_eval
"""

from __future__ import annotations

from optiscribe.data.batch import RunSpec, run_batch
from optiscribe.data.benchmarks import (
    BenchmarkRecord,
    list_benchmarks,
    load_benchmark,
    shared_data_dir,
)
from optiscribe.data.errors import ConversionError, DataError
from optiscribe.data.eval.score import Failure, Tolerance, read_outcomes, run_eval, score

__all__ = [
    "BenchmarkRecord",
    "ConversionError",
    "DataError",
    "Failure",
    "RunSpec",
    "Tolerance",
    "list_benchmarks",
    "load_benchmark",
    "read_outcomes",
    "run_batch",
    "run_eval",
    "score",
    "shared_data_dir",
]
