"""Administration commands: ``python -m core.admin <command> …`` (accounts, the audit trail, the signing
CA and the sign-off evidence; the demo company is ``python -m demo``).

Each command is a function taking the parsed arguments and returning the exit code, registered with
its own sub-parser in ``build_parser``; a new command is one ``_add_…`` function and one handler.
Messages are Chinese sentences; the account and audit commands and every core error speak English when
``JIXIAO_LANG=en``. A database held by another process exits 2 with that sentence.

Whoever runs a command acts as the operating-system account running it: the audit rows name the actor
``os:<account>`` (:func:`core.audit.os_actor`, from the process's user id), and ``--user NAME`` is recorded
beside it as what they claim to be (``"claimed_user"`` in each row's detail), never instead of it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core import archive, audit, auth, signing, signoff_verify
from core.db import (
    Database,
    DatabaseBusy,
    DatabaseError,
    audit_files,
    copy_database,
    default_path,
    open_database,
    wal_path,
)
from core.errors import CoreError, Text, cli_language, render_error

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BUSY = 2
CONFIRM_FLAG = "--i-understand"
USER_HELP = "自称的用户名：与运行命令的操作系统账户一并记入审计日志（操作人记为 os:<账户>）"


def _say(message: str) -> None:
    print(message, flush=True)


def _tell(text: BaseException | Text) -> None:
    """Print a core error or coded text in the language of ``JIXIAO_LANG``."""
    _say(render_error(text, cli_language()))


def _database_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else default_path()


def _read_password(args: argparse.Namespace) -> str | None:
    """The new password from stdin (--password-stdin) or typed twice at a prompt; None after a mismatch."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        _tell(Text("admin.password_mismatch"))
        return None
    return first


def cli_actor() -> str:
    """The actor of this command line's audit rows: the operating-system account running it."""
    return audit.os_actor()


def _user_command(action: Callable[[Database, argparse.Namespace], Text]) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        with open_database(_database_path(args)) as db, audit.annotated(claimed_user=args.user):
            try:
                _tell(action(db, args))
            except CoreError as err:  # a refused account change, or an audit row that cannot be written
                _tell(err)
                return EXIT_FAILED
        return EXIT_OK

    return handler


def _create_user(db: Database, args: argparse.Namespace) -> Text:
    password = _read_password(args)
    if password is None:
        raise auth.UserError("admin.password_not_set")
    user = auth.create_user(db, cli_actor(), args.username, password, args.role, employee_id=args.employee,
                            hrbp_departments=args.hrbp_dept or ())  # fmt: skip
    return Text("admin.user_created", username=user.username, roles=sorted(user.roles))


def _reset_password(db: Database, args: argparse.Namespace) -> Text:
    password = _read_password(args)
    if password is None:
        raise auth.UserError("admin.password_not_set")
    auth.reset_password(db, cli_actor(), args.username, password)
    return Text("admin.password_reset", username=args.username)


def _disable(db: Database, args: argparse.Namespace) -> Text:
    auth.set_disabled(db, cli_actor(), args.username, not args.enable)
    return Text("admin.user_enabled" if args.enable else "admin.user_disabled", username=args.username)


def run_verify_audit(args: argparse.Namespace) -> int:
    """Walk the audit chain under its key and hold it against the head checkpoint; exit 0 when intact,
    1 naming what is wrong (the first broken row, a cut tail, a missing key or head). ``--key-file``
    names the key of a backup's copy (kept apart from it); ``--head`` holds the trail against another
    checkpoint than its own, a later backup's: a trail cut back to an older head that was put in place
    of its own still fails against it."""
    with open_database(_database_path(args), key_file=args.key_file, head_file=args.head) as db:
        check = audit.verify_chain(db)
    _tell(check.message)
    return EXIT_OK if check.ok else EXIT_FAILED


def run_rekey_audit(args: argparse.Namespace) -> int:
    """Start a new keyed segment of a trail that does not verify (see :func:`core.audit.rekey`). Without
    ``--i-understand`` it only says what is wrong and what it would do (exit 1); exit 0 once done, or
    when the trail verifies and nothing needs doing."""
    with open_database(_database_path(args)) as db, audit.annotated(claimed_user=args.user):
        check = audit.verify_chain(db)
        if check.ok:
            _tell(Text("audit.rekey_not_needed", rows=check.rows))
            return EXIT_OK
        if not args.i_understand:
            _tell(Text("audit.rekey_confirm", problem=check.message))
            return EXIT_FAILED
        try:
            done = audit.rekey(db, cli_actor())
        except CoreError as err:
            _tell(err)
            return EXIT_FAILED
        _tell(Text("audit.rekeyed", seq=done.seq, before=done.before))
        if done.new_key:
            _tell(Text("audit.rekeyed_new_key", path=db.key_file))
    return EXIT_OK


def run_backup(args: argparse.Namespace) -> int:
    """Copy the database to ``args.dest`` with a checkpoint of its audit head beside the copy (sealed, on
    the disk) and without the key, which is backed up apart; exit 1 when the destination exists or the
    trail disagrees with its head (a backup never blesses a cut trail)."""
    path, dest = _database_path(args), Path(args.dest)
    if dest.exists():
        _tell(Text("admin.backup_exists", path=dest))
        return EXIT_FAILED
    if wal_path(path).exists():  # left by a crash: folded into the file by a normal open, before the copy
        open_database(path).close()
    with open_database(path, read_only=True) as db:  # held: nothing writes the file while it is copied
        copy_database(path, dest, key=False)
        try:
            head = audit.write_checkpoint(db, audit_files(dest).head)
        except CoreError as err:
            for made in (dest, wal_path(dest), audit_files(dest).head):
                made.unlink(missing_ok=True)
            _tell(err)
            return EXIT_FAILED
        _tell(Text("admin.backup_done", path=dest, head=audit_files(dest).head, seq=head.seq if head else 0,
                   key=db.key_file))  # fmt: skip
    return EXIT_OK


