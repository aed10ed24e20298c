"""``python -m demo [--db PATH] [--employees N] [--years Y] [--seed S] [--if-missing] [--workdir DIR]``.

Builds the demo company into the database: generate, write HR's legacy files, import them, create the
demo logins and open this quarter's cycle. Messages are Chinese sentences; exit 0 when every file was
imported, 1 when one was refused or failed (or the arguments are out of range), 2 when the database is
held by another program.

All or nothing: the build runs in a temporary directory elsewhere (``$TMPDIR/jixiao-demo-<pid>-…``, 0700)
on a copy of the existing database (or a new one) and of its audit head, under the real database's audit
key, while the real file is held open read-only so nothing else writes it meanwhile. Only when the build
is complete are its files moved into place, each with ``os.replace`` from a temporary name in the
destination's own directory: the new key first (a new database only), then the database, its audit head
and the workbooks folder (swapped whole). Interrupted before that, the old database, key, head and
workbooks are untouched: SIGTERM (or Ctrl-C) removes the temporary directory and any temporary file on
the way out; SIGKILL leaves the temporary directory in ``$TMPDIR`` and, if it lands during the final
seconds of copying into place, one ``.demo-<pid>-…`` file or folder beside the database or the
workbooks folder — the next run removes the leftovers of every run whose process is gone.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from core import archive, chain, signing
from core.db import (
    PRIVATE_FILE,
    DatabaseBusy,
    DatabaseError,
    audit_files,
    copy_database,
    default_path,
    open_database,
    wal_path,
)
from core.vocabulary import STAGE_LABELS
from demo.build import DEFAULT_WORKDIR, DemoSummary, build_demo
from demo.departments import DEPARTMENTS
from demo.files import MARKER
from demo.logins import DEMO_PASSWORD

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BUSY = 2
STAGING_PREFIX = "jixiao-demo-"  # the temporary build directory in $TMPDIR: jixiao-demo-<pid>-…
BESIDE_PREFIX = ".demo-"  # a temporary file or folder beside its destination: .demo-<pid>-<name>


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
    """Progress as lines: one per file imported, one per step of the work after the import (each says
    what it is doing), and otherwise one per 5 %."""

    def __init__(self) -> None:
        self.step, self.file, self.message = -1, "", ""

    def __call__(self, fraction: float, message: str) -> None:
        file_part = message.split("：", 1)[0] if message.startswith("正在导入") else ""
        step = int(fraction * 20)
        after_import = fraction >= 1.0 and message != self.message
        if (file_part and file_part != self.file) or (not file_part and (step != self.step or after_import)):
            self.step, self.file, self.message = step, file_part, message
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
    workdir = Path(args.workdir) if args.workdir else DEFAULT_WORKDIR
    for folder in (path.parent, workdir.parent, Path(tempfile.gettempdir())):
        remove_leftovers(folder)
    _say(f"正在生成演示公司：约 {args.employees} 名员工、{args.years} 年季度考核历史（随机种子 {args.seed}）……")
    with _terminated_cleanly(), _staging() as stage:
        summary = _build_staged(stage, path, workdir, args)
    return _report(summary, path)


@dataclass(frozen=True)
class _Stage:
    """The temporary build: its directory, the copy of the database in it, and the workbooks' folder."""

    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "demo.duckdb"

    @property
    def workdir(self) -> Path:
        return self.folder / "files"


def _build_staged(stage: _Stage, path: Path, workdir: Path, args: argparse.Namespace) -> DemoSummary:
    """Build on a copy in ``stage`` while the real database is held read-only, then move it into place."""
    target = audit_files(path)
    if wal_path(path).exists():  # left by a crash: folded into the file by a normal open, before the copy
        open_database(path).close()
    holder = open_database(path, read_only=True) if path.exists() else None  # DatabaseBusy when in use
    try:
        if holder is not None:
            copy_database(path, stage.database, key=False)  # the database and its heads, never the key
        if signing.ca_dir(path).exists():  # the build signs with the install's own CA, never a new one
            shutil.copytree(signing.ca_dir(path), signing.ca_dir(stage.database))
        key_file = target.key if target.key.exists() else audit_files(stage.database).key
        with open_database(stage.database, key_file=key_file) as db:
            summary = build_demo(
                db,
                employees=args.employees,
                years=args.years,
                seed=args.seed,
                workdir=stage.workdir,
                progress=_ProgressLines(),
            )
    finally:
        if holder is not None:
            holder.close()
    _install(stage, path, workdir, key_file)
    summary.workdir = str(workdir)
    return summary


