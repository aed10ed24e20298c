"""Calibration (DESIGN.md §4 *Grades and distribution*): per department, the grade distribution against
HR's guideline (A ≤ 20 %, C ≥ 10 % by default) with quotas rounded by largest remainder; HR moves grades
with a note (the pre-calibration grade stays in ``grade``); finalising a department that breaks the
guideline needs an override reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import polars as pl

from core import audit, clock, settings
from core.appraisal import header
from core.appraisal_edits import lock_appraisal, step, touch_appraisal
from core.auth import User
from core.db import Database
from core.errors import CycleError, Text
from core.permissions import refuse_own, require_action
from core.signoff_rounds import start_round
from core.stages import StageError
from core.values import text_input
from core.vocabulary import CALIBRATION, DEFAULT_GUIDELINE, OPEN_STAGES, effective_grade_sql

HR_ONLY = "perm.calibrate"


def largest_remainder(total: int, shares: Sequence[float]) -> list[int]:
    """Split ``total`` seats by ``shares`` (any positive scale) with the largest-remainder (Hare) method.

    Ties between equal remainders go to the larger share, then to the earlier one, so the result is
    deterministic; the seats always sum to ``total``.
    """
    if total < 0:
        raise ValueError("total must be ≥ 0")
    weight = math.fsum(shares)
    if total == 0 or weight <= 0:
        return [0] * len(shares)
    exact = [total * s / weight for s in shares]
    seats = [math.floor(x + 1e-9) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - seats[i]), -shares[i], i))
    for i in order[: total - sum(seats)]:
        seats[i] += 1
    return seats


def quotas(n: int, rules: Mapping[str, float] | None = None) -> dict[str, int]:
    """A department of ``n`` people: the most who may get A and the fewest who must get C, the guideline's
    shares (A_max / rest / C_min) rounded to whole people by largest remainder."""
    g = {**DEFAULT_GUIDELINE, **(rules or {})}
    a, b, c = largest_remainder(n, [g["A_max"], 100.0 - g["A_max"] - g["C_min"], g["C_min"]])
    return {"A_max": a, "B": b, "C_min": c}


def breaches(counts: Mapping[str, int], quota: Mapping[str, int], scale: Sequence[tuple[str, float]]) -> list[Text]:
    """The guideline breaches of one department's grade counts, in words (empty when inside it).
    The best grade of the scale is held to A_max, the lowest to C_min."""
    top, bottom = scale[0][0], scale[-1][0]
    out = []
    if counts.get(top, 0) > quota["A_max"]:
        out.append(Text("calibration.over_top", grade=top, count=counts.get(top, 0), limit=quota["A_max"]))
    if counts.get(bottom, 0) < quota["C_min"]:
        out.append(Text("calibration.under_bottom", grade=bottom, count=counts.get(bottom, 0), limit=quota["C_min"]))
    return out


def distribution(db: Database, user: User | None, cycle_id: str) -> pl.DataFrame:
    """Per department of a cycle: people at or past calibration, grade counts before and after calibration,
    the guideline quotas and breaches, and whether the department is finalised. HR only."""
    require_action(user, "calibrate", HR_ONLY)
    scale = settings.grade_scale(db)
    rules = settings.guideline(db)
    grades = [g for g, _ in scale]
    rows = db.rows(
        f"""
        SELECT a.dept_id, d.name AS department, count(*) AS people,
               count(*) FILTER (WHERE a.stage = 'calibration') AS in_calibration,
               count(*) FILTER (WHERE list_contains(?::VARCHAR[], a.stage)) AS not_ready,
               count(*) FILTER (WHERE list_contains(['signoff', 'closed'], a.stage)) AS finalised,
               list(a.grade) FILTER (WHERE NOT list_contains(?::VARCHAR[], a.stage)) AS pre,
               list({effective_grade_sql("a")}) FILTER (WHERE NOT list_contains(?::VARCHAR[], a.stage)) AS post,
               count(*) FILTER (WHERE a.calibrated_grade IS NOT NULL AND a.calibrated_grade <> a.grade) AS moved
        FROM appraisals a LEFT JOIN departments d ON d.dept_id = a.dept_id
        WHERE a.cycle_id = ? GROUP BY ALL ORDER BY department
        """,
        [list(OPEN_STAGES)] * 3 + [cycle_id],
    )
    out = []
    for r in rows:
        rated = len(r["post"] or [])
        quota = quotas(rated, rules)
        post = {g: (r["post"] or []).count(g) for g in grades}
        pre = {g: (r["pre"] or []).count(g) for g in grades}
        out.append(
            {
                "dept_id": r["dept_id"], "department": r["department"], "people": r["people"], "rated": rated,
                "in_calibration": r["in_calibration"], "not_ready": r["not_ready"], "finalised": r["finalised"],
                **{f"pre_{g}": pre[g] for g in grades}, **{f"post_{g}": post[g] for g in grades},
                "moved": r["moved"], "quota_top": quota["A_max"], "quota_bottom": quota["C_min"],
                "breaches": "；".join(breaches(post, quota, scale)) or None,
            }
        )  # fmt: skip
    return pl.DataFrame(out) if out else pl.DataFrame()


def calibrate(db: Database, user: User | None, appraisal_id: str, grade: str, note: str, *, version: int) -> int:
    """HR moves one grade in 校准 with a mandatory note; the pre-calibration grade stays. Returns the new
    row_version."""
    user = require_action(user, "calibrate", HR_ONLY)
    text = text_input(note, Text("field.calibration_note"), required=True)
    grades = [g for g, _ in settings.grade_scale(db)]
    if grade not in grades:
        raise CycleError("calibration.unknown_grade", grade=grade, grades=grades)
    now = clock.now()
    with db.transaction() as cur:
        found = lock_appraisal(cur, user, appraisal_id, version)
        refuse_own(db, user, found["employee_id"], "own.calibrate")
        if found["stage"] != CALIBRATION:
            raise StageError("calibration.not_in_calibration", stage=found["stage"])
        before = found["calibrated_grade"] or found["grade"]
        if grade == before:
            raise CycleError("calibration.same_grade", grade=grade)
        seq = cur.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM calibration_changes WHERE appraisal_id = ?", [appraisal_id]
        ).fetchall()[0][0]
        cur.execute(
            "INSERT INTO calibration_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [appraisal_id, seq, now, user.username, before, grade, text],
        )
        cur.execute(
            "UPDATE appraisals SET calibrated_grade = ?, calibration_note = ? WHERE appraisal_id = ?",
            [grade, text, appraisal_id],
        )
        touch_appraisal(cur, user, appraisal_id, now=now)
        audit.record(
            cur, user.username, "calibrate", "appraisal", appraisal_id, {"from": before, "to": grade, "note": text}
        )
    return version + 1


def finalise_department(db: Database, user: User | None, cycle_id: str, dept_id: str, *,
                        override_reason: str | None = None) -> int:  # fmt: skip
    """HR finalises one department's calibration: its appraisals in 校准 move to 签字确认. Refused while the
    department breaks the guideline, unless HR records why. Returns how many appraisals moved."""
    user = require_action(user, "calibrate", HR_ONLY)
    reason = text_input(override_reason, Text("field.override_reason"))
    now = clock.now()
    with db.transaction() as cur:
        status = cur.execute("SELECT name, status FROM cycles WHERE cycle_id = ?", [cycle_id]).fetchall()
        if status and status[0][1] != "open":
            raise CycleError("appraisal.cycle_closed", cycle=status[0][0])
        scale = settings.grade_scale(cur)
        rows = cur.execute(
            f"SELECT a.appraisal_id, a.stage, {effective_grade_sql('a')}, a.employee_id FROM appraisals a"
            " WHERE a.cycle_id = ? AND a.dept_id = ?",
            [cycle_id, dept_id],
        ).fetchall()
        ready = [r[0] for r in rows if r[1] == CALIBRATION]
        for r in rows:
            if r[1] == CALIBRATION:
                refuse_own(db, user, r[3], "own.finalise")
        if not ready:
            raise CycleError("calibration.nothing_to_finalise")
        rated = [r for r in rows if r[1] not in OPEN_STAGES]
        counts = {g: sum(1 for r in rated if r[2] == g) for g, _ in scale}
        quota = quotas(len(rated), settings.guideline(cur))
        broken = breaches(counts, quota, scale)
        if broken and not reason:
            raise CycleError("calibration.guideline_broken", breaches=broken)
        for appraisal_id in ready:
            found = header(cur, appraisal_id)
            assert found is not None
            step(cur, user, found, "finalise_calibration", reason, now)
            start_round(cur, appraisal_id, now)
            cur.execute(
                "UPDATE appraisals SET calibrated_grade = coalesce(calibrated_grade, grade) WHERE appraisal_id = ?",
                [appraisal_id],
            )
        cur.execute(
            "INSERT INTO calibration_finals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [cycle_id, dept_id, now, user.username, json.dumps(counts, ensure_ascii=False),
             json.dumps({"A_max": quota["A_max"], "C_min": quota["C_min"]}), "；".join(broken) or None,
             reason if broken else None],
        )  # fmt: skip
        audit.record(
            cur, user.username, "calibration_finalise", "cycle", cycle_id,
            {"dept_id": dept_id, "appraisals": len(ready), "counts": counts, "breaches": broken,
             **({"override_reason": reason} if broken else {})},
        )  # fmt: skip
    return len(ready)
