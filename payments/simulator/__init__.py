"""The bank-channel simulator: the peer of `payments.channels.bank_simulator`, run by `run_bank_simulator`."""

from .faults import FaultProfile
from .server import BankHTTPServer, BankSimulator, make_server

__all__ = ["BankHTTPServer", "BankSimulator", "FaultProfile", "make_server"]
