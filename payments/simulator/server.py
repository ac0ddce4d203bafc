"""The bank channel's HTTP side (CONTRACT.md §5) plus the timers that settle orders and send callbacks.

Standard library only: this stands in for someone else's system and shares nothing with ours but the
protocol and the callback secret.
"""

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

from .bank import Bank, BankOrder
from .faults import (
    ANSWER_BUSY,
    ANSWER_LOST,
    ANSWER_SERVER_ERROR,
    ANSWER_TIMEOUT,
    CODE_BUSY,
    MESSAGES,
    PROCESSING,
    FaultProfile,
    Plan,
    plan_for,
)

logger = logging.getLogger("payments.simulator")
CALLBACK_RETRIES = 5


class Scheduler:
    """Runs callables at a given monotonic time on a small pool (settlements and callbacks)."""

    def __init__(self, *, workers: int = 8) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bank-sim")
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="bank-sim-scheduler", daemon=True)
        self._thread.start()

    def at(self, delay: float, action: Callable[[], None]) -> None:
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0), next(self._counter), action))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, action = heapq.heappop(self._heap)
            self._pool.submit(self._safely, action)

    @staticmethod
    def _safely(action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:
            logger.exception("bank simulator timer failed")

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._pool.shutdown(wait=False, cancel_futures=True)


class BankSimulator:
    """The bank: books, settlement timers and signed callbacks."""

    def __init__(self, *, data_dir: Path, profile: FaultProfile, secret: str) -> None:
        if not secret:
            raise ValueError("BANK_CALLBACK_SECRET is empty: callbacks must be signed")
        self.profile = profile
        self.bank = Bank(data_dir=data_dir, profile=profile)
        self._secret = secret.encode()
        self.scheduler = Scheduler()
        for serial, due in self.bank.pending():
            self.scheduler.at(due - time.time(), lambda serial=serial: self._settle(serial))

    def close(self) -> None:
        self.scheduler.stop()
        self.bank.close()

    def receive(self, *, kind: str, body: dict) -> tuple[int, dict | None, float]:
        """(HTTP status, answer body or None for no answer, seconds to hold the answer back)."""
        serial, amount, account, notify_url = _validated(body)
        receipt = self.bank.receive(serial=serial, kind=kind, amount=amount, account=account, notify_url=notify_url)
        if receipt.plan is not None and receipt.plan.answer == ANSWER_LOST:
            return HTTPStatus.GATEWAY_TIMEOUT, None, self.profile.timeout_delay
        order = receipt.order
        if not receipt.is_new:
            return HTTPStatus.OK, _answer(order), 0.0
        plan = receipt.plan
        if order.status == PROCESSING:
            self.scheduler.at(plan.settle_after, lambda: self._settle(serial))
        else:
            self._schedule_callbacks(order, plan)
        if plan.answer == ANSWER_SERVER_ERROR:
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"code": "SYSTEM_ERROR", "message": "internal error"}, 0.0
        if plan.answer == ANSWER_TIMEOUT:
            return HTTPStatus.OK, _answer(order), self.profile.timeout_delay
        if plan.answer == ANSWER_BUSY:
            return HTTPStatus.OK, _answer(order, code=CODE_BUSY), 0.0
        return HTTPStatus.OK, _answer(order), 0.0

    def _settle(self, serial: str) -> None:
        order = self.bank.settle(serial)
        if order is not None:
            self._schedule_callbacks(
                order, plan_for(self.profile, serial, arrival=order.arrival, account=order.account)
            )

    def _schedule_callbacks(self, order: BankOrder, plan: Plan) -> None:
        for callback in plan.callbacks:
            payload = {
                "serial": order.serial,
                "status": callback.status,
                "code": order.code if callback.status != PROCESSING else "2001",
                "amount": order.amount,
                "settled_at": order.settled_at if callback.status != PROCESSING else None,
            }
            self.scheduler.at(callback.delay, lambda payload=payload: self._notify(order.notify_url, payload, 0))

    def _notify(self, url: str, payload: dict, attempt: int) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 (the notify_url the caller gave us, http(s) only)
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Signature": self.sign(body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, OSError) as exc:
            logger.info("callback %s to %s failed (attempt %s): %s", payload["serial"], url, attempt + 1, exc)
        if attempt + 1 < CALLBACK_RETRIES:
            self.scheduler.at(0.2 * 2**attempt, lambda: self._notify(url, payload, attempt + 1))

    def sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()


