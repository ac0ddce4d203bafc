"""`run_bank_simulator`: the bank channel's peer, a real HTTP server with its own books (CONTRACT.md §4–§5).

Prints one JSON line when it listens (`{"listening": URL, ...}`; `--port 0` picks a free port) and
serves until SIGTERM or Ctrl-C. `python -m payments.simulator` is the same server without Django.
"""

import logging
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.simulator import cli


class Command(BaseCommand):
    help = "Run the bank-channel simulator (payouts, collections, queries, signed callbacks, statements)."
    # The bank's system does not depend on the health of ours.
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args, **options) -> None:
        secret = os.environ.get("BANK_CALLBACK_SECRET") or settings.BANK_CALLBACK_SECRET
        if not secret:
            raise CommandError("BANK_CALLBACK_SECRET is not set: the simulator signs every callback with it")
        logging.getLogger("payments.simulator").setLevel(logging.DEBUG if options["verbosity"] > 1 else logging.INFO)

        def announce(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        try:
            cli.serve(options, secret=secret, announce=announce)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
