"""The demo company's generator: ``generate_company`` staffs the departments of :mod:`demo.departments`
in a reporting hierarchy, hires and loses people over the years, hands out 工号 and draws the score
model's parameters. Same arguments, same company: every random draw comes from the seed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from core.standard_pack import KPI_LIBRARY
from demo.company import ID_WIDTH, Company, Employee, Kpi, Position, Quarter, completed_quarters
from demo.departments import DEPARTMENTS, WEIGHT_TEMPLATES, DepartmentSpec, PositionSpec

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红文辉力鹏宇浩凯欣怡晨雨佳轩涵博诺嘉琪思远志国海波"
    "峰斌林燕飞云鑫婷雪梅丹倩颖慧晶欢亮成松立新春晓阳瑞彬俊"
)

SPAN = 10  # the usual team size under a team lead


def _kpis_of(spec: PositionSpec) -> tuple[Kpi, ...]:
    found = []
    for entry in spec.kpis:
        name, target = entry if isinstance(entry, tuple) else (entry, None)
        category, unit, method, default = KPI_LIBRARY[name]
        found.append(Kpi(name, category, unit, method, default if target is None else target))
    return tuple(found)


def _synthetic_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _department_sizes(employees: int) -> list[int]:
    """Each department's head count for a company of ``employees`` (largest remainder, at least 1)."""
    base = sum(d.size for d in DEPARTMENTS)
    raw = [d.size * employees / base for d in DEPARTMENTS]
    sizes = [max(1, math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    i = 0
    while sum(sizes) < employees:
        sizes[order[i % len(order)]] += 1
        i += 1
    while sum(sizes) > employees and max(sizes) > 1:
        sizes[sizes.index(max(sizes))] -= 1
    return sizes


def _split_counts(total: int, shares: list[float]) -> list[int]:
    """``total`` people over positions by share, each position held at least once when possible."""
    n = len(shares)
    if total <= 0:
        return [0] * n
    if total < n:
        return [1] * total + [0] * (n - total)
    counts = [1] * n
    rest = total - n
    raw = [rest * s / sum(shares) for s in shares]
    counts = [c + math.floor(r) for c, r in zip(counts, raw, strict=True)]
    order = sorted(range(n), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    for k in range(total - sum(counts)):
        counts[order[k % n]] += 1
    return counts


@dataclass(slots=True, eq=False)
class _Draft:
    """A person before ids are handed out (ids follow hire order)."""

    department: str
    position: Position
    role: str
    manager: _Draft | None = None
    hire_date: dt.date = dt.date(2000, 1, 1)
    leave_date: dt.date | None = None
    employee_id: str = ""


def _chunks(items: list[Any], parts: int) -> list[list[Any]]:
    size, extra = divmod(len(items), parts)
    out, at = [], 0
    for k in range(parts):
        n = size + (k < extra)
        out.append(items[at : at + n])
        at += n
    return out


def _attach(boss: _Draft, leads: list[_Draft], staff: list[_Draft]) -> None:
    """Staff in teams under the leads; when the leads are too many for one boss, senior leads in between."""
    if not leads:
        for s in staff:
            s.manager = boss
        return
    layers = [leads]
    while len(layers[-1]) > SPAN + 2:
        n_up = math.ceil(len(layers[-1]) / (SPAN + 1))
        upper, layers[-1] = layers[-1][:n_up], layers[-1][n_up:]
        layers.append(upper)
    for lead, team in zip(layers[0], _chunks(staff, len(layers[0])), strict=True):
        for s in team:
            s.manager = lead
    for lower, upper in itertools.pairwise(layers):
        for senior, group in zip(upper, _chunks(lower, len(upper)), strict=True):
            for d in group:
                d.manager = senior
    for d in layers[-1]:
        d.manager = boss


def generate_company(
    employees: int = 420, years: int = 3, seed: int = 2024, *, today: dt.date | None = None
) -> Company:
    """A synthetic machinery maker of about ``employees`` people with ``years`` years of quarterly history.

    Same arguments, same company: every random draw comes from ``seed``.
    """
    if employees < len(DEPARTMENTS):
        raise ValueError(f"至少需要 {len(DEPARTMENTS)} 名员工（每个部门一人）。")
    if years < 1:
        raise ValueError("历史年数至少为 1。")
    rng = random.Random(seed)
    quarters = completed_quarters(years, today or dt.date.today())
    positions, drafts = _org_chart(rng, employees)
    _hire_and_leave(rng, drafts, quarters)
    # 工号 follow hire order with small gaps, six digits with leading zeros.
    number = rng.randint(1, 20)
    for d in sorted(drafts, key=lambda d: (d.hire_date, d.department)):
        d.employee_id = str(number).zfill(ID_WIDTH)
        number += rng.choice((1, 1, 1, 2, 3))
    people = sorted((_person(rng, d) for d in drafts), key=lambda e: e.employee_id)
    lenient, harsh, bias = _raters(rng, people)
    effects = {d.name: d.effect + rng.gauss(0, 0.5) for d in DEPARTMENTS}
    return Company(
        seed=seed,
        departments=tuple(d.name for d in DEPARTMENTS),
        positions=tuple(positions),
        employees=people,
        quarters=quarters,
        department_effect=effects,
        rater_bias=bias,
        lenient=lenient,
        harsh=harsh,
    )


def _org_chart(rng: random.Random, employees: int) -> tuple[list[Position], list[_Draft]]:
    """Every department's positions (weights drawn from the templates) and people in teams; department
    heads report to a vice president (分管副总), HR's and finance's to the GM."""
    positions: list[Position] = []
    drafts: list[_Draft] = []
    heads: dict[str, _Draft] = {}
    for spec, size in zip(DEPARTMENTS, _department_sizes(employees), strict=True):
        by_name = {}
        for p in spec.positions:
            kpis = _kpis_of(p)
            pos = Position(spec.name, p.name, p.role, kpis, rng.choice(WEIGHT_TEMPLATES[len(kpis)]))
            positions.append(pos)
            by_name[p.name] = pos
        people = _staff_department(rng, spec, by_name, size, employees)
        heads[spec.name] = people[0]
        drafts += people
    gm = next(d for d in drafts if d.role == "gm")
    oversee = [d for d in drafts if d.role == "vp"] or [gm]
    others = [d for d in DEPARTMENTS if d.name != "总经办"]
    for k, spec in enumerate(others):
        heads[spec.name].manager = gm if spec.name in ("人力资源部", "财务部") else oversee[k % len(oversee)]
    return positions, drafts


def _staff_department(
    rng: random.Random, spec: DepartmentSpec, by_name: dict[str, Position], size: int, employees: int
) -> list[_Draft]:
    """The ``size`` people of one department, its head first: (the GM's vice presidents,) team leads and
    staff by the positions' shares, staff shuffled into the leads' teams."""
    head_spec = next(p for p in spec.positions if p.role in ("gm", "head"))
    head = _Draft(spec.name, by_name[head_spec.name], head_spec.role)
    people = [head]
    rest = size - 1
    if head.role == "gm":
        n_vp = min(rest, 2 + (employees >= 1500) + (employees >= 4000))
        people += [_Draft(spec.name, by_name["副总经理"], "vp", manager=head) for _ in range(n_vp)]
        rest -= n_vp
    staff_specs = [p for p in spec.positions if p.role == "staff"]
    lead_only = next((p for p in spec.positions if p.role == "lead"), None)
    lead_name = lead_only.name if lead_only else spec.lead
    if lead_only and rest >= 2:
        n_leads = max(1, round((rest - 1) / (SPAN + 1)))
    elif rest > SPAN + 4:
        n_leads = round(rest / (SPAN + 1))
        lead_name = lead_name or staff_specs[0].name
    else:
        n_leads = 0
    leads = [_Draft(spec.name, by_name[lead_name], "lead") for _ in range(n_leads)] if lead_name else []
    counts = _split_counts(rest - len(leads), [p.share for p in staff_specs])
    staff = [
        _Draft(spec.name, by_name[p.name], "staff") for p, n in zip(staff_specs, counts, strict=True) for _ in range(n)
    ]
    rng.shuffle(staff)
    _attach(head, leads, staff)
    return people + leads + staff


def _days_before(rng: random.Random, anchor: dt.date, lo_years: float, hi_years: float) -> dt.date:
    return anchor - dt.timedelta(days=round(rng.uniform(lo_years, hi_years) * 365))


def _hire_and_leave(rng: random.Random, drafts: list[_Draft], quarters: tuple[Quarter, ...]) -> None:
    """Hire dates by role (most staff before the history starts, some during it) and a few staff leavers."""
    window_start, last_start = quarters[0].start, quarters[-1].start
    for d in drafts:
        if d.role == "gm":
            d.hire_date = _days_before(rng, window_start, 12, 18)
        elif d.role in ("vp", "head"):
            d.hire_date = _days_before(rng, window_start, 3, 15)
        elif d.role == "lead":
            d.hire_date = _days_before(rng, window_start, 1, 12)
        elif rng.random() < 0.85:
            d.hire_date = _days_before(rng, window_start, 0.2, 12)
        else:
            span = max(1, (last_start - window_start).days - 60)
            d.hire_date = window_start + dt.timedelta(days=rng.randrange(span))
        if d.role == "staff" and rng.random() < 0.07:
            lo = max(d.hire_date + dt.timedelta(days=150), window_start + dt.timedelta(days=30))
            hi = quarters[-1].end - dt.timedelta(days=1)
            if lo < hi:
                d.leave_date = lo + dt.timedelta(days=rng.randrange((hi - lo).days))


def _person(rng: random.Random, d: _Draft) -> Employee:
    return Employee(
        employee_id=d.employee_id,
        name=_synthetic_name(rng),
        department=d.department,
        position=d.position,
        manager_id=d.manager.employee_id if d.manager else None,
        hire_date=d.hire_date,
        leave_date=d.leave_date,
        effect=rng.gauss(0, 5.5),
        slope=rng.gauss(0, 0.8),
    )


def _raters(rng: random.Random, people: list[Employee]) -> tuple[frozenset[str], frozenset[str], dict[str, float]]:
    """(lenient, harsh, bias by rater): every head or lead rating three or more people has a small bias;
    about 6 % of them are lenient and as many harsh."""
    reports: dict[str, int] = defaultdict(int)
    for e in people:
        if e.manager_id:
            reports[e.manager_id] += 1
    raters = sorted(
        e.employee_id for e in people if reports[e.employee_id] >= 3 and e.position.role in ("head", "lead")
    )
    n_odd = max(2, round(0.06 * len(raters))) if len(raters) >= 6 else len(raters) // 3
    picked = rng.sample(raters, 2 * n_odd) if n_odd else []
    bias = {r: rng.gauss(0, 1.2) for r in raters}
    # drawn in the sampled order, not a set's: a set's order changes with the process's hash seed
    for r in picked[:n_odd]:
        bias[r] = rng.uniform(5, 8)
    for r in picked[n_odd:]:
        bias[r] = -rng.uniform(5, 8)
    return frozenset(picked[:n_odd]), frozenset(picked[n_odd:]), bias