class InvalidRequest(ValueError):
    pass


def _validated(body: dict) -> tuple[str, Decimal, str, str]:
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    serial, amount, account, notify_url = (body.get(k) for k in ("serial", "amount", "account", "notify_url"))
    if not isinstance(serial, str) or not 0 < len(serial) <= 64:
        raise InvalidRequest("serial must be a string of 1 to 64 characters")
    if not isinstance(amount, str):
        raise InvalidRequest("amount must be a decimal string")
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise InvalidRequest("amount is not a number") from exc
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidRequest("amount must be positive with at most two decimals")
    if not isinstance(account, str) or not account:
        raise InvalidRequest("account is required")
    if not isinstance(notify_url, str) or urlparse(notify_url).scheme not in ("http", "https"):
        raise InvalidRequest("notify_url must be an http(s) URL")
    return serial, value.quantize(Decimal("0.01")), account, notify_url


def _answer(order: BankOrder, *, code: str | None = None) -> dict:
    code = code or order.code
    return {"serial": order.serial, "status": order.status, "code": code, "message": MESSAGES.get(code, "")}


ORDER_PATH = re.compile(r"^/orders/(?P<serial>[^/]+)$")
STATEMENT_PATH = re.compile(r"^/statements/(?P<day>\d{4}-\d{2}-\d{2})$")


class BankRequestHandler(BaseHTTPRequestHandler):
    server: "BankHTTPServer"
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; on a kept-alive connection Nagle would hold the body back until
    # the client's delayed ACK (~40 ms per request on loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, payload: dict | list | str, content_type: str = "application/json") -> None:
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError as exc:
            raise InvalidRequest("body is not JSON") from exc

    def do_POST(self) -> None:
        simulator = self.server.simulator
        path = urlparse(self.path).path
        try:
            if path in ("/payouts", "/collections"):
                kind = "PAYOUT" if path == "/payouts" else "COLLECTION"
                status, answer, hold = simulator.receive(kind=kind, body=self._body())
                if hold:
                    time.sleep(hold)  # past the caller's timeout: the outcome happened, the answer is late
                if answer is None:
                    self.close_connection = True
                    return
                self._send(status, answer)
            elif path == "/_admin/statement-faults":
                body = self._body()
                simulator.bank.add_statement_fault(
                    on=date.fromisoformat(str(body.get("date"))),
                    fault=str(body.get("fault")),
                    serial=str(body.get("serial") or ""),
                    amount=str(body.get("amount") or ""),
                    status=str(body.get("status") or ""),
                    raw=str(body.get("raw") or ""),
                )
                self._send(HTTPStatus.CREATED, {"code": "OK"})
            else:
                self._send(HTTPStatus.NOT_FOUND, {"code": "NOT_FOUND", "message": path})
        except (InvalidRequest, ValueError) as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"code": "INVALID_REQUEST", "message": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("caller went away before the answer")

    def do_GET(self) -> None:
        simulator = self.server.simulator
        path = urlparse(self.path).path
        if match := ORDER_PATH.match(path):
            order = simulator.bank.get(unquote(match["serial"]))
            if order is None:
                self._send(HTTPStatus.NOT_FOUND, {"code": "ORDER_NOT_FOUND", "message": "order not found"})
            else:
                self._send(HTTPStatus.OK, _answer(order))
        elif match := STATEMENT_PATH.match(path):
            self._send(HTTPStatus.OK, simulator.bank.statement(date.fromisoformat(match["day"])), "text/csv")
        elif path == "/_admin/orders":
            self._send(HTTPStatus.OK, simulator.bank.orders())
        elif path == "/_admin/movements":
            self._send(HTTPStatus.OK, simulator.bank.movements())
        elif path == "/_admin/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"code": "NOT_FOUND", "message": path})


class BankHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts of concurrent submissions must queue, not be refused

    def __init__(self, address: tuple[str, int], simulator: BankSimulator) -> None:
        super().__init__(address, BankRequestHandler)
        self.simulator = simulator


def make_server(*, host: str, port: int, data_dir: Path, profile: FaultProfile, secret: str) -> BankHTTPServer:
    return BankHTTPServer((host, port), BankSimulator(data_dir=data_dir, profile=profile, secret=secret))