def _install(stage: _Stage, path: Path, workdir: Path, key_file: Path) -> None:
    """Move the finished build into place: a new key first (a database never stands without its key) and
    a new signing CA (the archive's PDFs are signed by it), the archived PDFs, then the database, its heads
    (a head one step behind the database still verifies), the workbooks."""
    target, staged = audit_files(path), audit_files(stage.database)
    if key_file != target.key:
        chain.install_key(key_file, target.key)
    ca = signing.ca_dir(stage.database)
    if ca.exists() and not signing.ca_dir(path).exists():
        _replace_folder(ca, signing.ca_dir(path))
    staged_archive, target_archive = stage.database.parent / "archive", path.parent / "archive"
    for pdf in sorted(staged_archive.rglob("*.pdf")) if staged_archive.exists() else ():
        archive.write_private(target_archive / pdf.relative_to(staged_archive), pdf.read_bytes(), root=target_archive)
    _replace_file(stage.database, path)
    for staged_head, target_head in ((staged.head, target.head), (staged.signoff_head, target.signoff_head)):
        if staged_head.exists():
            _replace_file(staged_head, target_head)
    _replace_folder(stage.workdir, workdir)


def _beside(destination: Path) -> Path:
    """A temporary name in the destination's own directory, so that ``os.replace`` is one rename."""
    return destination.with_name(f"{BESIDE_PREFIX}{os.getpid()}-{destination.name}")


def _replace_file(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = _beside(destination)
    try:
        shutil.copyfile(source, temporary)
        os.chmod(temporary, PRIVATE_FILE)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())  # on the disk before it takes the old file's name
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def _replace_folder(source: Path, destination: Path) -> None:
    """The demo's workbooks folder swapped whole; a folder that is not the demo's own (no marker file)
    gets each workbook replaced on its own, so none is ever half-written."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    incoming, outgoing = _beside(destination), _beside(destination.with_name(destination.name + "-old"))
    try:
        shutil.copytree(source, incoming)
        if not destination.exists():
            os.rename(incoming, destination)
        elif (destination / MARKER).exists() or not any(destination.iterdir()):
            os.rename(destination, outgoing)
            os.rename(incoming, destination)
        else:
            for workbook in incoming.iterdir():
                os.replace(workbook, destination / workbook.name)
    finally:
        for leftover in (incoming, outgoing):
            shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def _staging() -> Iterator[_Stage]:
    """The temporary build directory (0700, in ``$TMPDIR``), removed on the way out however the build ends."""
    folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
    try:
        yield _Stage(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Terminated(SystemExit):
    """SIGTERM, turned into an exit that unwinds (so the temporary files are removed) with status 143."""


@contextmanager
def _terminated_cleanly() -> Iterator[None]:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise Terminated(128 + signum)

    if threading.current_thread() is not threading.main_thread():  # only the main thread takes signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_LEFTOVER = re.compile(rf"^(?:{re.escape(STAGING_PREFIX)}|{re.escape(BESIDE_PREFIX)})(\d+)-")


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove what runs killed outright (SIGKILL) left in ``folder``: temporary builds and temporary
    files named after a process that is gone. Returns what was removed."""
    removed = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        match = _LEFTOVER.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
        except OSError:  # another user's leftover in a shared $TMPDIR: theirs to remove
            continue
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


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
    if summary.closed:
        _say(
            f"上季度「{summary.closed.name}」已走完并关闭：{summary.closed.appraisals} 份考核经员工和主管确认，"
            f"{summary.closed.documents} 份签章 PDF 已存入电子档案（用时 {summary.closed.seconds:.1f} 秒）。"
        )
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
