"""团队评分: the appraisals of the user's team view in the open cycles (stage, due date with core's days
overdue, self total, score, grade), and the rating form for one person in 上级评定 — per item the
manager's input (rubric level, pass 1/0, manual score; an actual for an objective item) and comment first,
then what to enter, the computed score, the self score and comment, weight and target; below, how each
item is scored. Save a draft (optimistic row_version: a refused save keeps the input), submit (confirmed;
core refuses while an item has no score, and refuses a changed actual a feed supplies) or return to 期末自评
with a comment (confirmed). HR and an HRBP follow the team read-only: the same view without a form."""

import polars as pl
import streamlit as st

from core import appraisal, appraisal_edits, appraisal_scores, permissions, vocabulary
from core.stages import MANAGER, MANAGER_RATING
from ui import session
from ui.appraisal import appraisal_card, pick_appraisal, run_cycle, show_item_guide, source_label
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.rating import (
    Draft,
    done,
    editor_frame,
    one_decimal,
    rating_hint,
    save_draft,
    stale_notice,
    submit_draft,
)
from ui.widgets import (
    EMPTY_CELL,
    ask_first,
    confirm_first,
    data_table,
    empty_state,
    plain,
    show_flash,
    translate_values,
)

IGNORED_KEY = "rating.ignored"  # input the last save left out, shown once after its rerun

# the columns to fill in first, right after the KPI; the widths (px) keep the grid inside a 1366 px laptop
COLUMNS = ("kpi", "input", "actual", "manager_comment", "hint", "item_score", "self_score", "self_comment", "weight",
           "target")  # fmt: skip

require_app_navigation()
user, db = session.require_screen("team_rating")
st.title(t("nav.team_rating"), anchor=False)
team = appraisal.team(db, user)
# whether the user rates anyone here (a direct manager), or follows the team read-only (HR, an HRBP)
rater = any(MANAGER in permissions.roles_on(user, row) for row in team.iter_rows(named=True))
st.caption(t("rating.intro" if rater or team.is_empty() else "rating.intro_view"))
show_flash()
if IGNORED_KEY in st.session_state:
    st.warning(st.session_state.pop(IGNORED_KEY), icon=":material/info:")

if team.is_empty():
    empty_state(t("rating.team_empty"))
    st.stop()

# -- the team view ------------------------------------------------------------------------------------
late = team.get_column("days_overdue").to_list()  # core's count, 0 when not yet due
view = team.select(
    "employee",
    "position",
    "cycle",
    "stage",
    "due",
    overdue=pl.Series([t("rating.overdue_days", n=n) if n > 0 else "" for n in late], dtype=pl.String),
    self_score=pl.col("self_score"),
    final_score=pl.col("final_score"),
    grade=pl.col("effective_grade"),
)
view = translate_values(view, "stage", "stage")
st.subheader(t("rating.team"), anchor=False)
st.caption(t("rating.team_counts", n=team.height, rating=team.filter(pl.col("stage") == MANAGER_RATING).height,
             late=sum(1 for n in late if n > 0)))  # fmt: skip
data_table(view, key="rating.team", file_stem=t("rating.team_file"), scope="rating")

# -- the rating form (read-only for whoever is not the appraisal's direct manager) ---------------------
st.subheader(t("rating.form" if rater else "rating.form_view"), anchor=False)
rateable = team.filter(pl.col("stage") == MANAGER_RATING)
if rateable.is_empty():
    empty_state(t("rating.none_to_rate" if rater else "rating.none_in_rating"))
    st.stop()

appraisal_id = pick_appraisal(rateable, key="rating.pick", label=t("rating.pick" if rater else "rating.pick_view"))
assert appraisal_id is not None
detail = appraisal.appraisal(db, user, appraisal_id)
appraisal_card(detail)
items = detail["items"]
can_rate = MANAGER in detail["roles"] and detail["stage"] == MANAGER_RATING
if not can_rate:
    st.info(t("rating.view_only"), icon=":material/visibility:")


def build() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "kpi_id": r["kpi_id"],
                "kpi": r["kpi_name"] or r["kpi_id"],
                "input": None if r["method"] in vocabulary.OBJECTIVE_METHODS else r["manager_input"],
                "actual": r["actual_value"],
                "manager_comment": r["manager_comment"],
                "hint": rating_hint(r["method"], r["actual_source"], r["rubric"], source_label(r["actual_source"])),
                "item_score": r["item_score"],
                "self_score": r["self_score"],
                "self_comment": r["self_comment"],
                "weight": r["weight"],
                "target": r["target_value"],
            }
            for r in items.iter_rows(named=True)
        ],
        schema={
            "kpi_id": pl.String, "kpi": pl.String, "input": pl.Float64, "actual": pl.Float64,
            "manager_comment": pl.String, "hint": pl.String, "item_score": pl.Float64, "self_score": pl.Float64,
            "self_comment": pl.String, "weight": pl.Float64, "target": pl.Float64,
        },
        orient="row",
    )  # fmt: skip


draft = Draft("rating", appraisal_id)
base_version, base = draft.base(detail["row_version"], build)
stale_notice(draft, base_version, detail["row_version"], detail.get("updated_by"))
if can_rate:
    st.caption(t("rating.editor_help"))
