"""The payment order's forward-only state machine (DOMAIN.md §7) — pure data, no ORM.

CREATED → SUBMITTED → PROCESSING → SUCCEEDED | FAILED, and REVERSED after success. SUBMITTED may go
straight to a final state when the channel answers at once. Nothing ever moves back.
"""

CREATED = "CREATED"
SUBMITTED = "SUBMITTED"
PROCESSING = "PROCESSING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REVERSED = "REVERSED"

TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({SUBMITTED}),
    SUBMITTED: frozenset({PROCESSING, SUCCEEDED, FAILED}),
    PROCESSING: frozenset({SUCCEEDED, FAILED}),
    SUCCEEDED: frozenset({REVERSED}),
    FAILED: frozenset(),
    REVERSED: frozenset(),
}
FINAL = frozenset({SUCCEEDED, FAILED, REVERSED})
# Where a state sits on the way to the end; a transition always goes up.
RANK = {CREATED: 0, SUBMITTED: 1, PROCESSING: 2, SUCCEEDED: 3, FAILED: 3, REVERSED: 4}


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
