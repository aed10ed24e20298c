"""Sign-off bench: render, sign and verify the PDFs of a whole cycle.

    .venv/bin/python bench/signoff.py [--people 5000] [--items 10] [--workers 2] [--keep DIR]

Builds the synthetic company of ``bench/cycle.py`` (``--people`` people, templates of ``--items`` items)
in a temporary folder, opens its 2026-Q4 cycle, records actuals and ratings so that every appraisal has
its scores, and moves every appraisal to 签字确认 (a bench shortcut). Then times:

(a) render: ``core.signoff_document.render_appraisal`` of every appraisal, in this process;
(b) sign: ``core.signing.sign_pdf`` of every rendered PDF (the local CA, made first, untimed) on a
    process pool of ``--workers`` (each worker loads the signing key once), writing each signed file
    into the archive; then the ``signoff_documents`` rows and ``pdf_issued`` ledger rows are written in
    one transaction (timed apart: (b') record);
(c) verify: ``core.signoff_verify.verify`` (what ``python -m core.admin verify-signoffs`` runs) over
    everything, in this process: the ledger's chain and head, each record recomputed from the
    database, each file re-hashed, each signature validated offline.

It prints documents per second for each step, and the projected time of a 420-person cycle on this
machine (the per-document times of (a), (b), (b') and (c) times 420). A bench, never a test: the
numbers depend on the machine and on how loaded it is.
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
    signing,
    signoff_ledger,
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


def _sign_file(job: tuple[str, str, str]) -> tuple[str, str, int]:
    """In a worker: sign the rendered file ``source`` into ``target``; returns (target, sha256, bytes)."""
    source, target, ca = job
    signed = signing.sign_pdf(Path(source).read_bytes(), folder=Path(ca))
    archive.write_private(Path(target), signed)
    return target, hashlib.sha256(signed).hexdigest(), len(signed)


def _line(step: str, n: int, seconds: float, note: str = "") -> None:
    rate = f"{n / seconds:8.1f} documents/s" if seconds > 0 else "n/a"
    print(f"{step:<14} {seconds:8.2f} s   {n} documents   {rate}   {1000 * seconds / max(n, 1):7.1f} ms each {note}",
          flush=True)  # fmt: skip


def run(folder: Path, args: argparse.Namespace) -> None:
    db_path = folder / "signoff.duckdb"
    with open_database(db_path) as db:
        t0 = time.perf_counter()
        cycle_id, ids = prepare(db, args.people, args.items, args.seed)
        print(f"company and cycle: {len(ids)} appraisals in 签字确认, built in {time.perf_counter() - t0:.1f} s")
        root, ca = archive.archive_root(db), signing.ca_dir(db.path)
        signing.init_ca(ca)
        rendered = folder / "rendered"
        rendered.mkdir()

        t0 = time.perf_counter()
        cur = db.cursor()
        for appraisal_id in ids:
            (rendered / f"{appraisal_id.replace(':', '_')}.pdf").write_bytes(render_appraisal(cur, appraisal_id))
        render_s = time.perf_counter() - t0
        _line("(a) render", len(ids), render_s, "(1 process)")

        jobs = []
        for appraisal_id in ids:
            employee = appraisal_id.split(":")[1]
            target = root / archive.relative_path(employee, cycle_id)
            jobs.append((str(rendered / f"{appraisal_id.replace(':', '_')}.pdf"), str(target), str(ca)))
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            signed = list(pool.map(_sign_file, jobs, chunksize=max(1, len(jobs) // (args.workers * 8))))
        sign_s = time.perf_counter() - t0
        size = sum(s[2] for s in signed) / max(len(signed), 1)
        _line("(b) sign", len(ids), sign_s, f"({args.workers} worker processes; {size / 1024:.0f} KB a file)")

        t0 = time.perf_counter()
        with db.transaction() as cur:
            for appraisal_id, (target, digest, _) in zip(ids, signed, strict=True):
                rec = signoff_record.record(cur, appraisal_id)
                record_hash = signoff_record.sha256(rec)
                rel = str(Path(target).relative_to(root))
                cur.execute(
                    "INSERT INTO signoff_documents VALUES (?, 1, ?, ?, ?, ?, ?, 'bench')",
                    [appraisal_id, rel, record_hash, signoff_record.canonical_bytes(rec).decode(), digest, clock.now()],
                )
                signoff_ledger.append(cur, actor="bench", role="system", action="pdf_issued", appraisal_id=appraisal_id,
                                      cycle_id=cycle_id, record_sha256=record_hash, pdf_sha256=digest)  # fmt: skip
        record_s = time.perf_counter() - t0
        _line("(b') record", len(ids), record_s, "(documents and ledger rows, one transaction)")

        t0 = time.perf_counter()
        report = signoff_verify.verify(db, root)
        verify_s = time.perf_counter() - t0
        _line("(c) verify", len(report.documents), verify_s, f"(1 process; problems={len(report.findings)})")
        assert report.ok, report.lines()[:5]

    per_document = (render_s + sign_s + record_s + verify_s) / len(ids)
    print(f"projected for a {CYCLE_SIZE}-person cycle: {per_document * CYCLE_SIZE:.1f} s"
          f" (render {render_s / len(ids) * CYCLE_SIZE:.1f} + sign {sign_s / len(ids) * CYCLE_SIZE:.1f}"
          f" + record {record_s / len(ids) * CYCLE_SIZE:.1f} + verify {verify_s / len(ids) * CYCLE_SIZE:.1f});"
          f" target < 60 s")  # fmt: skip
    print(f"peak RSS {_peak_mb():.0f} MB (this process); load average (1 min) {os.getloadavg()[0]:.2f}"
          f" on {os.cpu_count()} cores")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000, help="appraisals in the cycle (default 5,000)")
    parser.add_argument("--items", type=int, default=10, help="items per appraisal (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="signing processes (default 2)")
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
