"""Sign-off bench: render, sign and verify the PDFs of a whole cycle.

    .venv/bin/python bench/signoff.py [--people 5000] [--items 10] [--workers 2] [--keep DIR]

Builds the synthetic company of ``bench/cycle.py`` (``--people`` people, templates of ``--items`` items)
in a temporary folder, opens its 2026-Q4 cycle, records actuals and ratings so that every appraisal has
its scores, and moves every appraisal to 签字确认 (a bench shortcut). Then times:

(a) read: ``core.signoff_document.document`` of every appraisal (what the PDF prints, from the
    database), in this process, which holds the database;
(b) render and sign: ``core.pdf_render.render`` of each document and ``core.signing.sign_pdf`` of the
    result (the local CA, made first, untimed) on a process pool of ``--workers`` (each worker parses the
    font and loads the signing key once), writing each signed file into the archive; then the
    ``signoff_documents`` rows and ``pdf_issued`` ledger rows are written in one transaction (timed
    apart: (b') record);
(c) verify: ``core.signoff_verify.verify`` (what ``python -m core.admin verify-signoffs`` runs) over
    everything, in this process: the ledger's chain and head, each record recomputed from the
    database, each file re-hashed, each signature validated offline.

Side by side, the same run renders ``--sample`` documents with ``render_appraisal`` in this one process
(what a confirmation does) and prints the pool's speed-up over it. It prints documents per second for each step with the wall-clock and CPU time per document, and the
projected time of a 420-person cycle on this machine: as measured (the per-document wall-clock times
times 420), and from the CPU times (signing shared by the workers), which is what an idle machine would
take when others share it now. A bench, never a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cycle import HR_USER, PART, YEAR, actuals_frame, build_company  # noqa: E402
from core import (  # noqa: E402
    appraisal_scores,
    archive,
    clock,
    cycles,
    pdf_render,
    signing,
    signoff_document,
    signoff_record,
    signoff_verify,
    vocabulary,
)
from core.db import Database, insert_frame, open_database  # noqa: E402
from core.signoff_document import render_appraisal  # noqa: E402

CYCLE_SIZE = 420  # the cycle the target is set for: under a minute on 2 cores


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(db: Database, people: int, items: int, seed: int) -> tuple[str, list[str]]:
    """The company, its cycle scored and in 签字确认; returns the cycle and its appraisal ids."""
    build_company(db, people, items)
    report = cycles.open_cycle(db, HR_USER, kind="quarterly", year=YEAR, part=PART)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE appraisal_items SET manager_input = CASE method WHEN 'rubric' THEN 4 WHEN 'pass_fail' THEN 1"
            " ELSE 80 END WHERE list_contains(?::VARCHAR[], method)",
            [list(vocabulary.JUDGED_METHODS)],
        )
        insert_frame(cur, "kpi_actuals", actuals_frame(db, report.cycle_id, seed))
    appraisal_scores.recompute(db, cycle_id=report.cycle_id)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE appraisals SET stage = 'signoff', signoff_round = 1, signoff_since = ? WHERE cycle_id = ?",
            [clock.now(), report.cycle_id],
        )
    ids = [r["appraisal_id"] for r in db.rows("SELECT appraisal_id FROM appraisals WHERE cycle_id = ? ORDER BY 1",
                                              [report.cycle_id])]  # fmt: skip
    return report.cycle_id, ids


def _render_and_sign(job: tuple[dict, str, str]) -> tuple[str, str, int, float]:
    """In a worker: render ``doc``, sign it and write it to ``target``; returns (target, sha256, bytes, CPU s)."""
    doc, target, ca = job
    cpu = time.process_time()
    signed = signing.sign_pdf(pdf_render.render(doc), folder=Path(ca))
    archive.write_private(Path(target), signed)
    return target, hashlib.sha256(signed).hexdigest(), len(signed), time.process_time() - cpu


class Step:
    """The wall-clock and CPU time of one step (CPU: this process's, or the workers' as reported)."""

    def __enter__(self) -> Step:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _line(step: str, n: int, timed: Step, note: str = "") -> None:
    rate = f"{n / timed.wall:7.1f} documents/s" if timed.wall > 0 else "n/a"
    print(f"{step:<12} {timed.wall:7.2f} s  {n} documents  {rate}  {1000 * timed.wall / n:6.1f} ms each"
          f" (CPU {1000 * timed.cpu / n:6.1f} ms each) {note}", flush=True)  # fmt: skip


def run(folder: Path, args: argparse.Namespace) -> None:
    db_path = folder / "signoff.duckdb"
    with open_database(db_path) as db:
        t0 = time.perf_counter()
        cycle_id, ids = prepare(db, args.people, args.items, args.seed)
        print(f"company and cycle: {len(ids)} appraisals in 签字确认, built in {time.perf_counter() - t0:.1f} s")
        root, ca = archive.archive_root(db), signing.ca_dir(db.path)
        signing.init_ca(ca)
        n = len(ids)
        sample = ids[: max(1, min(args.sample, n))]
        with Step() as alone:
            cur = db.cursor()
            for appraisal_id in sample:
                render_appraisal(cur, appraisal_id)
        _line("render alone", len(sample), alone, "render_appraisal, 1 process (the baseline)")

        with Step() as read:
            cur = db.cursor()
            docs = [signoff_document.document(cur, appraisal_id) for appraisal_id in ids]
        _line("(a) read", n, read, "documents from the database, 1 process")

        jobs = [(doc, str(root / archive.relative_path(a.split(":")[1], cycle_id)), str(ca))
                for a, doc in zip(ids, docs, strict=True)]  # fmt: skip
        with Step() as sign, ProcessPoolExecutor(max_workers=args.workers) as pool:
            signed = list(pool.map(_render_and_sign, jobs, chunksize=max(1, n // (args.workers * 8))))
        sign.cpu = sum(s[3] for s in signed)  # the workers' CPU, not this process's
        _line(
            "(b) render+sign",
            n,
            sign,
            f"{args.workers} worker processes; {sum(s[2] for s in signed) / n / 1024:.0f} KB a file",
        )
        print(f"render+sign on the pool vs rendering alone: {alone.wall / len(sample) / (sign.wall / n):.2f}× the"
              f" documents per second")  # fmt: skip

        with Step() as record, db.transaction() as cur:
            for appraisal_id, (target, _, _, _) in zip(ids, signed, strict=True):
                rec = signoff_record.record(cur, appraisal_id)
                archive.record_issued(cur, rec, str(Path(target).relative_to(root)), Path(target).read_bytes(), "bench")
        _line("(b') record", n, record, "documents, ledger and audit rows, one transaction")

        with Step() as verify:
            report = signoff_verify.verify(db, root)
        _line("(c) verify", n, verify, f"1 process; problems={len(report.findings)}")
        assert report.ok and len(report.documents) == n, report.lines()[:5]

    steps = (read, sign, record, verify)
    wall = sum(s.wall for s in steps) / n * CYCLE_SIZE
    idle = (read.cpu + sign.cpu / args.workers + record.cpu + verify.cpu) / n * CYCLE_SIZE
    print(f"projected for a {CYCLE_SIZE}-person cycle: {wall:.1f} s as measured (read {read.wall / n * CYCLE_SIZE:.1f}"
          f" + render+sign {sign.wall / n * CYCLE_SIZE:.1f} + record {record.wall / n * CYCLE_SIZE:.1f}"
          f" + verify {verify.wall / n * CYCLE_SIZE:.1f}); {idle:.1f} s from the CPU times on an idle machine"
          f" (signing shared by {args.workers} processes); target < 60 s")  # fmt: skip
    print(f"peak RSS {_peak_mb():.0f} MB (this process); load average (1 min) {os.getloadavg()[0]:.2f}"
          f" on {os.cpu_count()} cores")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000, help="appraisals in the cycle (default 5,000)")
    parser.add_argument("--items", type=int, default=10, help="items per appraisal (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="rendering and signing processes (default 2)")
    parser.add_argument("--sample", type=int, default=100, help="documents the one-process baseline renders")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", help="build in this folder (it must not exist) and keep it")
    args = parser.parse_args(argv)
    if args.people < 1 or args.items < 1 or args.workers < 1:
        parser.error("--people, --items and --workers must be at least 1")
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True)
        run(folder, args)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="jixiao-signoff-bench-"))
    try:
        run(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
