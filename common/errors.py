"""The one base of every domain error: a stable machine-readable code, a human message and details.

Each app derives its own base from `DomainError` (``ledger.exceptions.LedgerError`` …); the API layer
maps any `DomainError` to a 4xx in one place (`common.api.exception_handler`).
"""

from typing import Any


class DomainError(Exception):
    code: str = "DOMAIN_ERROR"
    http_status: int = 400

    def __init__(self, message: str = "", *, code: str | None = None, **details: Any) -> None:
        self.code = code or self.code
        self.message = message or self.code
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": _jsonable(self.details)}


class ConflictError(DomainError):
    code = "CONFLICT"
    http_status = 409


class NotFoundError(DomainError):
    code = "NOT_FOUND"
    http_status = 404


def _jsonable(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
