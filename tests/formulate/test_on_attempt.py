"""``on_attempt``: each attempt reaches the caller as soon as it is checked, in order."""

from __future__ import annotations

from optiscribe.formulate import ScriptedBackend
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.pipeline import solve_text


def test_attempts_arrive_in_order_before_the_result() -> None:
    ex = load_example("furniture")
    seen = []
    backend = ScriptedBackend(["not json", ex.formulation.to_json()])

    def on_attempt(a: object) -> None:
        seen.append((a, len(backend.calls)))  # the call count when it arrived

    r = solve_text(ex.text, backend=backend, on_attempt=on_attempt)
    assert [a for a, _ in seen] == list(r.history)
    assert [calls for _, calls in seen] == [1, 2]  # the first came before the second request
    assert seen[0][0].feedback is not None and seen[1][0].accepted


def test_every_sample_reports_its_attempts() -> None:
    ex = load_example("furniture")
    seen = []
    r = solve_text(
        ex.text,
        backend=ScriptedBackend([ex.formulation.to_json()] * 2),
        samples=2,
        on_attempt=seen.append,
    )
    assert sorted(a.sample for a in seen) == [0, 1] and r.confidence == 1.0
