"""Three-step approval of KPI and template changes (DESIGN.md §4 KPI change approval).

A request (kind ``kpi_add``, ``kpi_modify``, ``kpi_retire`` or ``template``) carries the full new
definition or template items in ``payload`` and what it replaces in ``before``; it is validated when
proposed and takes effect only when step 3 approves, in that decision's transaction.

Routing (the department concerned is a template's position's department; for a library KPI the
requester's department, or the department HR routes it to):
1. the department's head (``departments.head_id`` is the approver's 工号);
2. an HRBP whose ``hrbp_scope`` covers the department (or a parent of it);
3. an executive whose scope covers it: one linked to an employee covers the departments whose head is
   them or reports to them (directly or further down); one not linked to an employee covers all.
Steps are decided in order, once each, by three different people (one who decided a step of a request
may not decide another step of it); a rejection at any step closes the request; the requester may
withdraw a pending request. Every proposal, decision and withdrawal writes an audit row in its transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core import audit, permissions
from core.auth import User
from core.db import Cursor, Database
from core.errors import KpiError, Text
from core.kpi import (
    DEFINITION_FIELDS,
    check_kpi,
    check_template,
    get_kpi,
    kpi_definition,
    quarter_start,
    template_in_force,
    validate_template,
    write_kpi_version,
    write_template_version,
)
from core.messages import LABELS
from core.permissions import Forbidden, executive_covers, may_decide
from core.values import text_input

KINDS: dict[str, str] = {
    "kpi_add": "新增指标",
    "kpi_modify": "修改指标",
    "kpi_retire": "停用指标",
    "template": "调整岗位模板",
}
# the Chinese labels; both languages are in core.messages.LABELS, where the messages name steps and statuses
STEPS: dict[int, str] = {step: zh for step, (zh, _) in LABELS["approval_step"].items()}
STATUSES: dict[str, str] = {status: zh for status, (zh, _) in LABELS["change_status"].items()}


@contextmanager
def _refusal_audited(db: Database, user: User, change_id: str | None, wanted: dict[str, Any]) -> Iterator[None]:
    """Audit a Forbidden raised inside as ``access_denied`` (after the refused write rolled back), as
    core.org does for reads: a tampered request id or a step taken out of scope leaves a trace."""
    try:
        yield
    except Forbidden:
        audit.log(db, user.username, "access_denied", "kpi_change", change_id, wanted)
        raise


def _today() -> dt.date:
    return dt.date.today()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _department(db: Database, dept_id: str | None) -> dict[str, Any]:
    dept = db.one("SELECT dept_id, name, head_id FROM departments WHERE dept_id = ?", [dept_id]) if dept_id else None
    if dept is None:
        raise KpiError("kpi_change.unknown_department", dept_id=dept_id or Text("value.unspecified"))
    if not dept["head_id"]:
        raise KpiError("kpi_change.no_head", department=dept["name"])
    return dept


def _subject_and_before(
    db: Database, kind: str, payload: dict[str, Any]
) -> tuple[str, Any, dict[str, Any], str | None]:
    """(subject id, before, cleaned payload, department of the subject if it has one) — or KpiError."""
    if kind == "template":
        position_id = str(payload.get("position_id") or "").strip()
        position = db.one("SELECT position_id, dept_id, name FROM positions WHERE position_id = ?", [position_id])
        if position is None:
            raise KpiError("kpi_change.unknown_position", position_id=position_id or Text("value.unspecified"))
        raw = payload.get("valid_from")
        try:
            valid_from = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
        except ValueError as err:
            raise KpiError("kpi_change.bad_date", value=raw) from err
        if isinstance(valid_from, dt.datetime):
            valid_from = valid_from.date()
        if valid_from != quarter_start(valid_from):
            raise KpiError("kpi_change.not_quarter_start", day=valid_from, quarter_start=quarter_start(valid_from))
        problems = template_date_problems(db, position_id, valid_from)
        if problems:
            raise KpiError("kpi.problems", problems=problems)
        items = check_template(db, list(payload.get("items") or []))
        current = template_in_force(db, position_id, valid_from)
        before = None if current is None else {
            "version": current["version"], "valid_from": current["valid_from"].isoformat(),
            "items": [{k: it[k] for k in ("kpi_id", "weight", "target", "floor", "stretch")} for it in current["items"]],
        }  # fmt: skip
        clean = {"position_id": position_id, "valid_from": valid_from.isoformat(), "items": items}
        return position_id, before, clean, position["dept_id"]
    if kind == "kpi_add":
        definition = check_kpi(payload)
        kpi_id = definition.pop("kpi_id", None) or "K" + secrets.token_hex(4).upper()
        if db.one("SELECT 1 AS x FROM kpis WHERE kpi_id = ?", [kpi_id]):
            raise KpiError("kpi_change.id_taken", kpi_id=kpi_id)
        same = db.one("SELECT kpi_id FROM kpis WHERE name = ? AND status = 'active'", [definition["name"]])
        if same:
            raise KpiError("kpi_change.name_taken", name=definition["name"], kpi_id=same["kpi_id"])
        return kpi_id, None, {**definition, "kpi_id": kpi_id, "status": "active"}, None
    kpi_id = str(payload.get("kpi_id") or "").strip()
    current = get_kpi(db, kpi_id) if kpi_id else None
    if current is None:
        raise KpiError("kpi_change.unknown_kpi", kpi_id=kpi_id or Text("value.unspecified"), kind=kind)
    before = kpi_definition(current)
    if current["status"] == "retired":
        raise KpiError("kpi_change.retired", name=current["name"], kind=kind)
    if kind == "kpi_retire":
        return kpi_id, before, {**before, "status": "retired"}, None
    definition = check_kpi({**payload})
    definition.pop("kpi_id", None)
    return kpi_id, before, {**definition, "kpi_id": kpi_id, "status": "active"}, None


def propose_change(db: Database, user: User, kind: str, payload: dict[str, Any], reason: str,
                   dept_id: str | None = None) -> str:  # fmt: skip
    """File a change request (validated now, applied only when step 3 approves). ``payload`` is the full new
    KPI definition (with ``kpi_id`` for modify/retire) or, for ``template``, ``position_id``, ``valid_from``
    (a quarter's first day) and ``items``. ``dept_id`` routes a library change to a department (HR only;
    others route to their own). Returns the change id."""
    wanted = {"wanted": "propose", "kind": kind, "dept_id": dept_id}
    with _refusal_audited(db, user, None, wanted):
        return _propose(db, user, kind, payload, reason, dept_id)


def _propose(db: Database, user: User, kind: str, payload: dict[str, Any], reason: str, dept_id: str | None) -> str:
    if kind not in KINDS:
        raise KpiError("kpi_change.bad_kind", kind=kind, choices=list(KINDS))
    if not permissions.allowed(user, "propose_kpi_change"):
        raise Forbidden("perm.propose_change")
    reason = text_input(reason, Text("field.kpi_reason"), error=KpiError)
    if not reason:
        raise KpiError("kpi_change.no_reason")
    subject_id, before, clean, subject_dept = _subject_and_before(db, kind, dict(payload or {}))
    if before is not None and not [
        d for d in change_diff({"kind": kind, "before": before, "payload": clean}) if d["field"] != "valid_from"
    ]:
        what = (
            Text("kpi_change.current_template", day=before["valid_from"])
            if kind == "template"
            else Text("kpi_change.current_definition")
        )
        raise KpiError("kpi_change.no_change", what=what)
    if subject_dept is None:  # a library change: HR may route it, everyone else routes to their own department
        if dept_id and not permissions.allowed(user, "route_kpi_change"):
            raise Forbidden("perm.route_change")
        subject_dept = dept_id or permissions.own_department(db, user)
        if not subject_dept:
            raise KpiError("kpi_change.no_department")
    dept = _department(db, subject_dept)
    if not permissions.may_propose_for(db, user, dept["dept_id"]):
        raise Forbidden("perm.propose_for_department", department=dept["name"])
    if permissions.step_one_approver(db, {"dept_id": dept["dept_id"], "requester_id": user.employee_id}) is None:
        raise KpiError("kpi_change.head_without_manager", department=dept["name"])
    pending = db.scalar(
        "SELECT change_id FROM kpi_changes WHERE kind <> 'kpi_add' AND subject_id = ? AND status = 'pending'"
        " AND (kind = 'template') = ?",
        [subject_id, kind == "template"],
    )
    if pending:
        raise KpiError("kpi_change.pending", subject_id=subject_id, pending=pending)
    at = _now()
    with db.transaction() as cur:
        count = cur.execute("SELECT count(*) FROM kpi_changes").fetchone()[0]
        change_id = f"CHG-{at:%Y%m%d}-{count + 1:05d}"
        cur.execute(
            "INSERT INTO kpi_changes (change_id, kind, subject_id, dept_id, payload, before, reason, requested_by,"
            " requester_id, requested_at, status, step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1)",
            [change_id, kind, subject_id, dept["dept_id"], _json(clean), _json(before) if before is not None else None,
             reason, user.username, user.employee_id, at],
        )  # fmt: skip
        audit.record(cur, user.username, "kpi_change_propose", "kpi_change", change_id,
                     {"kind": kind, "subject_id": subject_id, "dept_id": dept["dept_id"], "reason": reason,
                      "before": before, "after": clean})  # fmt: skip
    return change_id


def _load(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["payload"] = json.loads(out["payload"]) if out.get("payload") else None
    out["before"] = json.loads(out["before"]) if out.get("before") else None
    return out


def get_change(db: Database, change_id: str) -> dict[str, Any] | None:
    """One request with its decided ``steps`` (oldest first); None if unknown."""
    row = db.one("SELECT * FROM kpi_changes WHERE change_id = ?", [change_id])
    if row is None:
        return None
    out = _load(row)
    out["steps"] = db.rows(
        "SELECT step, approver, decision, comment, decided_at FROM kpi_change_steps WHERE change_id = ? ORDER BY step",
        [change_id],
    )
    return out


def template_date_problems(
    db: Database, position_id: str, valid_from: dt.date, today: dt.date | None = None
) -> list[Text]:
    """A new template version may not start in a past quarter (past cycles keep the version they used) nor
    before the position's latest version."""
    this_quarter = quarter_start(today or _today())
    problems = []
    if valid_from < this_quarter:
        problems.append(Text("kpi_change.past_quarter", day=valid_from, this_quarter=this_quarter))
    latest = db.scalar("SELECT max(valid_from) FROM template_versions WHERE position_id = ?", [position_id])
    if latest is not None and valid_from < latest:
        problems.append(Text("kpi_change.before_latest", latest=latest))
    return problems


