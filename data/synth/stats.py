"""Summary statistics of a generated set: what a reader needs to judge its coverage.

Families, difficulties and statuses; model sizes (variables, rows, integer variables);
constraint types (the families' feature tags); text lengths in words and characters.
Works on :class:`~optiscribe.data.synth.generate.Record` objects or their JSON dicts, so it also
reads files written by other versions of the generator.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from optiscribe.data.synth.generate import Record

__all__ = ["compute_stats", "stats_markdown"]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"min": 0, "median": 0, "mean": 0, "max": 0}
    return {
        "min": min(values),
        "median": statistics.median(values),
        "mean": round(statistics.fmean(values), 1),
        "max": max(values),
    }


def compute_stats(records: Iterable[Record | Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and size/length summaries, overall and per family."""
    recs = [r if isinstance(r, Record) else Record.from_dict(dict(r)) for r in records]
    per_family: dict[str, dict[str, list[float]]] = {}
    features: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for r in recs:
        m = r.meta
        d = per_family.setdefault(r.family, {"vars": [], "rows": [], "ints": [], "words": []})
        d["vars"].append(m.get("n_vars", 0))
        d["rows"].append(m.get("n_rows", 0))
        d["ints"].append(m.get("n_int", 0))
        d["words"].append(len(r.question.split()))
        features.update(m.get("features", []))
        kinds[m.get("kind", "?")] += 1
    words = [len(r.question.split()) for r in recs]
    chars = [len(r.question) for r in recs]
    return {
        "records": len(recs),
        "families": dict(sorted(Counter(r.family for r in recs).items())),
        "difficulty": dict(sorted(Counter(r.difficulty for r in recs).items())),
        "status": dict(sorted(Counter(r.status for r in recs).items())),
        "kind": dict(sorted(kinds.items())),
        "constraint_types": dict(features.most_common()),
        "text_words": _summary([float(x) for x in words]),
        "text_chars": _summary([float(x) for x in chars]),
        "n_vars": _summary([float(r.meta.get("n_vars", 0)) for r in recs]),
        "n_rows": _summary([float(r.meta.get("n_rows", 0)) for r in recs]),
        "per_family": {
            fam: {
                "records": len(d["vars"]),
                "vars": _summary(d["vars"]),
                "rows": _summary(d["rows"]),
                "int_vars": _summary(d["ints"]),
                "words": _summary(d["words"]),
            }
            for fam, d in sorted(per_family.items())
        },
    }


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def stats_markdown(stats: Mapping[str, Any]) -> str:
    """The statistics as Markdown tables (what ``docs/synthetic-data.md`` quotes)."""
    out = [f"Records: **{stats['records']}**", ""]
    for key in ("difficulty", "status", "kind"):
        out.append(f"- {key}: " + ", ".join(f"{k} {v}" for k, v in stats[key].items()))
    w, c = stats["text_words"], stats["text_chars"]
    out.append(
        f"- text length: {_fmt(w['min'])}–{_fmt(w['max'])} words (median {_fmt(w['median'])}, "
        f"mean {_fmt(w['mean'])}); {_fmt(c['min'])}–{_fmt(c['max'])} characters"
    )
    out += [
        "",
        "| family | records | variables (median / max) | rows (median / max) | integer vars (median) | words (median) |",
        "|---|---|---|---|---|---|",
    ]
    for fam, d in stats["per_family"].items():
        out.append(
            f"| {fam} | {d['records']} | {_fmt(d['vars']['median'])} / {_fmt(d['vars']['max'])} | "
            f"{_fmt(d['rows']['median'])} / {_fmt(d['rows']['max'])} | {_fmt(d['int_vars']['median'])} | "
            f"{_fmt(d['words']['median'])} |"
        )
    out += ["", "| constraint type | records using it |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in stats["constraint_types"].items()]
    return "\n".join(out) + "\n"
