"""Errors of the analytics layer. Each carries a stable code; the message names the column, row or version."""

from common.errors import ConflictError, DomainError, NotFoundError


class RiskModelError(DomainError):
    code = "RISK_MODEL_ERROR"


class TrainingDataError(RiskModelError):
    """The training (or test) data cannot make a scorecard: nothing is written when this is raised."""

    code = "TRAINING_DATA_INVALID"


class TargetMissing(TrainingDataError):
    code = "TARGET_MISSING"


class TargetNotBinary(TrainingDataError):
    code = "TARGET_NOT_BINARY"


class TooFewBads(TrainingDataError):
    code = "TOO_FEW_BADS"


class ConstantCharacteristic(TrainingDataError):
    code = "CONSTANT_CHARACTERISTIC"


class AllMissingCharacteristic(TrainingDataError):
    code = "ALL_MISSING_CHARACTERISTIC"


class NoCharacteristicSelected(TrainingDataError):
    code = "NO_CHARACTERISTIC_SELECTED"


class UnreadableData(TrainingDataError):
    code = "UNREADABLE_DATA"


class ScoringInputError(RiskModelError):
    """An applicant or a file row the card cannot score; the message says which column and row."""

    code = "SCORING_INPUT_INVALID"


class UnknownCharacteristic(ScoringInputError):
    code = "UNKNOWN_CHARACTERISTIC"


class MissingCharacteristic(ScoringInputError):
    code = "MISSING_CHARACTERISTIC"


class UnknownCategory(ScoringInputError):
    code = "UNKNOWN_CATEGORY"


class InvalidNumber(ScoringInputError):
    code = "INVALID_NUMBER"


class NoActiveScorecard(NotFoundError):
    code = "NO_ACTIVE_SCORECARD"


class ScorecardNotFound(NotFoundError):
    code = "SCORECARD_NOT_FOUND"


class TrainingJobNotFound(NotFoundError):
    code = "TRAINING_JOB_NOT_FOUND"


class ScorecardStatusConflict(ConflictError):
    code = "SCORECARD_STATUS_CONFLICT"


class TrafficShareInvalid(RiskModelError):
    code = "TRAFFIC_SHARE_INVALID"


class ScorecardPermissionDenied(RiskModelError):
    code = "PERMISSION_DENIED"
    http_status = 403


class DecisionFactInvalid(RiskModelError):
    code = "DECISION_FACT_INVALID"


class IndicatorInputInvalid(RiskModelError):
    code = "INDICATOR_INPUT_INVALID"
