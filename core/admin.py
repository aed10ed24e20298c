"""Administration commands: ``python -m core.admin <command> …``.

Each command is a function taking the parsed arguments and returning the exit code, registered with
its own sub-parser in ``build_parser``; a new command is one ``_add_…`` function and one handler.
Messages are Chinese sentences; the account and audit commands and every core error speak English when
``JIXIAO_LANG=en``. A database held by another process exits 2 with that sentence.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core import audit, auth
from core.db import Database, DatabaseBusy, DatabaseError, default_path, open_database
from core.errors import Text, cli_language, render_error

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BUSY = 2
CLI_ACTOR = "cli"


def _say(message: str) -> None:
    print(message, flush=True)


def _tell(text: BaseException | Text) -> None:
    """Print a core error or coded text in the language of ``JIXIAO_LANG``."""
    _say(render_error(text, cli_language()))


def _database_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else default_path()


def run_demo(args: argparse.Namespace) -> int:
    """Build the demo company into the database: generate, write HR's legacy files, import them."""
    from core.demo import DEFAULT_WORKDIR, build_demo  # the generator and writers load only for this command

    path = _database_path(args)
    if args.if_missing and path.exists():
        _say(f"数据库 {path} 已存在，未生成演示数据（--if-missing）。")
        return EXIT_OK
    if args.employees < 12 or args.years < 1:
        _say("员工人数至少为 12（每个部门一人），历史年数至少为 1。")
        return EXIT_FAILED
    fresh = not path.exists()
    # A new database is built beside the target and moved into place only when complete, so an
    # interrupted build never leaves a half-filled file for --if-missing to mistake for a finished one.
    target = path.with_name(f".demo-{os.getpid()}-{path.name}") if fresh else path
    _say(f"正在生成演示公司：约 {args.employees} 名员工、{args.years} 年季度考核历史（随机种子 {args.seed}）……")
    shown = {"step": -1, "file": ""}

    def progress(fraction: float, message: str) -> None:
        # one line per file imported, and otherwise one per 5 %
        file_part = message.split("：", 1)[0] if message.startswith("正在导入") else ""
        step = int(fraction * 20)
        if (file_part and file_part != shown["file"]) or (not file_part and step != shown["step"]):
            shown["step"], shown["file"] = step, file_part
            _say(f"[{fraction:4.0%}] {message}")

    try:
        with open_database(target) as db:
            summary = build_demo(
                db,
                employees=args.employees,
                years=args.years,
                seed=args.seed,
                workdir=Path(args.workdir) if args.workdir else DEFAULT_WORKDIR,
                progress=progress,
            )
        if fresh:
            os.replace(target, path)
    finally:
        if fresh:
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
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
        from core.stages import STAGE_LABELS

        spread = "、".join(f"{STAGE_LABELS[s]} {n}" for s, n in summary.cycle.stages.items() if n)
        _say(
            f"当前考核周期「{summary.cycle.name}」已开启：{summary.cycle.appraisals} 份考核、"
            f"{summary.cycle.actuals} 条指标实际值；阶段分布：{spread}（用时 {summary.seconds_cycle:.1f} 秒）。"
        )
    if summary.logins:
        from core.demo_users import DEMO_PASSWORD

        _say(f"演示账户：{'、'.join(summary.logins)}（密码 {DEMO_PASSWORD}，见 README；正式使用前请删除或改密码）。")
    _say(f"数据库：{path}；演示文件在 {summary.workdir}。")
    return EXIT_FAILED if failed else EXIT_OK