def _still_valid(db: Database, change: dict[str, Any]) -> None:
    """Check again, at the last step, what may have changed since the proposal (a KPI retired, the bands
    moved, the same id or name taken); KpiError says so and the request stays at step 3."""
    payload, kind = change["payload"], change["kind"]
    problems: list[Text] = []
    if kind == "template":
        valid_from = dt.date.fromisoformat(payload["valid_from"])
        problems = template_date_problems(db, payload["position_id"], valid_from) + validate_template(
            db, payload["items"]
        )
    elif kind == "kpi_add":
        if db.one("SELECT 1 AS x FROM kpis WHERE kpi_id = ?", [payload["kpi_id"]]):
            problems = [Text("kpi_change.id_now_taken", kpi_id=payload["kpi_id"])]
        elif db.one("SELECT 1 AS x FROM kpis WHERE name = ? AND status = 'active'", [payload["name"]]):
            problems = [Text("kpi_change.name_now_taken", name=payload["name"])]
    else:
        status = db.scalar("SELECT status FROM kpis WHERE kpi_id = ?", [payload["kpi_id"]])
        if status in (None, "retired"):
            problems = [Text("kpi_change.now_retired", kpi_id=payload["kpi_id"])]
    if problems:
        raise KpiError("kpi_change.no_longer_valid", problems=problems)


