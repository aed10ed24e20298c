"""Shared pieces of 自评 and 团队评分: the editor draft that survives a refused save, confirmation of
irreversible actions, and the labels of methods, formulas and actual sources.

The draft: an editor shows a *base* (the appraisal's items as read at ``row_version`` N) plus the user's
cell edits, which Streamlit keeps under the editor's key. While the user has unsaved edits the base stays
the one they started from, and a save names version N; if someone else saved meanwhile, core refuses
with :class:`core.cycle.Conflict` and the editor still shows what the user typed. Without edits the
base follows the database on every run. "载入最新版本" drops the draft on purpose (a new editor key).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from core.vocabulary import OBJECTIVE_METHODS, RUBRIC_LEVELS, is_feed
from ui.i18n import t
from ui.widgets import flash, plain


def rubric_levels(raw: object) -> list[str]:
    """The level texts of a rubric item (stored as a JSON list), empty when it has none."""
    if isinstance(raw, str) and raw.strip():
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return []
    if isinstance(raw, list | tuple):
        return [str(level) for level in raw if level is not None]
    return []


def levels_text(rubric: object) -> str:
    """A rubric's levels as one line: 1 很差 · 2 较差 · … (empty without level texts)."""
    return " · ".join(f"{i} {text}" for i, text in enumerate(rubric_levels(rubric)[:RUBRIC_LEVELS], 1))


def self_scale(method: str | None, rubric: object) -> str:
    """What the employee enters for an item: a rubric item its level 1–5 (the manager's scale), with the
    levels' texts; any other item a score 0–120."""
    if method != "rubric":
        return t("rating.hint.manual")
    levels = levels_text(rubric)
    return t("rating.hint.levels", scale=t("rating.hint.rubric"), levels=levels) if levels else t("rating.hint.rubric")


def rating_hint(method: str | None, source: str | None, rubric: object, source_name: str | None) -> str:
    """What the manager enters for an item: a rubric level (with the levels' texts), pass 1 / fail 0, a
    score; for an objective item the actual (a count for a deduction item), or nothing when a feed supplies
    it (``source_name``: where it came from, in the UI language)."""
    if method == "rubric":
        return self_scale(method, rubric)
    if method in OBJECTIVE_METHODS:
        if is_feed(source):
            return t("rating.hint.fed", source=source_name or source or "")
        return t("rating.hint.count") if method == "deduction" else t("rating.hint.actual")
    return t(f"rating.hint.{method or 'manual'}")


class Draft:
    """The base frame and editor key of one appraisal's editor (see the module docstring)."""

    def __init__(self, prefix: str, appraisal_id: str) -> None:
        self.prefix = prefix
        self.appraisal_id = appraisal_id
        self._base = f"{prefix}.base.{appraisal_id}"
        self._nonce = f"{prefix}.nonce.{appraisal_id}"

    @property
    def editor_key(self) -> str:
        return f"{self.prefix}.editor.{self.appraisal_id}.{st.session_state.get(self._nonce, 0)}"

    def dirty(self) -> bool:
        """Whether the editor holds cell edits not yet saved."""
        state = st.session_state.get(self.editor_key)
        return bool(state and (state.get("edited_rows") or state.get("added_rows") or state.get("deleted_rows")))

    def base(self, version: int, build: Callable[[], pl.DataFrame]) -> tuple[int, pl.DataFrame]:
        """(version, frame) the editor is based on: the stored one while there are unsaved edits, else
        the database's now."""
        stored = st.session_state.get(self._base)
        if stored is None or not self.dirty():
            stored = (int(version), build())
            st.session_state[self._base] = stored
        return stored

    def reset(self) -> None:
        """Drop the draft: the next run shows the database's version in a fresh editor."""
        st.session_state.pop(self._base, None)
        st.session_state[self._nonce] = st.session_state.get(self._nonce, 0) + 1


def editor_frame(edited: Any) -> pl.DataFrame:
    return edited if isinstance(edited, pl.DataFrame) else pl.from_pandas(edited)


# -- saving and submitting a draft -------------------------------------------------------------------


def done(message: str) -> None:
    """Show ``message`` once after the rerun this starts."""
    flash(message)
    st.rerun()


def save_draft(draft: Draft, save: Callable[[], int | None], saved_key: str) -> None:
    """Save the editor's content (``save`` returns the new version, or None when core refused it) and, when
    it was taken, start the next run from the database with the ``saved_key`` message and the time."""
    if save() is not None:
        draft.reset()
        done(t(saved_key, at=dt.datetime.now().strftime("%H:%M:%S")))


def submit_draft(
    draft: Draft, base_version: int, save: Callable[[], int | None], submit: Callable[[int], object], message: str
) -> None:
    """Save unsaved input first (on the version it was based on), then ``submit(version)`` on the version
    that save produced; on success the draft is dropped and ``message`` shown. Stops at the first refusal."""
    version: int | None = base_version
    if draft.dirty():
        version = save()
        if version is None:
            return
        draft.reset()
    if submit(version) is not None:
        draft.reset()
        done(message)


def one_decimal(value: float | None) -> str:
    """A score as every screen shows it: one decimal, or — when there is none."""
    return "—" if value is None else f"{value:.1f}"


def stale_notice(draft: Draft, base_version: int, current_version: int, updated_by: str | None) -> None:
    """While the user has unsaved edits on an older version than the database's: say so, and offer to
    drop the draft and load the other person's changes."""
    if not draft.dirty() or int(base_version) == int(current_version):
        return
    st.warning(
        t("rating.stale", who=plain(updated_by or "—"), mine=base_version, now=current_version),
        icon=":material/sync_problem:",
    )
    st.button(
        t("rating.reload"), key=f"{draft.prefix}.reload.{draft.appraisal_id}", icon=":material/refresh:",
        on_click=draft.reset,
    )  # fmt: skip
