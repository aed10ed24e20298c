"""Audit-write bench: what the head checkpoint costs an audited write.

    .venv/bin/python bench/audit_write.py [--writes 2000] [--rounds 3]

In a temporary DuckDB file, times ``--writes`` audited writes — each one transaction holding an UPDATE
of a small table and its ``core.audit.record`` row, as every write of the app is — four ways, in
alternating rounds (the best round of each counts, so a busy neighbour on the machine skews none):

(a) as shipped: linked under the key, the head file read and checked, then one of its two slots
    overwritten in place after the commit;
(b) without the head checkpoint (neither read nor written): the keyed chain alone;
(c) the head rewritten whole after every commit instead (temporary file, fsync, ``os.replace``): the
    obvious design, which costs a journal commit of the file system each time;
(d) as (a), plus an ``fsync`` of the slot written;
(e) for reference, the same transaction without any audit row.

The last line is ``ratio_with_vs_without=…`` ((a) / (b)); before it the same ratio for (c) and (d).
A bench, never a test: the numbers depend on the machine and its disk.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import audit, chain  # noqa: E402
from core.db import Database, open_database  # noqa: E402


def _audited(db: Database, i: int) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE bench_rows SET n = n + 1 WHERE id = ?", [i % 100])
        audit.record(cur, "bench", "export", "report", f"r{i}", {"rows": i})


def _unaudited(db: Database, i: int) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE bench_rows SET n = n + 1 WHERE id = ?", [i % 100])


def _timed(db: Database, write: Callable[[Database, int], None], writes: int, offset: int) -> float:
    start = time.perf_counter()
    for i in range(writes):
        write(db, offset + i)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the bench; prints one line per way of writing and the ratios last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="jixiao-bench-audit-"))
    agrees, write_head = audit._head_agrees, chain.write_head
    try:
        with open_database(folder / "bench.duckdb") as db:
            with db.transaction() as cur:
                cur.execute("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, n INTEGER)")
                cur.execute("INSERT INTO bench_rows SELECT range, 0 FROM range(100)")
            _timed(db, _audited, 200, 0)  # warm up: the key is created and the trail keyed
            ways: dict[str, Callable[[], None]] = {
                "(a) keyed + head slot": lambda: None,
                "(b) keyed, no head": lambda: setattr(audit, "_head_agrees", lambda *a: False),
                "(c) keyed + head replaced": lambda: setattr(chain, "write_head", partial(write_head, whole=True)),
                "(d) keyed + head slot fsync": lambda: setattr(chain, "write_head", partial(write_head, durable=True)),
                "(e) no audit row": lambda: None,
            }
            best = dict.fromkeys(ways, float("inf"))
            offset = 1000
            for _ in range(args.rounds):
                for name, arrange in ways.items():
                    audit._head_agrees, chain.write_head = agrees, write_head
                    arrange()
                    write = _unaudited if name.startswith("(e)") else _audited
                    best[name] = min(best[name], _timed(db, write, args.writes, offset))
                    offset += args.writes
            audit._head_agrees, chain.write_head = agrees, write_head
            check = audit.verify_chain(db)
        for name, seconds in best.items():
            print(f"{name:<26} {args.writes} writes in {seconds:.3f} s = {seconds / args.writes * 1e6:,.0f} µs/write")
        print(f"audit trail afterwards: {check.message.render('en')}")
        base = best["(b) keyed, no head"]
        print(f"ratio_replaced_vs_without={best['(c) keyed + head replaced'] / base:.2f}")
        print(f"ratio_fsync_vs_without={best['(d) keyed + head slot fsync'] / base:.2f}")
        print(f"ratio_with_vs_without={best['(a) keyed + head slot'] / base:.2f}")
    finally:
        audit._head_agrees, chain.write_head = agrees, write_head
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