def _apply(cur: Cursor, change: dict[str, Any], actor: str, at: dt.datetime) -> dict[str, Any]:
    payload, kind = change["payload"], change["kind"]
    if kind == "template":
        version = write_template_version(
            cur, payload["position_id"], dt.date.fromisoformat(payload["valid_from"]), payload["items"],
            actor, change_id=change["change_id"], note=change["reason"],
        )  # fmt: skip
        return {"position_id": payload["position_id"], "template_version": version}
    definition = {k: v for k, v in payload.items() if k not in ("kpi_id", "status")}
    version = write_kpi_version(cur, payload["kpi_id"], definition, payload["status"], change["change_id"], at)
    return {"kpi_id": payload["kpi_id"], "kpi_version": version}


def decide(
    db: Database, user: User, change_id: str, step: int, approve: bool, comment: str | None = None
) -> dict[str, Any]:
    """Approve or reject ``step`` of a request. Refuses a closed request, a step out of turn, a step already
    decided and an approver outside the step's scope. Rejection closes the request; approval of step 3
    applies the change in the same transaction. Returns the request as it is afterwards."""
    with _refusal_audited(db, user, change_id, {"wanted": "decide", "step": step, "approve": approve}):
        return _decide(db, user, change_id, step, approve, comment)


def _decide(db: Database, user: User, change_id: str, step: int, approve: bool, comment: str | None) -> dict[str, Any]:
    comment = text_input(comment, Text("field.comment"), error=KpiError)
    if not approve and not comment:
        raise KpiError("kpi_change.reject_needs_comment")
    with db.transaction() as cur:
        row = cur.execute("SELECT * FROM kpi_changes WHERE change_id = ?", [change_id]).fetchone()
        if row is None:
            raise KpiError("kpi_change.unknown_change", change_id=change_id)
        names = [d[0] for d in cur.description]
        change = _load(dict(zip(names, row, strict=True)))
        if step not in STEPS:
            raise KpiError("kpi_change.bad_step", step=step)
        done = cur.execute("SELECT approver, decision FROM kpi_change_steps WHERE change_id = ? AND step = ?",
                           [change_id, step]).fetchone()  # fmt: skip
        if done:
            raise KpiError("kpi_change.step_done", step=step, approver=done[0])
        if change["status"] != "pending":
            raise KpiError("kpi_change.decided", change_id=change_id, status=change["status"])
        if step != change["step"]:
            raise KpiError("kpi_change.out_of_turn", current=change["step"], step=step)
        if user.username == change["requested_by"]:
            raise Forbidden("perm.own_request", step=step)
        earlier = permissions.decided_steps(db, user, change_id)
        if earlier:
            raise Forbidden("perm.step_by_another", earlier=earlier[0], step=step)
        if not may_decide(db, user, step, change):
            raise Forbidden("perm.not_step_approver", step=step, dept_id=change["dept_id"])
        at = _now()
        decision = "approved" if approve else "rejected"
        cur.execute(
            "INSERT INTO kpi_change_steps (change_id, step, approver, decision, comment, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
            [change_id, step, user.username, decision, comment, at],
        )
        detail: dict[str, Any] = {
            "step": step,
            "comment": comment,
            "kind": change["kind"],
            "subject_id": change["subject_id"],
        }
        if not approve:
            cur.execute(
                "UPDATE kpi_changes SET status = 'rejected', decided_at = ? WHERE change_id = ?", [at, change_id]
            )
        elif step < 3:
            cur.execute("UPDATE kpi_changes SET step = ? WHERE change_id = ?", [step + 1, change_id])
        else:
            _still_valid(db, change)
            detail["applied"] = _apply(cur, change, user.username, at)
            cur.execute(
                "UPDATE kpi_changes SET status = 'approved', decided_at = ? WHERE change_id = ?", [at, change_id]
            )
        audit.record(cur, user.username, "kpi_change_approve" if approve else "kpi_change_reject", "kpi_change",
                     change_id, detail)  # fmt: skip
    out = get_change(db, change_id)
    assert out is not None
    return out


