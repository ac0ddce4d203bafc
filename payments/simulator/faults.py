"""What the simulated bank does with each serial: drawn once, deterministically, from the seed and the serial.

Deterministic per serial (not per arrival order) so that a run with the same seed treats every order the
same however the requests interleave, and a re-sent serial is never drawn again.
"""

import random
from dataclasses import dataclass
from datetime import date

SUCCESS = "SUCCESS"
FAILED = "FAILED"
PROCESSING = "PROCESSING"

CODE_SUCCESS = "0000"
FAILURE_CODES = ("1001", "1002", "1003")  # insufficient funds, invalid account, account frozen
CODE_PROCESSING = "2001"
CODE_BUSY = "9999"
MESSAGES = {
    CODE_SUCCESS: "success",
    "1001": "insufficient funds",
    "1002": "invalid account",
    "1003": "account frozen",
    CODE_PROCESSING: "processing",
    CODE_BUSY: "system busy",
}

# How the first answer to a serial goes.
ANSWER_FINAL = "FINAL"  # the final status at once (success or a definite failure)
ANSWER_PROCESSING = "PROCESSING"  # 2001: the outcome comes later
ANSWER_BUSY = "BUSY"  # 9999: the outcome comes later
ANSWER_SERVER_ERROR = "SERVER_ERROR"  # HTTP 500 although the order was taken
ANSWER_TIMEOUT = "TIMEOUT"  # the order is taken and settled, the answer is held back past the caller's timeout
ANSWER_LOST = "LOST"  # the request never arrives: nothing recorded, no answer


@dataclass(frozen=True)
class FaultProfile:
    seed: int = 0
    fail_rate: float = 0.0
    unknown_rate: float = 0.0
    timeout_rate: float = 0.0
    duplicate_callback_rate: float = 0.0
    late_callback_rate: float = 0.0
    lost_rate: float = 0.0
    timeout_delay: float = 2.0  # seconds an answer is held back; must exceed the adapter's timeout
    processing_delay: float = 0.5  # at most this many seconds before a PROCESSING order settles
    late_callback_delay: float = 1.5  # at most this many extra seconds for a late callback
    settlement_date: date | None = None  # pin the booking date (tests); else the UTC date of settlement

    def __post_init__(self) -> None:
        rates = (self.fail_rate, self.unknown_rate, self.timeout_rate, self.lost_rate)
        if any(not 0 <= r <= 1 for r in (*rates, self.duplicate_callback_rate, self.late_callback_rate)):
            raise ValueError("rates are fractions between 0 and 1")
        if sum(rates) > 1:
            raise ValueError("fail, unknown, timeout and lost rates together cannot exceed 1")


@dataclass(frozen=True)
class Callback:
    delay: float  # seconds after settlement
    status: str


@dataclass(frozen=True)
class Plan:
    answer: str
    final_status: str
    final_code: str
    settle_after: float  # seconds after receipt (0: settled with the answer)
    callbacks: tuple[Callback, ...]


# A test account that always fails with the given code, as bank sandboxes offer: "SIM:FAIL:1002".
FAIL_ACCOUNT_PREFIX = "SIM:FAIL:"


def plan_for(profile: FaultProfile, serial: str, *, arrival: int = 0, account: str = "") -> Plan:
    """The fate of one serial; `arrival` > 0 for a serial re-sent after it was lost (never lost twice)."""
    rng = random.Random(f"{profile.seed}:{serial}:{arrival}")  # noqa: S311 (reproducible faults, not secrets)
    if account.startswith(FAIL_ACCOUNT_PREFIX) and account[len(FAIL_ACCOUNT_PREFIX) :] in FAILURE_CODES:
        callbacks = (Callback(delay=rng.uniform(0.0, 0.02), status=FAILED),)
        return Plan(ANSWER_FINAL, FAILED, account[len(FAIL_ACCOUNT_PREFIX) :], 0.0, callbacks)
    draw = rng.random()
    final_status, final_code = SUCCESS, CODE_SUCCESS
    settle_after = 0.0
    thresholds = (
        (profile.lost_rate if arrival == 0 else 0.0, ANSWER_LOST),
        (profile.fail_rate, ANSWER_FINAL),
        (profile.unknown_rate, rng.choice((ANSWER_PROCESSING, ANSWER_BUSY, ANSWER_SERVER_ERROR))),
        (profile.timeout_rate, ANSWER_TIMEOUT),
    )
    answer = ANSWER_FINAL
    bound = 0.0
    for index, (rate, kind) in enumerate(thresholds):
        bound += rate
        if draw < bound:
            answer = kind
            if index == 1:
                final_status, final_code = FAILED, rng.choice(FAILURE_CODES)
            break
    if answer in (ANSWER_PROCESSING, ANSWER_BUSY, ANSWER_SERVER_ERROR):
        settle_after = rng.uniform(0.01, max(profile.processing_delay, 0.01))
        if rng.random() < profile.fail_rate:
            final_status, final_code = FAILED, rng.choice(FAILURE_CODES)
    callbacks = [Callback(delay=rng.uniform(0.0, 0.02), status=final_status)]
    if rng.random() < profile.duplicate_callback_rate:
        callbacks.append(Callback(delay=callbacks[0].delay + rng.uniform(0.0, 0.05), status=final_status))
    if rng.random() < profile.late_callback_rate:
        # Late, and out of order: the final word first, then a stale "processing" after it.
        late = rng.uniform(profile.late_callback_delay / 2, profile.late_callback_delay)
        callbacks = [Callback(delay=c.delay + late, status=c.status) for c in callbacks]
        last = max(c.delay for c in callbacks)
        callbacks.append(Callback(delay=last + rng.uniform(0.01, 0.05), status=PROCESSING))
    return Plan(
        answer=answer,
        final_status=final_status,
        final_code=final_code,
        settle_after=settle_after,
        callbacks=tuple(callbacks),
    )
