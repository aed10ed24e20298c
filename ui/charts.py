"""Altair chart builders: translated titles and tooltips, colour-blind-safe scales, captions that say
what is shown and on how many people."""

from __future__ import annotations

import altair as alt
import polars as pl

from ui.i18n import t

# The measures a department × period heatmap can colour by, with their Vega format.
HEATMAP_MEASURES = {"mean_score": ".1f", "share_a": ".0%", "share_c": ".0%"}


def _measure_title(measure: str) -> str:
    return t(f"measure.{measure}")


def department_heatmap(cells: pl.DataFrame, measure: str) -> alt.Chart:
    """Departments (rows) × periods (columns) coloured by ``measure`` (viridis: colour-blind safe),
    with the number of people behind each cell in the tooltip.

    ``cells`` is :func:`core.analytics.department_period_scores` output; hidden cells are left blank.
    """
    fmt = HEATMAP_MEASURES[measure]
    periods = cells.get_column("period").unique(maintain_order=True).to_list()
    data = cells.filter(pl.col(measure).is_not_null()).with_columns(
        pl.col("department").fill_null(t("overview.no_department"))
    )
    departments = sorted(data.get_column("department").unique().to_list())
    scale = alt.Scale(scheme="viridis", domain=[0, 1]) if fmt.endswith("%") else alt.Scale(scheme="viridis")
    return (
        alt.Chart(data.select("department", "period", measure, "people", "scored", "graded"))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "period:O",
                sort=periods,
                title=t("chart.period"),
                axis=alt.Axis(labelAngle=0 if len(periods) <= 8 else -45),
            ),
            # A horizontal title above the labels: Chinese set vertically would be turned on its side.
            y=alt.Y(
                "department:N",
                sort=departments,
                title=t("chart.department"),
                # every department named: Vega would otherwise drop labels it thinks crowded
                axis=alt.Axis(titleAngle=0, titleAlign="right", titleX=0, titleY=-8, labelOverlap=False),
            ),
            color=alt.Color(f"{measure}:Q", scale=scale, title=_measure_title(measure), legend=alt.Legend(format=fmt)),
            tooltip=[
                alt.Tooltip("department:N", title=t("chart.department")),
                alt.Tooltip("period:O", title=t("chart.period")),
                alt.Tooltip(f"{measure}:Q", title=_measure_title(measure), format=fmt),
                alt.Tooltip("people:Q", title=t("chart.people")),
                alt.Tooltip("scored:Q", title=t("chart.scored")),
                alt.Tooltip("graded:Q", title=t("chart.graded")),
            ],
        )
        .properties(height=alt.Step(28))
    )


def heatmap_caption(cells: pl.DataFrame, measure: str, kind: str, people: int) -> str:
    """One sentence saying what the heatmap shows and on how many people, departments and periods."""
    return t(
        "chart.heatmap_caption",
        measure=_measure_title(measure),
        kind=t(f"kind.{kind}"),
        departments=cells.get_column("dept_id").n_unique(),
        periods=cells.get_column("period").n_unique(),
        people=people,
        first=cells.get_column("period").first() or "",
        last=cells.get_column("period").last() or "",
    )
