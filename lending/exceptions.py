"""Origination's domain errors: each carries a stable code; the API maps them to 4xx in one place."""

from common.errors import ConflictError, DomainError, NotFoundError


class LendingError(DomainError):
    code = "LENDING_ERROR"


class InvalidFields(LendingError):
    """A field the borrower can correct: carried as `details: {field: [messages]}` like any 400."""

    code = "VALIDATION_ERROR"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("Some fields are invalid.")
        self.details = {field: [str(m) for m in messages] for field, messages in errors.items()}


class ProductNotAvailable(LendingError):
    code = "PRODUCT_NOT_AVAILABLE"


class ApplicationNotFound(NotFoundError):
    code = "NOT_FOUND"


class BorrowerProfileMissing(LendingError):
    code = "BORROWER_PROFILE_MISSING"
    http_status = 403


class InvalidTransition(ConflictError):
    code = "INVALID_STATUS_TRANSITION"


class OfferNotAcceptable(ConflictError):
    code = "OFFER_NOT_ACCEPTABLE"


class ConsentMissing(LendingError):
    code = "CONSENT_REQUIRED"


class RegulatoryCheckFailed(ConflictError):
    """A re-check at acceptance failed (the exposure changed since the decision): 409 with every violation."""

    def __init__(self, violations: list[dict]) -> None:
        super().__init__(
            "The loan can no longer be granted: " + ", ".join(v["code"] for v in violations),
            code=violations[0]["code"],
        )
        self.details = {"violations": violations}


class FundingNotConfigured(LendingError):
    code = "FUNDING_NOT_CONFIGURED"
    http_status = 409


class ReviewNotAllowed(LendingError):
    code = "REVIEW_NOT_ALLOWED"
    http_status = 403


class ReasonCodeRequired(LendingError):
    code = "REASON_CODE_REQUIRED"
