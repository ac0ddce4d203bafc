"""Command line of the simulator, shared by `manage.py run_bank_simulator` and `python -m payments.simulator`.

The module form needs no Django at all (the simulator is the bank's system, not ours): it starts in a
fraction of a second, which is what the tests use; the management command is what the Procfile runs.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path

from .faults import FaultProfile
from .server import make_server

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "var" / "bank_simulator"


def _rate(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError(f"a rate is a fraction between 0 and 1, not {value}")
    return rate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fail-rate", type=_rate, default=0.0, help="definite failures (1001/1002/1003)")
    parser.add_argument("--unknown-rate", type=_rate, default=0.0, help="2001 / 9999 / HTTP 500 answers")
    parser.add_argument("--timeout-rate", type=_rate, default=0.0, help="answers held back past the timeout")
    parser.add_argument("--lost-rate", type=_rate, default=0.0, help="requests that never arrive")
    parser.add_argument("--duplicate-callback-rate", type=_rate, default=0.0)
    parser.add_argument("--late-callback-rate", type=_rate, default=0.0, help="late and out-of-order callbacks")
    parser.add_argument("--timeout-delay", type=float, default=2.0, help="seconds a held-back answer waits")
    parser.add_argument("--processing-delay", type=float, default=0.5, help="max seconds until settlement")
    parser.add_argument("--late-callback-delay", type=float, default=1.5, help="max extra seconds, late ones")
    parser.add_argument("--settlement-date", type=date.fromisoformat, default=None, help="pin the booking date")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)


def profile_of(options: dict) -> FaultProfile:
    return FaultProfile(
        seed=options["seed"],
        fail_rate=options["fail_rate"],
        unknown_rate=options["unknown_rate"],
        timeout_rate=options["timeout_rate"],
        lost_rate=options["lost_rate"],
        duplicate_callback_rate=options["duplicate_callback_rate"],
        late_callback_rate=options["late_callback_rate"],
        timeout_delay=options["timeout_delay"],
        processing_delay=options["processing_delay"],
        late_callback_delay=options["late_callback_delay"],
        settlement_date=options["settlement_date"],
    )


def serve(options: dict, *, secret: str, announce) -> None:
    """Listen, announce one JSON line with the URL, serve until SIGTERM / SIGINT."""
    server = make_server(
        host=options["host"],
        port=options["port"],
        data_dir=options["data_dir"],
        profile=profile_of(options),
        secret=secret,
    )
    host, port = server.server_address[:2]

    def stop(signum, frame) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    announce(json.dumps({"listening": f"http://{host}:{port}", "data_dir": str(options["data_dir"]),
                         "seed": options["seed"]}))  # fmt: skip
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        server.simulator.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m payments.simulator", description="The bank-channel simulator.")
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    options = vars(parser.parse_args(argv))
    logging.basicConfig(level=logging.DEBUG if options["verbose"] else logging.INFO, stream=sys.stderr)
    secret = os.environ.get("BANK_CALLBACK_SECRET", "")
    if not secret:
        parser.error("BANK_CALLBACK_SECRET is not set: the simulator signs every callback with it")
    try:
        serve(options, secret=secret, announce=lambda line: print(line, flush=True))  # noqa: T201 (the JSON line)
    except ValueError as exc:
        parser.error(str(exc))
    return 0