column = st.column_config
read_only = ["kpi_id", "kpi", "hint", "item_score", "self_score", "self_comment", "weight", "target"]
edited = st.data_editor(
    base,
    key=draft.editor_key,
    hide_index=True,
    width="stretch",
    num_rows="fixed",
    placeholder=EMPTY_CELL,
    disabled=True if not can_rate else read_only,
    column_order=COLUMNS,
    column_config={
        "kpi": column.TextColumn(t("col.rating.kpi"), width=120),
        "input": column.NumberColumn(
            t("col.rating.input"),
            width=70,
            min_value=0.0,
            max_value=120.0,
            step=0.1,
            format="%g",
            help=t("rating.input_help"),
        ),
        "actual": column.NumberColumn(t("col.rating.actual"), width=80, format="%g", help=t("rating.actual_help")),
        "manager_comment": column.TextColumn(t("col.rating.manager_comment"), width=140, max_chars=2000),
        "hint": column.TextColumn(t("col.rating.hint"), width=160),
        "item_score": column.NumberColumn(
            t("col.rating.item_score"), width=55, format="%.1f", help=t("rating.score_help")
        ),
        "self_score": column.NumberColumn(t("col.rating.self_score"), width=60, format="%.1f"),
        "self_comment": column.TextColumn(t("col.rating.self_comment"), width=90),
        "weight": column.NumberColumn(t("col.rating.weight"), width=50, format="%g"),
        "target": column.NumberColumn(t("col.rating.target"), width=60, format="%g"),
    },
)
frame = editor_frame(edited)
show_item_guide(items)

# totals as saved: weighted score, grade, self total and the gap
final, own = detail.get("final_score"), detail.get("self_score")
a, b, c, d = st.columns(4)
a.metric(t("rating.total"), one_decimal(final))
b.metric(t("rating.grade"), detail.get("effective_grade") or "—")
c.metric(t("rating.self_total"), one_decimal(own))
d.metric(t("rating.gap"), "—" if final is None or own is None else f"{final - own:+.1f}")
st.caption(t("rating.totals_help"))

if not can_rate:
    st.stop()


def edits() -> tuple[dict[str, dict[str, object]], list[str]]:
    """What to save per item — the judged items' input, a changed actual of an objective item (core refuses
    one a feed supplies), the comment — and the items whose edits in a column that does not apply to them
    were left out."""
    by_id = {r["kpi_id"]: r for r in items.iter_rows(named=True)}
    before = {r["kpi_id"]: r for r in base.iter_rows(named=True)}
    out: dict[str, dict[str, object]] = {}
    ignored: list[str] = []
    for row in frame.iter_rows(named=True):
        item = by_id[row["kpi_id"]]
        actual_changed = row["actual"] != before[row["kpi_id"]]["actual"]
        change: dict[str, object] = {"manager_comment": row["manager_comment"]}
        if item["method"] in vocabulary.OBJECTIVE_METHODS:
            if actual_changed:
                change["actual_value"] = row["actual"]
            if row["input"] is not None:
                ignored.append(row["kpi"])
        else:
            change["manager_input"] = row["input"]
            if actual_changed:
                ignored.append(row["kpi"])
        out[row["kpi_id"]] = change
    return out, list(dict.fromkeys(ignored))


if draft.dirty():  # what the unsaved input would give, before anyone saves it
    guess = appraisal_scores.preview(db, items, edits()[0])
    st.info(
        t("rating.preview", total=one_decimal(guess["total"]), grade=guess["grade"] or "—"),
        icon=":material/calculate:",
    )


def save() -> int | None:
    """Save the editor's content on the version it was based on; the new row_version, or None if refused."""
    changes, ignored = edits()
    version = run_cycle(appraisal_edits.save_rating, db, user, appraisal_id, changes, version=base_version)
    if ignored:
        notice = t("rating.ignored", items=plain("、".join(ignored)))
        if version is None:
            st.warning(notice, icon=":material/info:")
        else:  # shown after the rerun that follows a save
            st.session_state[IGNORED_KEY] = notice
    return version


def submit() -> None:
    submit_draft(
        draft, base_version, save,
        lambda version: run_cycle(appraisal_edits.act, db, user, appraisal_id, "submit_rating", version=version),
        t("rating.submitted", employee=plain(detail["employee"])),
    )  # fmt: skip


def send_back() -> None:
    text = st.session_state.get(f"rating.return_comment.{appraisal_id}", "").strip()
    if run_cycle(appraisal_edits.act, db, user, appraisal_id, "return", version=detail["row_version"], comment=text):
        draft.reset()
        done(t("rating.returned", employee=plain(detail["employee"])))


save_col, submit_col = st.columns(2)
if save_col.button(t("rating.save"), key="rating.save", icon=":material/save:"):
    save_draft(draft, save, "rating.saved")
submit_col.button(
    t("rating.submit"), key="rating.submit", type="primary", icon=":material/send:",
    on_click=ask_first, args=("submit_rating", appraisal_id),
)  # fmt: skip
confirm_first(
    "submit_rating",
    appraisal_id,
    t("rating.confirm_submit", employee=plain(detail["employee"])),
    submit,
    key_prefix="rating.",
)

with st.expander(t("rating.return_title"), icon=":material/undo:"):
    comment = st.text_area(t("rating.return_comment"), key=f"rating.return_comment.{appraisal_id}")
    if st.button(t("rating.return"), key="rating.return"):
        if comment.strip():
            ask_first("return", appraisal_id)
        else:
            st.error(t("rating.return_comment_required"), icon=":material/error:")
    confirm_first(
        "return",
        appraisal_id,
        t("rating.confirm_return", employee=plain(detail["employee"])),
        send_back,
        key_prefix="rating.",
    )