def withdraw(db: Database, user: User, change_id: str) -> None:
    """The requester withdraws a pending request (audited)."""
    with _refusal_audited(db, user, change_id, {"wanted": "withdraw"}):
        _withdraw(db, user, change_id)


def _withdraw(db: Database, user: User, change_id: str) -> None:
    with db.transaction() as cur:
        row = cur.execute("SELECT requested_by, status FROM kpi_changes WHERE change_id = ?", [change_id]).fetchone()
        if row is None:
            raise KpiError("kpi_change.unknown", change_id=change_id)
        if row[0] != user.username:
            raise Forbidden("perm.withdraw")
        if row[1] != "pending":
            raise KpiError("kpi_change.cannot_withdraw", change_id=change_id, status=row[1])
        cur.execute(
            "UPDATE kpi_changes SET status = 'withdrawn', decided_at = ? WHERE change_id = ?", [_now(), change_id]
        )
        audit.record(cur, user.username, "kpi_change_withdraw", "kpi_change", change_id, None)


def my_queue(db: Database, user: User) -> list[dict[str, Any]]:
    """Pending requests waiting for a step this user may decide, oldest first."""
    pending = db.rows(
        "SELECT * FROM kpi_changes c WHERE status = 'pending' AND NOT EXISTS ("
        " SELECT 1 FROM kpi_change_steps s WHERE s.change_id = c.change_id AND s.approver = ?)"
        " ORDER BY requested_at, change_id",
        [user.username],
    )
    return [_load(r) for r in pending if may_decide(db, user, r["step"], r)]


def my_requests(db: Database, user: User) -> list[dict[str, Any]]:
    """The requests this user filed, newest first."""
    rows = db.rows("SELECT * FROM kpi_changes WHERE requested_by = ? ORDER BY requested_at DESC, change_id DESC",
                   [user.username])  # fmt: skip
    return [_load(r) for r in rows]


