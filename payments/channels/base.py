"""The gateway interface every payment channel implements, and the per-channel code mapping to S / F / U.

A channel's answer is Success, Failure or Unknown. Only codes a channel documents as definite are mapped
to S or F; anything else — "processing", "system busy", a timeout, a 5xx, a code nobody told us about —
is Unknown: the order stays PROCESSING and is queried, never failed on a guess (DOMAIN.md §7).
"""

import abc
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class Outcome(enum.StrEnum):
    SUCCESS = "S"
    FAILURE = "F"
    UNKNOWN = "U"


@dataclass(frozen=True)
class CodeMap:
    """A channel's answer codes by outcome; a code in none of the sets is Unknown."""

    success: frozenset[str]
    failure: frozenset[str]
    unknown: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *, success: Iterable[str], failure: Iterable[str], unknown: Iterable[str] = ()) -> "CodeMap":
        codes = cls(frozenset(success), frozenset(failure), frozenset(unknown))
        overlap = (codes.success & codes.failure) | (codes.success & codes.unknown) | (codes.failure & codes.unknown)
        if overlap:
            raise ValueError(f"a code cannot mean two outcomes: {sorted(overlap)}")
        return codes

    def outcome(self, code: str | None) -> Outcome:
        if code in self.success:
            return Outcome.SUCCESS
        if code in self.failure:
            return Outcome.FAILURE
        return Outcome.UNKNOWN


@dataclass(frozen=True)
class ChannelRequest:
    """What we ask a channel to move. The serial is ours and fixed before the request is sent."""

    serial: str
    kind: str  # PaymentOrder.Kind value
    amount: Decimal
    account: str
    notify_url: str


@dataclass(frozen=True)
class ChannelAnswer:
    """A channel's answer to a submission or a query, already mapped to an outcome."""

    outcome: Outcome
    code: str = ""
    message: str = ""
    # True only when the channel says it never received the serial: the one case where it may be sent again.
    not_found: bool = False
    settled_at: datetime | None = None

    @classmethod
    def unknown(cls, message: str, code: str = "") -> "ChannelAnswer":
        return cls(outcome=Outcome.UNKNOWN, code=code, message=message[:255])


@dataclass(frozen=True)
class ChannelNotice:
    """A verified callback, parsed: what the channel says happened to one serial."""

    serial: str
    status: str
    code: str
    outcome: Outcome
    amount: Decimal | None
    settled_at: datetime | None


class ChannelGateway(abc.ABC):
    """One payment channel. Network errors never escape `submit` / `query`: they are Unknown answers."""

    name: str
    codes: CodeMap

    @abc.abstractmethod
    def submit(self, request: ChannelRequest) -> ChannelAnswer:
        """Send a payout or collection; re-sending a serial the channel has must return its state, not move twice."""

    @abc.abstractmethod
    def query(self, serial: str) -> ChannelAnswer:
        """Ask for the current state of a serial; `not_found=True` if the channel never received it."""

    @abc.abstractmethod
    def verify_callback(self, *, body: bytes, headers: Mapping[str, str]) -> bool:
        """True if the callback really comes from the channel (signature over the raw body)."""

    @abc.abstractmethod
    def parse_callback(self, body: bytes) -> ChannelNotice:
        """Read a verified callback body; raises MalformedCallback if it cannot be read."""

    @abc.abstractmethod
    def statement(self, on: date) -> str:
        """The channel's statement of `on` as CSV `serial,amount,status,settled_at`; raises ChannelUnavailable."""
