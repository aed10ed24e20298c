"""系统设置 (HR and IT admins): the numbers HR changes without code — the distribution guideline per
department, the grade scale (open appraisals not yet past 校准 are regraded at once), the weight band
of each KPI category that templates are checked against, the grade words the importer reads a
等级 cell written as a word with, and the sign-off deadline and the company name on the PDF (HR only).
Every change is core's, audited."""

from collections.abc import Mapping

import polars as pl
import streamlit as st

from core import grade_words, permissions, settings
from core.vocabulary import CATEGORIES
from ui import session
from ui.appraisal import run_cycle
from ui.i18n import current_language, t
from ui.kpi import run_core
from ui.navigation import require_app_navigation
from ui.widgets import EMPTY_CELL, flash, plain, show_flash


def guideline_form(scale: tuple[tuple[str, float], ...], rules: Mapping[str, float]) -> None:
    """The most of the best grade and the fewest of the lowest, as shares of each department."""
    top, bottom = scale[0][0], scale[-1][0]
    st.subheader(t("cal.guideline_title"), anchor=False)
    a, c = st.columns(2)
    a_max = a.number_input(
        t("cal.a_max", grade=top), min_value=0.0, max_value=100.0, value=float(rules["A_max"]), step=5.0,
        key="cal.a_max",
    )  # fmt: skip
    c_min = c.number_input(
        t("cal.c_min", grade=bottom), min_value=0.0, max_value=100.0, value=float(rules["C_min"]), step=5.0,
        key="cal.c_min",
    )  # fmt: skip
    if st.button(t("cal.save_guideline"), key="cal.save_guideline", icon=":material/save:"):
        saved = run_cycle(settings.set_guideline, db, user, a_max, c_min)
        if saved is not None:
            flash(t("cal.guideline_saved", a=f"{saved['A_max']:g}", c=f"{saved['C_min']:g}"))
            st.rerun()


def scale_form(scale: tuple[tuple[str, float], ...]) -> None:
    """The grades, best first, with the lowest total of each."""
    st.subheader(t("cal.scale_title"), anchor=False)
    st.caption(t("cal.scale_help"))
    current = pl.DataFrame(
        {"grade": [g for g, _ in scale], "minimum": [m for _, m in scale]},
        schema={"grade": pl.String, "minimum": pl.Float64},
    )
    edited = st.data_editor(
        current.rename({"grade": t("cal.col.grade_name"), "minimum": t("cal.col.minimum")}),
        num_rows="dynamic",
        hide_index=True,
        placeholder=EMPTY_CELL,
        key="cal.scale_editor",
    )
    if st.button(t("cal.save_scale"), key="cal.save_scale", icon=":material/save:"):
        rows = [(r[0], r[1]) for r in pl.DataFrame(edited).iter_rows() if r[0] is not None and str(r[0]).strip()]
        saved_scale = run_cycle(settings.set_grade_scale, db, user, rows)
        if saved_scale is not None:
            flash(t("cal.scale_saved", scale=plain("、".join(f"{g} ≥ {m:g}" for g, m in saved_scale))))
            st.rerun()


def bands_form() -> None:
    """Each KPI category's share of a template's 100 points."""
    st.subheader(t("kpi.bands"), anchor=False)
    bands = settings.category_bands(db)
    with st.form("kpi.bands.form"):
        edited_bands = {}
        for category in CATEGORIES:
            low_col, high_col = st.columns(2)
            low, high = bands.get(category, (0.0, 100.0))
            edited_bands[category] = (
                low_col.number_input(t("kpi.band_low", category=category), 0.0, 100.0, float(low), 5.0,
                                     key=f"kpi.bands.{category}.low"),
                high_col.number_input(t("kpi.band_high", category=category), 0.0, 100.0, float(high), 5.0,
                                      key=f"kpi.bands.{category}.high"),
            )  # fmt: skip
        if st.form_submit_button(t("kpi.bands_save")) and run_core(settings.set_category_bands, db, user, edited_bands):
            st.success(t("kpi.bands_saved"), icon=":material/check_circle:")


