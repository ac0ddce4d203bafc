"""The HTTP + JSON adapter for the bank channel (CONTRACT.md §5, a frozen protocol).

Its peer is `run_bank_simulator` (payments.simulator).
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import quote

import httpx

from common.errors import DomainError
from common.money import money

from ..exceptions import ChannelUnavailable, MalformedCallback
from .base import ChannelAnswer, ChannelGateway, ChannelNotice, ChannelRequest, CodeMap, Outcome

# CONTRACT.md §5: 0000 success; 1001 insufficient funds, 1002 invalid account, 1003 account frozen are
# definite failures; 2001 processing and 9999 system busy leave the outcome open.
BANK_SIM_CODES = CodeMap.of(success={"0000"}, failure={"1001", "1002", "1003"}, unknown={"2001", "9999"})
ORDER_NOT_FOUND = "ORDER_NOT_FOUND"


def sign(*, secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body: what the channel puts in X-Signature."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    text = str(value)
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if parsed.tzinfo is None:
        raise ValueError(f"settled_at has no time zone: {text}")
    return parsed


class BankSimulatorGateway(ChannelGateway):
    name = "BANK_SIM"
    codes = BANK_SIM_CODES

    def __init__(self, *, base_url: str, secret: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._client = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout))

    def submit(self, request: ChannelRequest) -> ChannelAnswer:
        path = "/payouts" if request.kind == "PAYOUT" else "/collections"
        body = {
            "serial": request.serial,
            "amount": str(request.amount),
            "account": request.account,
            "notify_url": request.notify_url,
        }
        return self._answer("POST", path, json=body)

    def query(self, serial: str) -> ChannelAnswer:
        return self._answer("GET", f"/orders/{quote(serial, safe='')}")

    def _answer(self, method: str, path: str, **kwargs) -> ChannelAnswer:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            # The request may well have arrived and moved money: a timeout is Unknown, never a failure.
            return ChannelAnswer.unknown("timeout")
        except httpx.HTTPError as exc:
            return ChannelAnswer.unknown(f"transport error: {type(exc).__name__}")
        payload = self._json(response)
        if response.status_code == 404 and payload.get("code") == ORDER_NOT_FOUND:
            return ChannelAnswer(
                outcome=Outcome.UNKNOWN, code=ORDER_NOT_FOUND, message="never received", not_found=True
            )
        if response.status_code != 200:
            return ChannelAnswer.unknown(f"HTTP {response.status_code}", code=str(payload.get("code", ""))[:16])
        code = str(payload.get("code", ""))[:16]
        try:
            settled_at = _parse_time(payload.get("settled_at"))
        except ValueError:
            settled_at = None
        return ChannelAnswer(
            outcome=self.codes.outcome(code),
            code=code,
            message=str(payload.get("message", ""))[:255],
            settled_at=settled_at,
        )

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            payload = response.json()
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}

    def verify_callback(self, *, body: bytes, headers: Mapping[str, str]) -> bool:
        provided = headers.get("X-Signature", "")
        if not self._secret or not provided:
            return False
        return hmac.compare_digest(sign(secret=self._secret, body=body), provided.strip().lower())

    def parse_callback(self, body: bytes) -> ChannelNotice:
        try:
            payload = json.loads(body)
            serial = payload["serial"]
            status = payload["status"]
            if not isinstance(serial, str) or not serial or not isinstance(status, str):
                raise ValueError("serial and status must be non-empty strings")
            code = str(payload.get("code") or "")[:16]
            amount = payload.get("amount")
            return ChannelNotice(
                serial=serial[:64],
                status=status[:16],
                code=code,
                outcome=self.codes.outcome(code),
                amount=None if amount in (None, "") else money(amount, allow_zero=True),
                settled_at=_parse_time(payload.get("settled_at")),
            )
        except (ValueError, KeyError, TypeError, DomainError) as exc:
            raise MalformedCallback(f"unreadable callback: {exc}") from exc

    def statement(self, on: date) -> str:
        try:
            response = self._client.get(f"/statements/{on.isoformat()}")
        except httpx.HTTPError as exc:
            raise ChannelUnavailable(f"{self.name} statement for {on} unavailable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ChannelUnavailable(f"{self.name} statement for {on} unavailable: HTTP {response.status_code}")
        return response.text
