from __future__ import annotations

from pathlib import Path

import pytest

from optiscribe.formulate.jsonl import iter_objects
from optiscribe.solvers.errors import InputError


def test_objects_with_their_place_and_blank_lines_skipped(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1}\n\n{"id": 2}\n')
    assert [(w.rsplit(":", 1)[1], o["id"]) for w, o in iter_objects(p)] == [("1", 1), ("3", 2)]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"id": 1}\n{"id": \n', ":2: not valid JSON"),
        ('{"id": 1}\n[1, 2]\n', ":2: each line must be a JSON object, found list"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, text: str, fragment: str) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text(text)
    with pytest.raises(InputError, match=fragment):
        list(iter_objects(p))


def test_unreadable_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read replay file"):
        list(iter_objects(tmp_path / "none.jsonl", what="replay file"))
    p = tmp_path / "latin.jsonl"
    p.write_bytes(b'{"q": "\xe9"}\n')
    with pytest.raises(InputError, match="not UTF-8"):
        list(iter_objects(p))
