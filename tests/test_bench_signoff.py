"""bench/signoff.py runs end to end at a tiny size: every document rendered, signed and verified."""

from __future__ import annotations

import re

from bench import signoff as bench


def test_signoff_bench_runs_and_verifies_every_document(capsys) -> None:
    assert bench.main(["--people", "4", "--items", "7", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    for step in ("(a) read", "(b) render+sign", "(b') record", "(c) verify"):
        assert re.search(rf"{re.escape(step)} .* 4 documents .* documents/s", out), out
    assert re.search(r"render alone .* 4 documents .*\(the baseline\)", out), out
    assert re.search(r"render\+sign on the pool vs rendering alone: \d+\.\d\d×", out), out
    assert "problems=0" in out
    assert re.search(r"projected for a 420-person cycle: \d+\.\d s as measured .* \d+\.\d s from the CPU times", out)
