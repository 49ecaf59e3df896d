"""Benchmark evaluation: scores and the failure taxonomy (:mod:`.score`), reports (:mod:`.report`)."""
