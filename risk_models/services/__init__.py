"""risk_models' writes and its scoring entry point. Other apps call only what is exported here."""

from .demo import PROTECTED_CHARACTERISTICS, scorecard_demo_ensure
from .facts import decision_fact_outcome_record, decision_fact_record
from .monitoring import scorecard_monitoring_compute
from .registry import (
    RISK_ANALYST_GROUP,
    risk_analyst_group_ensure,
    scorecard_activate,
    scorecard_challenger_set,
    scorecard_retire,
    scorecard_train,
)
from .scoring import CHALLENGER, CHAMPION, FileScoring, ScoreResult, applicant_bucket, score, scorecard_file_score
from .training_jobs import scorecard_training_job_run, scorecard_training_job_submit, training_parameters

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "PROTECTED_CHARACTERISTICS",
    "RISK_ANALYST_GROUP",
    "FileScoring",
    "ScoreResult",
    "applicant_bucket",
    "decision_fact_outcome_record",
    "decision_fact_record",
    "risk_analyst_group_ensure",
    "score",
    "scorecard_activate",
    "scorecard_challenger_set",
    "scorecard_demo_ensure",
    "scorecard_file_score",
    "scorecard_monitoring_compute",
    "scorecard_retire",
    "scorecard_train",
    "scorecard_training_job_run",
    "scorecard_training_job_submit",
    "training_parameters",
]
