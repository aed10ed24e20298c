"""CLI: ``python -m pipelines import FILE... [--source auto|legacy|roster|kpi_library] [--period 2023-09]
[--year 2024] [--dept 装配部] [--unknown-people create|reject] [--mapping NAME] [--db PATH] [--json]
[--user NAME]`` and ``python -m pipelines undo BATCH_ID [--db PATH] [--user NAME] [--json]``.

``import`` prints each file's LoadReport. ``--period``, ``--year`` and ``--dept`` answer, once for every
file named, what a file leaves out (its period, the year of a month written alone, the department);
``--unknown-people reject`` rejects the rows of a 工号 the roster does not know instead of filing a
历史人员; ``--mapping`` reads the files with a saved column mapping. A bad value is refused in Chinese
before anything is opened (exit status 2). Exit status: 0 when every file was processed (even with
rejected rows), 2 when a file was refused, 1 when an import failed unexpectedly or the database is busy.
``undo`` takes an import batch back and prints what it removed. Exit status: 0 when the batch was
undone, 2 when the undo was refused (no such batch, already undone, nothing imported, or later work
depends on its rows: the message says which), 1 when it failed unexpectedly or the database is busy.
Whoever runs the command line holds the database file: they act with HR's right to import, as the
operating-system account running it (``os:<account>``, from the process's user id), which the history and
the audit log record; ``--user NAME`` is recorded beside it as who they say they are (``claimed_user``
in the audit rows' detail), never instead of it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from core import audit
from core.auth import User
from core.db import Database, DatabaseBusy, open_database
from core.errors import cli_language, render_error
from pipelines.importer import import_file
from pipelines.options import UNKNOWN_PEOPLE, ImportOptions, option_problems
from pipelines.report import LoadReport
from pipelines.sources import CHOICES
from pipelines.undo import UndoPlan, UndoRefused, undo_batch

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
DB_HELP = "数据库文件（默认 JIXIAO_DB 或 data/jixiao.duckdb）"
log = logging.getLogger(__name__)


USER_HELP = "自称的用户名：与运行命令的操作系统账户（记为 os:<账户>）一并记入审计日志"


def cli_actor() -> User:
    """Who runs the command line: the operating-system account holding the database file (``os:<account>``),
    with HR's right to import."""
    return User(audit.os_actor(), frozenset({"hr"}))


def _print_text(report: LoadReport) -> None:
    print(f"== {report.file_name}：{report.status_label}")
    if report.message:
        print(f"   {report.message}")
    print(
        f"   读取 {report.rows_read} 行，导入 {report.rows_loaded} 行，拒绝 {report.rows_rejected} 行，未变化 {report.rows_unchanged} 行"
    )
    for note in report.notes:
        print(f"   说明：{note}")
    for label, rows in (("拒绝", report.rejects), ("请核对", report.warnings)):
        for r in rows:
            where = f"{r.sheet or ''} 第 {r.row} 行" if r.row is not None else (r.sheet or "")
            value = f"「{r.value}」" if r.value is not None else ""
            print(f"   {label}：{where} {r.column or ''}{value}：{r.reason}")


class ChineseParser(argparse.ArgumentParser):
    """argparse with its help headings and usage errors in Chinese (a bad value names the option and how
    to write it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示这段帮助并退出")

    def format_usage(self) -> str:
        return _chinese_usage(super().format_usage())

    def format_help(self) -> str:
        return _chinese_usage(super().format_help())

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"参数有误：{_chinese_usage_error(message)}", file=sys.stderr)
        sys.exit(EXIT_REFUSED)


def _chinese_usage(text: str) -> str:
    """argparse's 'usage: ' heading in Chinese (the rest of the usage line is the command as typed)."""
    return "用法：" + text[len("usage: ") :] if text.startswith("usage: ") else text


def _chinese_usage_error(message: str) -> str:
    """argparse's English message → a Chinese sentence (the option named as typed)."""
    head, _, rest = message.partition(": ")
    options = " ".join(w for w in head.replace("/", " ").split() if w.startswith("-"))
    if any("\u4e00" <= ch <= "\u9fff" for ch in rest):  # our own sentence (a bad --year)
        return f"{options} {rest}"
    if "invalid choice" in message:
        return f"{options or '参数'} 的取值不在可选范围内：请看 --help 列出的可选值。"
    if "expected one argument" in message:
        return f"{options} 后面要跟一个值：请看 --help 的写法示例。"
    if "required" in message:
        return "缺少必填的参数：请看 --help。"
    if "unrecognized arguments" in message:
        return "有无法识别的参数：" + message.split(":", 1)[-1].strip() + "。请看 --help。"
    if "invalid" in message and "value" in message:
        return f"{options} 的值格式不对：请看 --help 的写法示例。"
    return "命令行参数不对：请看 --help。"


