"""Batch formulation: thousands of problems at once, concurrent, resumable and loss-free.

``optiscribe batch IN.jsonl OUT.jsonl`` runs one per-problem function (by default
:func:`optiscribe.formulate.pipeline.solve_text`) over every ``{id, question, ...}`` line
of the input and appends one result line per problem to the output.

Why it is built the way it is:

* **Loss-free and exactly once.** Results are the only state. Each one is appended as a
  single ``write`` of one complete line and made durable with ``fsync`` before the run
  counts it as done (results that finish together share one ``fsync``). A rerun reads
  the output, skips every id already there and appends the rest. A kill can only tear
  the *last* line (everything before it was fsynced); a last line without its newline
  is therefore never trusted: it is cut off on resume and that problem runs again.
* **Flat memory.** The input is streamed, never loaded: the run holds the set of ids
  (seen, done) and at most ``concurrency`` problems in flight, so 10,000 problems cost
  what 1,000 cost plus the ids.
* **Concurrency where it helps.** LLM requests wait on the network and solver work needs
  a core, so the ``local`` executor starts one worker process per core (solver work
  spreads over the cores) and runs several problems on threads inside each worker (many
  LLM requests in flight). The parent process only dispatches and writes.
* **One failing problem never stops the others.** Anything the per-problem function
  raises becomes a failure record with the error's type and message; a worker process
  that dies (a crash in native code) is replaced and its in-flight problems are retried
  once, then recorded as failed with the reason.
* **Ctrl-C stops cleanly.** SIGINT/SIGTERM set a flag; the loop stops dispatching,
  keeps every result already written, stops the workers and reports how to resume.

Executors: ``local`` (processes x threads, the default), ``thread`` (everything in this
process; for backends that cannot be rebuilt from configuration, such as a
:class:`~optiscribe.formulate.llm.scripted.ScriptedBackend` in tests) and ``ray`` (the same tasks
on a Ray cluster, optional extra ``optiscribe[ray]``).
"""

from __future__ import annotations

from optiscribe.data.batch.executors import DEFAULT_FUNCTION, RunSpec, run_one
from optiscribe.data.batch.input import (
    MAX_INPUT_LINE_BYTES,
    MAX_INPUT_NESTING,
    InputIssue,
    InputScan,
    Problem,
    read_problems,
    scan_input,
)
from optiscribe.data.batch.record import BATCH_SCHEMA, MAX_STORED_CHARS, BatchRecord, make_record
from optiscribe.data.batch.run import EXECUTORS, BatchStats, run_batch
from optiscribe.data.batch.store import OK_STATUSES, ResultStore, StoreState

__all__ = [
    "BatchRecord",
    "BatchStats",
    "DEFAULT_FUNCTION",
    "EXECUTORS",
    "InputIssue",
    "InputScan",
    "MAX_INPUT_LINE_BYTES",
    "MAX_INPUT_NESTING",
    "MAX_STORED_CHARS",
    "OK_STATUSES",
    "Problem",
    "RESULT_SCHEMA",
    "ResultStore",
    "RunSpec",
    "StoreState",
    "make_record",
    "read_problems",
    "run_batch",
    "run_one",
    "scan_input",
]

RESULT_SCHEMA = BATCH_SCHEMA
"""``schema`` field of every result line (:mod:`.record`); bumped when the layout changes."""
