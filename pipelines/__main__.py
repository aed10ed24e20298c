"""CLI: ``python -m pipelines import FILE... [--source auto|legacy|roster] [--db PATH] [--json]``.

Prints each file's LoadReport. Exit status: 0 when every file was processed (even with rejected
rows), 2 when a file was refused, 1 when an import failed unexpectedly or the database is busy.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.db import DatabaseBusy, open_database
from core.errors import cli_language, render_error
from pipelines.importer import SOURCES, import_file
from pipelines.report import LoadReport

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def _print_text(report: LoadReport) -> None:
    print(f"== {report.file_name}：{report.status_label}")
    if report.message:
        print(f"   {report.message}")
    print(
        f"   读取 {report.rows_read} 行，导入 {report.rows_loaded} 行，拒绝 {report.rows_rejected} 行，未变化 {report.rows_unchanged} 行"
    )
    for note in report.notes:
        print(f"   说明：{note}")
    for r in report.rejects:
        where = f"{r.sheet or ''} 第 {r.row} 行" if r.row is not None else (r.sheet or "")
        value = f"「{r.value}」" if r.value is not None else ""
        print(f"   拒绝：{where} {r.column or ''}{value}：{r.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="导入花名册和历史考核表，打印导入报告。")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="导入一个或多个文件")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--source", choices=SOURCES, default="auto", help="文件类型（默认自动识别）")
    imp.add_argument("--db", default=None, help="数据库文件（默认 JIXIAO_DB 或 data/jixiao.duckdb）")
    imp.add_argument("--json", action="store_true", help="以 JSON 输出导入报告")
    imp.add_argument("--user", default="cli", help="记录为上传人的用户名")
    args = parser.parse_args(argv)

    try:
        db = open_database(args.db)
    except DatabaseBusy as busy:
        print(render_error(busy, cli_language()), file=sys.stderr)  # JIXIAO_LANG=en: in English
        return EXIT_FAILED
    reports = []
    with db:
        for f in args.files:
            reports.append(import_file(db, f, source=args.source, uploaded_by=args.user))
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


if __name__ == "__main__":
    sys.exit(main())
