"""The cycle progress chart of 考核周期: per stage, how many appraisals finished it on time or late and how many
are still in it (inside or past its due date). Okabe–Ito colours (colour-blind safe), translated titles and
tooltips."""

from __future__ import annotations

import altair as alt
import polars as pl

from ui.i18n import t

# part of a stage -> Okabe–Ito colour
PARTS: dict[str, str] = {
    "on_time": "#009E73",
    "late": "#E69F00",
    "waiting": "#56B4E9",
    "overdue": "#D55E00",
}


def progress_long(stages: pl.DataFrame) -> pl.DataFrame:
    """The :func:`core.cycle.cycle_progress` stage table as (stage label, part label, count) rows."""
    from ui.appraisal import stage_label

    rows = []
    for order, r in enumerate(stages.iter_rows(named=True)):
        waiting = max((r["in_stage"] or 0) - (r["overdue"] or 0), 0)
        counts = {"on_time": r["on_time"], "late": r["late"], "waiting": waiting, "overdue": r["overdue"]}
        for part_order, (part, n) in enumerate(counts.items()):
            rows.append(
                {
                    "stage": stage_label(r["stage"]),
                    "order": order,
                    "part": t(f"cyc.part.{part}"),
                    "part_order": part_order,
                    "n": int(n or 0),
                }
            )
    return pl.DataFrame(
        rows,
        schema={"stage": pl.String, "order": pl.Int64, "part": pl.String, "part_order": pl.Int64, "n": pl.Int64},
        orient="row",
    )


def progress_chart(stages: pl.DataFrame) -> alt.Chart:
    """Stacked horizontal bars: one bar per stage, split into on time / late / in stage / overdue."""
    data = progress_long(stages)
    stage_sort = data.unique("stage", maintain_order=True).get_column("stage").to_list()
    parts = [t(f"cyc.part.{p}") for p in PARTS]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("n:Q", title=t("cyc.chart.count"), stack="zero", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(
                "stage:N",
                sort=stage_sort,
                title=t("cyc.chart.stage"),
                axis=alt.Axis(titleAngle=0, titleAlign="right", titleX=0, titleY=-8, labelOverlap=False),
            ),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=parts, range=list(PARTS.values())),
                sort=parts,
                title=t("cyc.chart.part"),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("part_order:Q"),
            tooltip=[
                alt.Tooltip("stage:N", title=t("cyc.chart.stage")),
                alt.Tooltip("part:N", title=t("cyc.chart.part")),
                alt.Tooltip("n:Q", title=t("cyc.chart.count")),
            ],
        )
        .properties(height=alt.Step(30))
    )
