"""A scripted channel for unit tests of the order flow (the integration tests use the real simulator)."""

from collections import deque
from collections.abc import Callable

from payments.channels import ChannelAnswer, ChannelGateway, ChannelRequest, Outcome
from payments.channels.bank_simulator import BANK_SIM_CODES

SUCCESS = ChannelAnswer(outcome=Outcome.SUCCESS, code="0000", message="success")
FAILURE = ChannelAnswer(outcome=Outcome.FAILURE, code="1002", message="invalid account")
PROCESSING = ChannelAnswer(outcome=Outcome.UNKNOWN, code="2001", message="processing")
TIMEOUT = ChannelAnswer.unknown("timeout")
NOT_FOUND = ChannelAnswer(outcome=Outcome.UNKNOWN, code="ORDER_NOT_FOUND", not_found=True)


class ScriptedGateway(ChannelGateway):
    """Answers from a script and remembers every call."""

    name = "BANK_SIM"
    codes = BANK_SIM_CODES

    def __init__(self) -> None:
        self.submit_answers: deque[ChannelAnswer] = deque()
        self.query_answers: deque[ChannelAnswer] = deque()
        self.submitted: list[ChannelRequest] = []
        self.queried: list[str] = []
        self.before_answer: Callable[[ChannelRequest], None] | None = None

    def submit(self, request: ChannelRequest) -> ChannelAnswer:
        self.submitted.append(request)
        if self.before_answer is not None:
            self.before_answer(request)
        return self.submit_answers.popleft() if self.submit_answers else SUCCESS

    def query(self, serial: str) -> ChannelAnswer:
        self.queried.append(serial)
        return self.query_answers.popleft()

    def verify_callback(self, *, body, headers) -> bool:
        raise AssertionError("not used by the order flow")

    def parse_callback(self, body):
        raise AssertionError("not used by the order flow")

    def statement(self, on):
        raise AssertionError("not used by the order flow")
