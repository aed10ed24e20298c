"""bench/cycle.py runs end to end at a tiny size and reports the counts it opened and scored."""

from __future__ import annotations

import re

from bench import cycle as bench


def test_cycle_bench_runs_and_counts_right(capsys) -> None:
    assert bench.main(["--employees", "50", "--items", "10", "--sample", "10"]) == 0
    out = capsys.readouterr().out
    opened = re.search(r"\(a\) open_cycle .* appraisals=(\d+) items=(\d+) skipped=(\d+)", out)
    assert opened, out
    assert [int(x) for x in opened.groups()] == [50, 500, 0]
    # 7 of every 10 items are objective (linear, ratio, lower_better, deduction): one actual each
    scored = re.search(r"actuals=(\d+) .* of (\d+) appraisals / (\d+) items.* with_total=(\d+)", out)
    assert scored, out
    assert [int(x) for x in scored.groups()] == [350, 50, 500, 50]
    dist = re.search(r"\(c\) distribution .* people=(\d+) grades (A=\d+) (B=\d+) (C=\d+)", out)
    assert dist, out
    assert dist.group(1) == "50" and sum(int(g.split("=")[1]) for g in dist.groups()[1:]) == 50
    assert re.search(r"ratio_vs_naive=\d+\.\d", out), out
    assert re.search(r"peak RSS \d+ MB", out), out
