"""risk_models' writes and its scoring entry point. Other apps call only what is exported here.

Exports load on first use (PEP 562): training pulls in scikit-learn and SciPy, which would otherwise add
seconds to the start of every web worker, Celery worker and management command that merely imports this.
"""

import importlib

_EXPORTS = {
    "PROTECTED_CHARACTERISTICS": "demo",
    "scorecard_demo_ensure": "demo",
    "decision_fact_outcome_record": "facts",
    "decision_fact_record": "facts",
    "FundingPartnerTerms": "indicators",
    "funding_terms_record": "indicators",
    "indicators_compute": "indicators",
    "indicators_latest_date": "indicators",
    "loan_originations_record": "indicators",
    "scorecard_monitoring_compute": "monitoring",
    "scorecard_train_from_portfolio": "portfolio_training",
    "RISK_ANALYST_GROUP": "registry",
    "risk_analyst_group_ensure": "registry",
    "scorecard_activate": "registry",
    "scorecard_challenger_set": "registry",
    "scorecard_retire": "registry",
    "scorecard_train": "registry",
    "CHALLENGER": "scoring",
    "CHAMPION": "scoring",
    "FileScoring": "scoring",
    "ScoreResult": "scoring",
    "applicant_bucket": "scoring",
    "score": "scoring",
    "scorecard_file_score": "scoring",
    "scorecard_training_job_run": "training_jobs",
    "scorecard_training_job_submit": "training_jobs",
    "training_parameters": "training_jobs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
