"""risk_models' tables, one module per concern. A new fact table (the servicing engineer's loan-performance
snapshots) goes in a module of its own here and is imported below, so migrations and admin find it."""

from .facts import DecisionFact
from .indicators import (
    FundingPartnerFact,
    Indicator,
    IndicatorRun,
    IndicatorValue,
    LoanOrigination,
    ProductFundingFact,
)
from .monitoring import ScorecardMonitoringSnapshot
from .scorecards import ScorecardBin, ScorecardCharacteristic, ScorecardEvent, ScorecardTrainingJob, ScorecardVersion

__all__ = [
    "DecisionFact",
    "FundingPartnerFact",
    "Indicator",
    "IndicatorRun",
    "IndicatorValue",
    "LoanOrigination",
    "ProductFundingFact",
    "ScorecardBin",
    "ScorecardCharacteristic",
    "ScorecardEvent",
    "ScorecardMonitoringSnapshot",
    "ScorecardTrainingJob",
    "ScorecardVersion",
]
from ..performance import LoanPerformanceSnapshot  # noqa: F401  (servicing's daily fact table)