def _history(db: Database, where: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = db.rows(f"SELECT * FROM kpi_changes WHERE {where} ORDER BY requested_at, change_id", params)
    steps = db.rows(
        f"SELECT s.* FROM kpi_change_steps s JOIN kpi_changes c USING (change_id) WHERE {where.replace('kind', 'c.kind')}"
        " ORDER BY s.change_id, s.step",
        params,
    )
    out = []
    for r in rows:
        item = _load(r)
        item["after"] = item.pop("payload")
        item["steps"] = [{k: s[k] for k in ("step", "approver", "decision", "comment", "decided_at")}
                         for s in steps if s["change_id"] == r["change_id"]]  # fmt: skip
        out.append(item)
    return out


def kpi_history(db: Database, kpi_id: str) -> list[dict[str, Any]]:
    """Every change request of a library KPI, oldest first: kind, who asked and when, reason, status,
    before/after, and each step's approver, decision, comment and time."""
    return _history(db, "kind IN ('kpi_add', 'kpi_modify', 'kpi_retire') AND subject_id = ?", [kpi_id])


def template_history(db: Database, position_id: str) -> list[dict[str, Any]]:
    """Every change request of a position's template, oldest first (as :func:`kpi_history`)."""
    return _history(db, "kind = 'template' AND subject_id = ?", [position_id])


FIELD_LABELS: dict[str, str] = {
    "name": "名称", "category": "类别", "unit": "单位", "direction": "方向", "method": "评分方法",
    "data_source": "数据来源", "description": "说明", "rubric": "等级描述", "deduction_step": "每次扣分",
    "status": "状态", "weight": "权重", "target": "目标值", "floor": "下限", "stretch": "挑战值",
    "valid_from": "生效日期",
}  # fmt: skip


def change_diff(change: dict[str, Any]) -> list[dict[str, Any]]:
    """What a request changes, one row per changed field: ``item`` (the KPI id of a template line, else
    None), ``field``, its Chinese ``label``, ``before`` and ``after``. A template line added or removed is
    one row with field ``kpi_id``. Works on :func:`get_change` and on the history entries."""
    before = change.get("before") or {}
    after = change.get("payload") if "payload" in change else change.get("after")
    after = after or {}
    rows: list[dict[str, Any]] = []
    if change["kind"] != "template":
        for field in (*DEFINITION_FIELDS, "status"):
            old, new = before.get(field), after.get(field)
            if old != new and not (old in (None, "", []) and new in (None, "", [])):
                rows.append({"item": None, "field": field, "label": FIELD_LABELS[field], "before": old, "after": new})
        return rows
    if before.get("valid_from") != after.get("valid_from"):
        rows.append({"item": None, "field": "valid_from", "label": FIELD_LABELS["valid_from"],
                     "before": before.get("valid_from"), "after": after.get("valid_from")})  # fmt: skip
    old_items = {it["kpi_id"]: it for it in before.get("items") or []}
    new_items = {it["kpi_id"]: it for it in after.get("items") or []}
    for kpi_id in [*new_items, *(k for k in old_items if k not in new_items)]:
        old, new = old_items.get(kpi_id), new_items.get(kpi_id)
        if old is None or new is None:
            rows.append({"item": kpi_id, "field": "kpi_id", "label": "新增指标" if old is None else "移除指标",
                         "before": None if old is None else old.get("weight"),
                         "after": None if new is None else new.get("weight")})  # fmt: skip
            continue
        for field in ("weight", "target", "floor", "stretch"):
            if old.get(field) != new.get(field):
                rows.append({"item": kpi_id, "field": field, "label": FIELD_LABELS[field],
                             "before": old.get(field), "after": new.get(field)})  # fmt: skip
    return rows


def list_changes(db: Database, user: User, status: str | None = None) -> list[dict[str, Any]]:
    """Requests this user may follow, newest first: HR and admin all; an HRBP those of their departments;
    an executive those of the departments they cover; anyone their own requests and those they decided
    or may decide."""
    where = "WHERE status = ?" if status else ""
    rows = [_load(r) for r in db.rows(f"SELECT * FROM kpi_changes {where} ORDER BY requested_at DESC, change_id DESC",
                                      [status] if status else None)]  # fmt: skip
    if permissions.allowed(user, "follow_all_kpi_changes"):
        return rows
    decided = {
        r["change_id"] for r in db.rows("SELECT change_id FROM kpi_change_steps WHERE approver = ?", [user.username])
    }
    followed = set(permissions.hrbp_departments(db, user)) | permissions.headed_departments(db, user)
    covered: dict[str, bool] = {}

    def visible(r: dict[str, Any]) -> bool:
        if r["requested_by"] == user.username or r["change_id"] in decided or r["dept_id"] in followed:
            return True
        if r["dept_id"] not in covered:
            covered[r["dept_id"]] = executive_covers(db, user, r["dept_id"])
        return covered[r["dept_id"]]

    return [r for r in rows if visible(r)]
