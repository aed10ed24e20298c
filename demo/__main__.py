"""``python -m demo [--db PATH] [--employees N] [--years Y] [--seed S] [--if-missing] [--workdir DIR]``.

Builds the demo company into the database: generate, write HR's legacy files, import them, create the
demo logins and open this quarter's cycle. Messages are Chinese sentences; exit 0 when every file was
imported, 1 when one was refused or failed (or the arguments are out of range), 2 when the database is
held by another program.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.db import DatabaseBusy, DatabaseError, default_path, open_database
from core.vocabulary import STAGE_LABELS
from demo.build import DEFAULT_WORKDIR, DemoSummary, build_demo
from demo.departments import DEPARTMENTS
from demo.logins import DEMO_PASSWORD

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BUSY = 2


def _say(message: str) -> None:
    print(message, flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m demo`` command line."""
    p = argparse.ArgumentParser(
        prog="python -m demo",
        description="生成一家虚构的机械制造企业（花名册与多年季度考核），写成 HR 常见的杂乱 Excel 文件，再逐个导入。",
    )
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB，否则 data/jixiao.duckdb）")
    p.add_argument("--employees", type=int, default=420, help="员工人数（默认 420）")
    p.add_argument("--years", type=int, default=3, help="季度考核历史的年数（默认 3）")
    p.add_argument("--seed", type=int, default=2024, help="随机种子：相同种子生成相同数据（默认 2024）")
    p.add_argument("--if-missing", action="store_true", help="数据库文件已存在时什么也不做")
    p.add_argument("--workdir", help="存放生成的 Excel 文件的目录（默认 data/demo）")
    return p


class _ProgressLines:
    """Progress as lines: one per file imported, and otherwise one per 5 %."""

    def __init__(self) -> None:
        self.step, self.file = -1, ""

    def __call__(self, fraction: float, message: str) -> None:
        file_part = message.split("：", 1)[0] if message.startswith("正在导入") else ""
        step = int(fraction * 20)
        if (file_part and file_part != self.file) or (not file_part and step != self.step):
            self.step, self.file = step, file_part
            _say(f"[{fraction:4.0%}] {message}")


def run(args: argparse.Namespace) -> int:
    """Build the demo company into the database named by ``args``; the exit code."""
    path = Path(args.db) if args.db else default_path()
    if args.if_missing and path.exists():
        _say(f"数据库 {path} 已存在，未生成演示数据（--if-missing）。")
        return EXIT_OK
    if args.employees < len(DEPARTMENTS) or args.years < 1:
        _say(f"员工人数至少为 {len(DEPARTMENTS)}（每个部门一人），历史年数至少为 1。")
        return EXIT_FAILED
    fresh = not path.exists()
    # A new database is built beside the target and moved into place only when complete, so an
    # interrupted build never leaves a half-filled file for --if-missing to mistake for a finished one.
    target = path.with_name(f".demo-{os.getpid()}-{path.name}") if fresh else path
    _say(f"正在生成演示公司：约 {args.employees} 名员工、{args.years} 年季度考核历史（随机种子 {args.seed}）……")
    try:
        with open_database(target) as db:
            summary = build_demo(
                db,
                employees=args.employees,
                years=args.years,
                seed=args.seed,
                workdir=Path(args.workdir) if args.workdir else DEFAULT_WORKDIR,
                progress=_ProgressLines(),
            )
        if fresh:
            os.replace(target, path)
    finally:
        if fresh:
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
    return _report(summary, path)


def _report(summary: DemoSummary, path: Path) -> int:
    failed = [r for r in summary.reports if r["status"] in ("refused", "failed")]
    _say(
        f"完成：{summary.employees} 名员工、{summary.departments} 个部门、{summary.positions} 个岗位、"
        f"{summary.quarters} 个季度、{summary.appraisals} 份考核，共 {summary.files} 个文件。"
    )
    _say(
        f"导入：读取 {summary.rows_read} 行，导入 {summary.rows_loaded} 行，拒绝 {summary.rows_rejected} 行"
        f"（导入率 {summary.loaded_share:.1%}）；生成用时 {summary.seconds_writing:.1f} 秒，"
        f"导入用时 {summary.seconds_importing:.1f} 秒。"
    )
    for r in failed:
        _say(f"未能导入：{r['file']}（{r['status']}）")
    if summary.cycle:
        spread = "、".join(f"{STAGE_LABELS[s]} {n}" for s, n in summary.cycle.stages.items() if n)
        _say(
            f"当前考核周期「{summary.cycle.name}」已开启：{summary.cycle.appraisals} 份考核、"
            f"{summary.cycle.actuals} 条指标实际值；阶段分布：{spread}（用时 {summary.seconds_cycle:.1f} 秒）。"
        )
    if summary.logins:
        _say(f"演示账户：{'、'.join(summary.logins)}（密码 {DEMO_PASSWORD}，见 README；正式使用前请删除或改密码）。")
    _say(f"数据库：{path}；演示文件在 {summary.workdir}。")
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; 0 on success, 1 when a file could not be imported, 2 when the database is busy."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DatabaseBusy as err:
        print(err, file=sys.stderr, flush=True)
        return EXIT_BUSY
    except DatabaseError as err:
        print(err, file=sys.stderr, flush=True)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