def grade_words_form(scale: tuple[tuple[str, float], ...]) -> None:
    """How a 等级 cell written as a word (优秀, 甲, Fully Meets …) is imported: add or move a word, remove words."""
    st.subheader(t("grade_words.title"), anchor=False)
    st.caption(t("grade_words.help"))
    words = grade_words.grade_words(db)
    st.dataframe(
        words.select("word", "grade").rename({"word": t("grade_words.col.word"), "grade": t("grade_words.col.grade")}),
        hide_index=True,
        key="grade_words.table",
    )
    if not permissions.allowed(user, "manage_grade_words"):
        st.info(t("grade_words.hr_only"), icon=":material/lock:")
        return
    word_col, grade_col = st.columns(2)
    word = word_col.text_input(t("grade_words.word"), max_chars=grade_words.MAX_WORD, key="grade_words.word")
    grade = grade_col.selectbox(t("grade_words.grade"), [g for g, _ in scale], key="grade_words.grade")
    if st.button(t("grade_words.save"), key="grade_words.save", icon=":material/save:"):
        saved = run_cycle(grade_words.set_grade_word, db, user, word, grade)
        if saved is not None:
            flash(t("grade_words.saved", word=plain(saved["word"]), grade=plain(saved["grade"])))
            st.rerun()
    gone = st.multiselect(t("grade_words.remove_pick"), words.get_column("word").to_list(), key="grade_words.remove")
    if st.button(t("grade_words.remove"), key="grade_words.remove_button", icon=":material/delete:"):
        removed = run_cycle(grade_words.remove_grade_words, db, user, gone)
        if removed is not None:
            flash(t("grade_words.removed", count=removed))
            st.rerun()


def signoff_form() -> None:
    """The confirmation deadline, what happens after it, and the company name on the PDF (HR)."""
    st.subheader(t("settings.signoff_title"), anchor=False)
    st.caption(t("settings.signoff_help"))
    days, rule = settings.signoff_deadline(db)
    with st.form("settings.signoff_form"):
        chosen_days = st.number_input(
            t("settings.deadline_days"), min_value=1, max_value=settings.MAX_SIGNOFF_DAYS, value=days, step=1,
            key="settings.deadline_days",
        )  # fmt: skip
        rules = {t(f"settings.rule.{r}"): r for r in settings.SIGNOFF_RULES}  # label → code, in this language
        chosen_label = st.radio(
            t("settings.deadline_rule"), list(rules), index=settings.SIGNOFF_RULES.index(rule),
            key=f"settings.deadline_rule.{current_language()}",  # one widget per language: its labels differ
        )  # fmt: skip
        chosen_rule = rules[chosen_label]
        if st.form_submit_button(t("settings.save_deadline"), icon=":material/save:"):
            saved = run_cycle(settings.set_signoff_deadline, db, user, chosen_days, chosen_rule)
            if saved is not None:
                flash(t("settings.deadline_saved", days=saved[0], rule=t(f"settings.rule.{saved[1]}")))
                st.rerun()
    with st.form("settings.company_form"):
        name = st.text_input(
            t("settings.company_name"), value=settings.company_name(db), max_chars=settings.MAX_COMPANY_NAME,
            key="settings.company_name",
        )  # fmt: skip
        if st.form_submit_button(t("settings.save_company"), icon=":material/save:"):
            saved_name = run_cycle(settings.set_company_name, db, user, name)
            if saved_name is not None:
                flash(t("settings.company_saved", name=plain(saved_name)))
                st.rerun()


require_app_navigation()
user, db = session.require_screen("settings")
st.title(t("nav.settings"), anchor=False)
st.caption(t("settings.intro"))
show_flash()

scale = settings.grade_scale(db)
with st.container(border=True):
    guideline_form(scale, settings.guideline(db))
with st.container(border=True):
    scale_form(scale)
with st.container(border=True):
    bands_form()
with st.container(border=True):
    grade_words_form(scale)
if permissions.allowed(user, "signoff_hr"):
    with st.container(border=True):
        signoff_form()