def run_init_ca(args: argparse.Namespace) -> int:
    """Make the local signing CA and certificate (see :mod:`core.signing`) and record it in the audit
    log (``signing_ca_created``); exit 1 when one is there."""
    path = _database_path(args)
    folder = Path(args.ca_dir) if args.ca_dir else signing.ca_dir(path)
    with open_database(path) as db, audit.annotated(claimed_user=args.user):
        try:
            made = signing.init_ca(folder, organisation=args.organisation)
            archive.record_ca_created(db, cli_actor(), made)
        except CoreError as err:
            _tell(err)
            return EXIT_FAILED
    _tell(Text("signing.ca_created", path=made.folder, ca=made.ca_subject, signing=made.signing_subject))
    return EXIT_OK


def run_verify_signoffs(args: argparse.Namespace) -> int:
    """Verify the sign-off ledger and every archived document (see :mod:`core.signoff_verify`): exit 0
    when everything matches, 1 naming every mismatch."""
    path = _database_path(args)
    with open_database(path, read_only=True) as db:
        report = signoff_verify.verify(
            db, Path(args.archive) if args.archive else archive.archive_root(db), cycle_id=args.cycle,
            head_file=Path(args.head) if args.head else None, trust=Path(args.ca_dir) if args.ca_dir else None,
        )  # fmt: skip
    for line in report.lines(cli_language()):
        _say(line)
    return EXIT_OK if report.ok else EXIT_FAILED


def _add_signoffs(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("init-ca", help="生成本地签章 CA 与签章证书（不会覆盖已有的 CA）")
    p.add_argument("--ca-dir", metavar="PATH", help="CA 文件夹（默认数据库旁的 ca/，或环境变量 JIXIAO_CA_DIR）")
    p.add_argument("--organisation", default="JiXiao", metavar="NAME", help="证书上的机构名称")
    p.add_argument("--user", metavar="NAME", help=USER_HELP)
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=run_init_ca)

    p = commands.add_parser("verify-signoffs", help="核对签字台账、每份签字 PDF 的记录、文件和数字签名")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.add_argument("--cycle", metavar="CYCLE_ID", help="只核对一个考核周期的文件")
    p.add_argument("--archive", metavar="PATH", help="电子档案文件夹（默认数据库旁的 archive/）")
    p.add_argument("--ca-dir", metavar="PATH", help="信任的签章 CA 文件夹（默认数据库旁的 ca/）")
    p.add_argument("--head", metavar="PATH", help="用另一个台账检查点文件核对（例如备份的 .signoff-head）")
    p.set_defaults(handler=run_verify_signoffs)


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
    p.add_argument("--user", metavar="NAME", help=USER_HELP)
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=_user_command(_create_user))

    p = commands.add_parser("reset-password", help="重置密码并解除锁定")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（不提示）")
    p.add_argument("--user", metavar="NAME", help=USER_HELP)
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=_user_command(_reset_password))

    p = commands.add_parser("disable", help="停用账户（已打开的会话立即失效）")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--enable", action="store_true", help="重新启用该账户")
    p.add_argument("--user", metavar="NAME", help=USER_HELP)
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=_user_command(_disable))

    p = commands.add_parser("verify-audit", help="在密钥下逐行核对审计日志的哈希链，并与检查点文件比对")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.add_argument("--key-file", metavar="PATH", help="审计密钥文件（核对备份时用：密钥与备份分开存放）")
    p.add_argument("--head", metavar="PATH", help="用另一个检查点文件核对（例如最近一次备份的 .head）")
    p.set_defaults(handler=run_verify_audit)

    p = commands.add_parser(
        "rekey-audit",
        help="审计日志无法核对时（密钥丢失、末尾被删、被改写）开始新的密钥链段",
        description="记录此前的审计日志无法核对，并从下一行开始新的密钥链段（密钥文件不存在时生成新的密钥）。",
    )
    p.add_argument(CONFIRM_FLAG, dest="i_understand", action="store_true", help="确认执行（不能撤销）")
    p.add_argument("--user", metavar="NAME", help=USER_HELP)
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=run_rekey_audit)

    p = commands.add_parser("backup", help="备份数据库与审计检查点（不含审计密钥：密钥单独备份）")
    p.add_argument("dest", metavar="DEST", help="备份的数据库文件（不能已存在）；检查点写在它旁边（DEST 同名 .head）")
    p.add_argument("--db", help="数据库文件（默认取环境变量 JIXIAO_DB）")
    p.set_defaults(handler=run_backup)


def build_parser() -> argparse.ArgumentParser:
    """The ``core.admin`` command line: one sub-command per administrative task."""
    parser = argparse.ArgumentParser(prog="python -m core.admin", description="JiXiao 管理命令")
    commands = parser.add_subparsers(dest="command", metavar="命令", required=True)
    _add_users(commands)
    _add_signoffs(commands)
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
