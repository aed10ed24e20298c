"""The registry of sources: every kind of file the importer takes, with how to recognise it, the tables
it loads and its parse, load and undo steps (pipelines/source.py says what each step does). A new
source — attendance exports, sales records, an HTTP feed — is one module or package with those steps
and one entry here; the importer and the undo need no change."""

from __future__ import annotations

from pipelines.kpi_library.loading import load_library
from pipelines.kpi_library.parse import is_library_workbook, parse_library
from pipelines.kpi_library.undo import undo_library
from pipelines.legacy.load import load_legacy
from pipelines.legacy.parse import count_legacy_sheets, parse_legacy
from pipelines.legacy.undo import undo_legacy
from pipelines.roster.load import load_roster
from pipelines.roster.parse import count_roster_sheets, parse_roster
from pipelines.roster.undo import undo_roster
from pipelines.source import Source
from pipelines.workbook import Grid

REGISTRY: tuple[Source, ...] = (
    Source(
        name="legacy",
        label="历史考核表",
        recognise=count_legacy_sheets,
        needs="历史考核表需要「工号」或「姓名」列，以及「得分」「总分」或「等级」列",
        checking="核对员工、部门和指标",
        tables=("departments", "positions", "employees", "kpis", "cycles", "appraisals", "appraisal_items"),
        parse=parse_legacy,
        load=load_legacy,
        undo=undo_legacy,
    ),
    Source(
        name="roster",
        label="花名册",
        recognise=count_roster_sheets,
        needs="花名册需要「工号」「姓名」「部门」列",
        checking="核对工号、部门和上级",
        tables=("departments", "positions", "employees", "import_employee_images", "import_department_images"),
        parse=parse_roster,
        load=load_roster,
        undo=undo_roster,
    ),
    Source(
        name="kpi_library",
        label="指标库与岗位模板",
        # a workbook with a 指标库 or 岗位模板 sheet is a library workbook, whatever else it holds
        recognise=is_library_workbook,
        decisive=True,
        needs="指标库需要「指标名称」「类别」「计分方法」列",
        checking="核对指标库和岗位模板",
        tables=("kpis", "kpi_versions", "template_versions", "position_kpis"),
        parse=parse_library,
        load=load_library,
        undo=undo_library,
    ),
)
NAMES = tuple(s.name for s in REGISTRY)
CHOICES = ("auto", *NAMES)  # what a caller may ask the importer for


def source_named(name: str) -> Source:
    """The registered source called ``name``; KeyError for another name."""
    for s in REGISTRY:
        if s.name == name:
            return s
    raise KeyError(f"unknown source {name!r}")


def recognise(grids: list[Grid]) -> Source | None:
    """The kind of a file by the headers of its visible sheets: a decisive source with any sheet of its
    kind, else the source with most sheets (the earlier one on a tie); None when no sheet is of any."""
    votes = [(s, s.recognise(grids)) for s in REGISTRY]
    for s, n in votes:
        if s.decisive and n:
            return s
    best = max(votes, key=lambda vote: vote[1])  # max keeps the first of equal votes
    return best[0] if best[1] else None


def no_header_message(grids: list[Grid]) -> str:
    """Why a file without any recognisable header is refused, naming the sheets looked at and what each
    source's header needs."""
    names = [g.name for g in grids]
    shown = "、".join(f"「{n}」" for n in names[:8]) + ("等" if len(names) > 8 else "")
    looked = f"（检查了 {len(names)} 个工作表：{shown}）" if names else ""
    needs = "；".join(s.needs for s in REGISTRY)
    return f"没有在文件里找到可识别的表头{looked}。{needs}。请检查表头后再上传。"
