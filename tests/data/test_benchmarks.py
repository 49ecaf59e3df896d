"""The benchmark loader: format checks on synthetic files, and the real shared data when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiscribe.data import benchmarks as bm
from optiscribe.data.benchmarks import (
    BenchmarkRecord,
    list_benchmarks,
    list_variants,
    load_benchmark,
    read_jsonl,
    shared_data_dir,
)
from optiscribe.data.errors import DataError
from optiscribe.solvers.errors import InputError


def _line(**kw: object) -> str:
    rec = {
        "id": "b/1",
        "source": "B",
        "question": "Maximise x.",
        "answer": 3,
        "answer_status": "original",
        "extra": {"variant": "original"},
    }
    rec.update(kw)
    return json.dumps(rec)


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    """A shared-data root with one benchmark 'toy' and two variants."""
    b = tmp_path / "benchmarks"
    (b / "variants").mkdir(parents=True)
    (b / "toy.jsonl").write_text(
        _line() + "\n\n" + _line(id="b/2", answer=None) + "\n", encoding="utf-8"
    )
    (b / "variants" / "toy.original.jsonl").write_text(_line(answer=4.5) + "\n", encoding="utf-8")
    (b / "variants" / "toy.fixed.jsonl").write_text(_line() + "\n", encoding="utf-8")
    (b / "toy_v1.jsonl").write_text(_line() + "\n", encoding="utf-8")
    (b / "variants" / "toy_v1.a.jsonl").write_text(_line() + "\n", encoding="utf-8")
    return tmp_path


def test_reads_records_and_keeps_other_fields(tiny: Path) -> None:
    recs = load_benchmark("toy", data_dir=tiny)
    assert [r.id for r in recs] == ["b/1", "b/2"]  # the blank line is skipped
    r = recs[0]
    assert isinstance(r, BenchmarkRecord)
    assert r.question == "Maximise x." and r.answer == 3.0 and isinstance(r.answer, float)
    assert recs[1].answer is None
    assert r.source == "B" and r.answer_status == "original" and r.variant == "original"
    with pytest.raises(TypeError):
        r.extra["x"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        r.id = "other"  # type: ignore[misc]


def test_lists_benchmarks_and_variants_without_prefix_confusion(tiny: Path) -> None:
    assert list_benchmarks(tiny) == ["toy", "toy_v1"]
    assert list_variants("toy", data_dir=tiny) == ["fixed", "original"]
    assert list_variants("toy_v1", data_dir=tiny) == ["a"]
    # data_dir may also be the benchmarks folder itself
    assert list_benchmarks(tiny / "benchmarks") == ["toy", "toy_v1"]


def test_variant_and_path(tiny: Path) -> None:
    assert load_benchmark("toy", variant="original", data_dir=tiny)[0].answer == 4.5
    path = tiny / "benchmarks" / "variants" / "toy.original.jsonl"
    assert load_benchmark(path)[0].answer == 4.5
    assert load_benchmark(str(path))[0].answer == 4.5
    with pytest.raises(DataError, match="variant"):
        load_benchmark(path, variant="x")


def test_unknown_names_say_what_exists(tiny: Path) -> None:
    with pytest.raises(DataError, match="did you mean toy"):
        load_benchmark("toyy", data_dir=tiny)
    with pytest.raises(DataError, match="variants: fixed, original"):
        load_benchmark("toy", variant="nope", data_dir=tiny)
    with pytest.raises(DataError, match="does not exist"):
        load_benchmark(tiny / "missing.jsonl")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"id": "x", "answer": 1}), "'question'"),
        (_line(id=""), "'id'"),
        (_line(answer="12"), "'answer' must be a finite number"),
        (_line(answer=True), "'answer' must be a finite number"),
        (_line(extra=[1]), "'extra' must be a JSON object"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(_line() + "\n" + line + "\n", encoding="utf-8")
    # the JSONL layer (formulate.jsonl) raises InputError, the record checks DataError (a subclass)
    with pytest.raises(InputError, match=message) as info:
        read_jsonl(p)
    assert f"{p}:2" in str(info.value)


def test_nan_answer_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "nan.jsonl"
    p.write_text('{"id": "a", "question": "q", "answer": NaN}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"nan.jsonl:1"):
        read_jsonl(p)


def test_clashing_nested_field_is_kept(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(_line(extra={"source": "inner", "k": 1}) + "\n", encoding="utf-8")
    r = read_jsonl(p)[0]
    assert r.source == "B" and r.extra["k"] == 1 and r.extra["extra"]["source"] == "inner"


def test_env_var_wins_and_must_exist(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(bm.ENV_VAR, str(tiny))
    assert shared_data_dir() == tiny
    assert list_benchmarks() == ["toy", "toy_v1"]
    monkeypatch.setenv(bm.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="OPTISCRIBE_SHARED_DATA"):
        shared_data_dir()


def test_missing_everywhere_gives_next_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(bm.ENV_VAR, raising=False)
    monkeypatch.setattr(bm, "_DEFAULT_CANDIDATES", (tmp_path / "a", tmp_path / "b"))
    with pytest.raises(DataError, match="set \\$OPTISCRIBE_SHARED_DATA"):
        shared_data_dir()


def test_bad_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="neither the shared data root"):
        list_benchmarks(tmp_path)


# ------------------------------------------------------------------ the real shared data


def _shared() -> Path | None:
    try:
        return shared_data_dir()
    except DataError:
        return None


needs_shared = pytest.mark.skipif(
    _shared() is None,
    reason="shared benchmark data not found (set OPTISCRIBE_SHARED_DATA to the folder holding benchmarks/)",
)


@needs_shared
def test_every_shared_file_loads_with_the_counts_of_index_json() -> None:
    root = _shared()
    assert root is not None
    index = json.loads((root / "benchmarks" / "index.json").read_text(encoding="utf-8"))
    names = list_benchmarks()
    assert set(index) == set(names)
    for name in names:
        info = index[name]
        assert set(list_variants(name)) == set(info["variants"])
        for variant, vinfo in info["variants"].items():
            recs = load_benchmark(name, variant=variant)
            assert len(recs) == vinfo["count"], (name, variant)
            assert sum(r.answer is not None for r in recs) == vinfo["numeric_answers"], (
                name,
                variant,
            )
            assert len({r.id for r in recs}) == len(recs), f"duplicate ids in {name}.{variant}"
        preferred = load_benchmark(name)
        assert len(preferred) == info["variants"][info["preferred_variant"]]["count"]
        assert all(r.variant == info["preferred_variant"] for r in preferred)