def _year(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"「{text}」不是年份：请写四位年份，如 --year 2024。")
    return int(text.strip())


def build_parser() -> argparse.ArgumentParser:
    """The ``import`` and ``undo`` commands and their options."""
    parser = ChineseParser(
        prog="python -m pipelines", description="导入花名册和历史考核表，打印导入报告；撤销导入批次。"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ChineseParser)
    imp = sub.add_parser("import", help="导入一个或多个文件")
    imp.add_argument("files", nargs="+", metavar="FILE", help="要导入的文件（.xlsx、.xls、.csv）")
    imp.add_argument("--source", choices=CHOICES, default="auto", help="文件类型（默认自动识别）")
    imp.add_argument(
        "--period", metavar="期间",
        help="文件里没写考核期间时用这个期间，如 2023-09（月）、2024Q1（季度）、2024H1、2024；文件里写了的行仍按文件",
    )  # fmt: skip
    imp.add_argument(
        "--year", type=_year, metavar="年份", help="只写了月份（如「三月」「3月」）的考核期间属于哪一年，如 2024"
    )
    imp.add_argument("--dept", metavar="部门", help="表中没写部门、花名册里也没有的人归入哪个部门，如 装配部")
    imp.add_argument(
        "--unknown-people", choices=UNKNOWN_PEOPLE, default="create",
        help="花名册里没有的工号：create 作为历史人员建档（默认），reject 拒绝这些行",
    )  # fmt: skip
    imp.add_argument("--mapping", metavar="名称", help="按已保存的列对应关系（在「数据导入」页保存的名称）读取文件")
    imp.add_argument("--db", default=None, help=DB_HELP)
    imp.add_argument("--json", action="store_true", help="以 JSON 输出导入报告")
    imp.add_argument("--user", metavar="NAME", help=USER_HELP)
    undo = sub.add_parser("undo", help="撤销一个导入批次（删除它导入的全部数据）")
    undo.add_argument("batch_id", metavar="BATCH_ID", help="批次号（见导入报告或「数据导入」页的导入记录）")
    undo.add_argument("--db", default=None, help=DB_HELP)
    undo.add_argument("--json", action="store_true", help="以 JSON 输出撤销结果")
    undo.add_argument("--user", metavar="NAME", help=USER_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "import":
        problems = option_problems(_options(args))
        if problems:  # refused before the database is opened: nothing written
            print("参数有误：" + "".join(problems), file=sys.stderr)
            return EXIT_REFUSED
    try:
        db = open_database(args.db)
    except DatabaseBusy as busy:
        print(render_error(busy, cli_language()), file=sys.stderr)  # JIXIAO_LANG=en: in English
        return EXIT_FAILED
    with db, audit.annotated(claimed_user=args.user):
        return _import(db, args) if args.command == "import" else _undo(db, args)


def _options(args: argparse.Namespace) -> ImportOptions:
    return ImportOptions(
        period=args.period, year=args.year, dept=args.dept, unknown_people=args.unknown_people, mapping=args.mapping
    )


def _import(db: Database, args: argparse.Namespace) -> int:
    actor = cli_actor().username
    options = _options(args)
    reports = [import_file(db, f, source=args.source, uploaded_by=actor, options=options) for f in args.files]
    if args.json:
        payload = [r.to_dict() for r in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2, default=str))
    else:
        for r in reports:
            _print_text(r)
    if any(r.status == "failed" for r in reports):
        return EXIT_FAILED
    if any(r.status == "refused" for r in reports):
        return EXIT_REFUSED
    return EXIT_OK


def _undo(db: Database, args: argparse.Namespace) -> int:
    try:
        plan = undo_batch(db, cli_actor(), args.batch_id)
    except UndoRefused as refused:
        _print_undo(refused.plan, args.json, undone=False)
        return EXIT_REFUSED
    except Exception as err:  # the transaction rolled back: nothing changed
        log.exception("undo of %s failed", args.batch_id)
        message = f"撤销时发生意外错误，没有做任何更改：{type(err).__name__}: {str(err)[:200]}。"
        _print_undo(UndoPlan(args.batch_id, refusal=message), args.json, undone=False)
        return EXIT_FAILED
    _print_undo(plan, args.json, undone=True)
    return EXIT_OK


def _print_undo(plan: UndoPlan, as_json: bool, *, undone: bool) -> None:
    if as_json:
        print(json.dumps({**plan.to_dict(), "undone": undone}, ensure_ascii=False, indent=2, default=str))
    elif undone:
        print(f"== 已撤销批次 {plan.batch_id}（文件「{plan.file_name}」）：{plan.summary()}")
    else:
        print(f"== 未撤销批次 {plan.batch_id}：{plan.reason}")


if __name__ == "__main__":
    sys.exit(main())