def _add_demo(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "demo",
        help="生成演示公司并通过导入流程写入数据库",
        description="生成一家虚构的机械制造企业（花名册与多年季度考核），写成 HR 常见的杂乱 Excel 文件，再逐个导入。",
    )
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB，否则 data/jixiao.duckdb）")
    p.add_argument("--employees", type=int, default=420, help="员工人数（默认 420）")
    p.add_argument("--years", type=int, default=3, help="季度考核历史的年数（默认 3）")
    p.add_argument("--seed", type=int, default=2024, help="随机种子：相同种子生成相同数据（默认 2024）")
    p.add_argument("--if-missing", action="store_true", help="数据库文件已存在时什么也不做")
    p.add_argument("--workdir", help="存放生成的 Excel 文件的目录（默认 data/demo）")
    p.set_defaults(handler=run_demo)


def _read_password(args: argparse.Namespace) -> str | None:
    """The new password from stdin (--password-stdin) or typed twice at a prompt; None after a mismatch."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        _tell(Text("admin.password_mismatch"))
        return None
    return first


def _user_command(action: Callable[[Database, argparse.Namespace], Text]) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        with open_database(_database_path(args)) as db:
            try:
                _tell(action(db, args))
            except auth.UserError as err:
                _tell(err)
                return EXIT_FAILED
        return EXIT_OK

    return handler


def _create_user(db: Database, args: argparse.Namespace) -> Text:
    password = _read_password(args)
    if password is None:
        raise auth.UserError("admin.password_not_set")
    user = auth.create_user(db, CLI_ACTOR, args.username, password, args.role, employee_id=args.employee,
                            hrbp_departments=args.hrbp_dept or ())  # fmt: skip
    return Text("admin.user_created", username=user.username, roles=sorted(user.roles))


def _reset_password(db: Database, args: argparse.Namespace) -> Text:
    password = _read_password(args)
    if password is None:
        raise auth.UserError("admin.password_not_set")
    auth.reset_password(db, CLI_ACTOR, args.username, password)
    return Text("admin.password_reset", username=args.username)


def _disable(db: Database, args: argparse.Namespace) -> Text:
    auth.set_disabled(db, CLI_ACTOR, args.username, not args.enable)
    return Text("admin.user_enabled" if args.enable else "admin.user_disabled", username=args.username)


def run_verify_audit(args: argparse.Namespace) -> int:
    """Walk the audit chain; exit 0 when intact, 1 naming the first broken row."""
    with open_database(_database_path(args)) as db:
        check = audit.verify_chain(db)
    _tell(check.message)
    return EXIT_OK if check.ok else EXIT_FAILED


def _add_users(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "create-user", help="创建登录账户", description="创建登录账户（HR 与管理员账户可以不关联员工）。"
    )
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--employee", metavar="ID", help="关联的员工工号（员工、主管账户必填）")
    p.add_argument("--role", nargs="+", required=True, choices=auth.ROLES, metavar="ROLE",
                   help="一个或多个角色：" + "、".join(auth.ROLES))  # fmt: skip
    p.add_argument("--hrbp-dept", nargs="+", metavar="DEPT_ID", help="HRBP 负责的部门编号")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（不提示）")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=_user_command(_create_user))

    p = commands.add_parser("reset-password", help="重置密码并解除锁定")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（不提示）")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=_user_command(_reset_password))

    p = commands.add_parser("disable", help="停用账户（已打开的会话立即失效）")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--enable", action="store_true", help="重新启用该账户")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=_user_command(_disable))

    p = commands.add_parser("verify-audit", help="逐行核对审计日志的哈希链")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=run_verify_audit)


def build_parser() -> argparse.ArgumentParser:
    """The ``core.admin`` command line: one sub-command per administrative task."""
    parser = argparse.ArgumentParser(prog="python -m core.admin", description="JiXiao 管理命令")
    commands = parser.add_subparsers(dest="command", metavar="命令", required=True)
    _add_demo(commands)
    _add_users(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code is 0 on success, 2 when the database is held by another program."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DatabaseBusy as err:
        print(render_error(err, cli_language()), file=sys.stderr, flush=True)
        return EXIT_BUSY
    except DatabaseError as err:
        print(render_error(err, cli_language()), file=sys.stderr, flush=True)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
