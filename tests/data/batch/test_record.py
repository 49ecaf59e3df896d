"""The batch record's declared fields: ``batch.truncated`` is typed, written only when
something was cut, and read back from lines written before it was declared."""

from __future__ import annotations

import json

from optiscribe.data.batch import Problem
from optiscribe.data.batch.record import BatchMeta, BatchRecord, make_record


def test_truncated_is_a_declared_typed_field() -> None:
    assert BatchMeta.model_fields["truncated"].annotation == tuple[str, ...]
    assert BatchMeta().truncated == ()


def test_a_cut_text_is_named_under_batch_truncated(monkeypatch) -> None:
    from optiscribe.data.batch import record

    monkeypatch.setattr(record, "MAX_STORED_CHARS", 10)
    p = Problem(id="a", question="q", line=1, fields={"id": "a", "text": "x" * 25})
    line = make_record(p, {"status": "optimal", "raw": "y" * 12}, None, 0.5)
    assert line["batch"]["truncated"] == ["result.raw (12 chars)", "input.text (25 chars)"]
    rec = BatchRecord.from_line(json.loads(json.dumps(line)))
    assert rec.batch.truncated == ("result.raw (12 chars)", "input.text (25 chars)")
    assert rec.result == {"status": "optimal", "raw": "y" * 10}


def test_nothing_cut_writes_no_truncated_key_and_old_lines_still_read() -> None:
    p = Problem(id="b", question="q", line=1, fields={"id": "b"})
    line = make_record(p, {"status": "optimal", "objective": 3.0}, None, 0.1)
    assert "truncated" not in line["batch"]
    assert BatchRecord.from_line(line).to_line() == line
    # a line as written before the field was declared (schema /1 and /2 alike)
    for schema in ("optiscribe.batch/1", "optiscribe.batch/2"):
        old = dict(
            line, schema=schema, batch={"elapsed_s": 1.0, "truncated": ["input.text (9 chars)"]}
        )
        assert BatchRecord.from_line(old).batch.truncated == ("input.text (9 chars)",)
