"""The simulated bank's books: its own SQLite file (it is the bank's system, not ours).

Every serial is recorded once; money moves for a serial at most once (a PRIMARY KEY on `movements`),
however often the serial is sent, queried or called back.
"""

import csv
import io
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from .faults import ANSWER_FINAL, ANSWER_LOST, ANSWER_TIMEOUT, PROCESSING, SUCCESS, FaultProfile, Plan, plan_for

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,
    account TEXT NOT NULL,
    notify_url TEXT NOT NULL,
    status TEXT NOT NULL,
    code TEXT NOT NULL,
    final_status TEXT NOT NULL,
    final_code TEXT NOT NULL,
    received_count INTEGER NOT NULL DEFAULT 1,
    arrival INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    settle_due REAL,
    settled_at TEXT
);
CREATE TABLE IF NOT EXISTS movements (
    serial TEXT PRIMARY KEY REFERENCES orders (serial),
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,
    account TEXT NOT NULL,
    moved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lost (serial TEXT PRIMARY KEY, lost_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS statement_faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    on_date TEXT NOT NULL,
    fault TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    amount TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT ''
);
"""
ORDER_COLUMNS = (
    "serial, kind, amount, account, notify_url, status, code, final_status, final_code, received_count, "
    "arrival, received_at, settle_due, settled_at"
)
FAULTS = ("drop", "extra", "amount", "status", "raw")


@dataclass(frozen=True)
class BankOrder:
    serial: str
    kind: str
    amount: str
    account: str
    notify_url: str
    status: str
    code: str
    final_status: str
    final_code: str
    received_count: int
    arrival: int  # 1 if the serial was lost in the network once before it arrived
    received_at: str
    settle_due: float | None
    settled_at: str | None

    def public(self) -> dict:
        return {"serial": self.serial, "kind": self.kind, "amount": self.amount, "account": self.account,
                "status": self.status, "code": self.code, "received_count": self.received_count,
                "settled_at": self.settled_at}  # fmt: skip


@dataclass(frozen=True)
class Receipt:
    """What happened when a request arrived: the order (None if lost), its plan, and whether it is new."""

    order: BankOrder | None
    plan: Plan | None
    is_new: bool


class Bank:
    def __init__(self, *, data_dir: Path, profile: FaultProfile) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.profile = profile
        self._lock = threading.Lock()
        self._db = sqlite3.connect(data_dir / "bank.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _now(self) -> str:
        now = datetime.now(UTC)
        if self.profile.settlement_date is not None:
            now = datetime.combine(self.profile.settlement_date, now.time(), tzinfo=UTC)
        return now.isoformat()

    def _order(self, serial: str) -> BankOrder | None:
        row = self._db.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE serial = ?", (serial,)).fetchone()  # noqa: S608
        return BankOrder(*row) if row else None

    def receive(self, *, serial: str, kind: str, amount: Decimal, account: str, notify_url: str) -> Receipt:
        """Take a payout or collection; a serial already received only returns its current state."""
        with self._lock:
            existing = self._order(serial)
            if existing is not None:
                self._db.execute("UPDATE orders SET received_count = received_count + 1 WHERE serial = ?", (serial,))
                return Receipt(order=self._order(serial), plan=None, is_new=False)
            was_lost = self._db.execute("SELECT 1 FROM lost WHERE serial = ?", (serial,)).fetchone() is not None
            plan = plan_for(self.profile, serial, arrival=1 if was_lost else 0, account=account)
            if plan.answer == ANSWER_LOST:
                self._db.execute("INSERT INTO lost (serial, lost_at) VALUES (?, ?)", (serial, self._now()))
                return Receipt(order=None, plan=plan, is_new=False)
            settled_now = plan.answer in (ANSWER_FINAL, ANSWER_TIMEOUT)
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, NULL)",  # noqa: S608
                (
                    serial, kind, str(amount), account, notify_url, PROCESSING, "2001",
                    plan.final_status, plan.final_code, int(was_lost), self._now(),
                    None if settled_now else time.time() + plan.settle_after,
                ),
            )  # fmt: skip
            if settled_now:
                self._settle_locked(serial)
            self._db.execute("COMMIT")
            return Receipt(order=self._order(serial), plan=plan, is_new=True)

    def settle(self, serial: str) -> BankOrder | None:
        """Book the final outcome of a PROCESSING order; None if it was settled already."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            settled = self._settle_locked(serial)
            self._db.execute("COMMIT")
            return self._order(serial) if settled else None

    def _settle_locked(self, serial: str) -> bool:
        settled_at = self._now()
        changed = self._db.execute(
            "UPDATE orders SET status = final_status, code = final_code, settled_at = ?, settle_due = NULL "
            "WHERE serial = ? AND status = ?",
            (settled_at, serial, PROCESSING),
        ).rowcount
        if changed:
            # INSERT (not INSERT OR IGNORE): a second movement for one serial must be impossible, not skipped.
            self._db.execute(
                "INSERT INTO movements (serial, kind, amount, account, moved_at) "
                "SELECT serial, kind, amount, account, ? FROM orders WHERE serial = ? AND status = ?",
                (settled_at, serial, SUCCESS),
            )
        return bool(changed)

    def get(self, serial: str) -> BankOrder | None:
        with self._lock:
            return self._order(serial)

    def pending(self) -> list[tuple[str, float]]:
        """Orders still processing and when they settle (to resume after a restart)."""
        with self._lock:
            return self._db.execute(
                "SELECT serial, settle_due FROM orders WHERE status = ? AND settle_due IS NOT NULL", (PROCESSING,)
            ).fetchall()

    def orders(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute(f"SELECT {ORDER_COLUMNS} FROM orders ORDER BY received_at").fetchall()  # noqa: S608
        return [BankOrder(*row).public() for row in rows]

    def movements(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, kind, amount, account, moved_at FROM movements ORDER BY moved_at"
            ).fetchall()
        return [dict(zip(("serial", "kind", "amount", "account", "moved_at"), row, strict=True)) for row in rows]

    def add_statement_fault(self, *, on: date, fault: str, serial: str = "", amount: str = "", status: str = "",
                            raw: str = "") -> None:  # fmt: skip
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
        with self._lock:
            self._db.execute(
                "INSERT INTO statement_faults (on_date, fault, serial, amount, status, raw) VALUES (?, ?, ?, ?, ?, ?)",
                (on.isoformat(), fault, serial, amount, status, raw),
            )

    def statement(self, on: date) -> str:
        """CSV `serial,amount,status,settled_at` of everything settled on `on` (UTC), with injected faults."""
        day = on.isoformat()
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, amount, status, settled_at FROM orders "
                "WHERE settled_at >= ? AND settled_at < ? ORDER BY settled_at, serial",
                (day, day + "T99"),
            ).fetchall()
            faults = self._db.execute(
                "SELECT fault, serial, amount, status, raw FROM statement_faults WHERE on_date = ? ORDER BY id", (day,)
            ).fetchall()
        lines = {serial: [serial, amount, status, settled_at] for serial, amount, status, settled_at in rows}
        raw_lines = []
        for fault, serial, amount, status, raw in faults:
            if fault == "drop":
                lines.pop(serial, None)
            elif fault == "amount" and serial in lines:
                lines[serial][1] = amount
            elif fault == "status" and serial in lines:
                lines[serial][2] = status
            elif fault == "extra":
                lines[serial] = [serial, amount, status or SUCCESS, f"{day}T12:00:00+00:00"]
            elif fault == "raw":
                raw_lines.append(raw)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["serial", "amount", "status", "settled_at"])
        writer.writerows(lines.values())
        return out.getvalue() + "".join(f"{line}\n" for line in raw_lines)
