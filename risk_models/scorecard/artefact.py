"""The card's artefact file: skops (never pickle), so loading it runs no code from the file.

It holds the card as plain data (binning and points tables, scaling), the fitted scikit-learn estimator
and the reproducibility record. Scoring reads the same tables from the database; the file is what an
auditor or another system takes away.
"""

import skops.io as sio
from sklearn.linear_model import LogisticRegression

from .card import Scorecard

ARTEFACT_FORMAT = "cashloan-scorecard/1"


def dumps(*, card: Scorecard, estimator: LogisticRegression, reproducibility: dict, version: str) -> bytes:
    return sio.dumps(
        {
            "format": ARTEFACT_FORMAT,
            "version": version,
            "card": card.to_dict(),
            "estimator": estimator,
            "reproducibility": reproducibility,
        }
    )


def loads(data: bytes) -> dict:
    """Load an artefact, trusting only the types skops itself reports as safe plus the estimator's."""
    untrusted = [t for t in sio.get_untrusted_types(data=data) if not _is_expected(t)]
    if untrusted:
        raise ValueError(f"artefact holds unexpected types: {untrusted}")
    content = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    if content.get("format") != ARTEFACT_FORMAT:
        raise ValueError(f"not a scorecard artefact: {content.get('format')!r}")
    content["card"] = Scorecard.from_dict(content["card"])
    return content


def _is_expected(type_name: str) -> bool:
    return type_name.startswith(("sklearn.", "numpy.")) or type_name in {"builtins.float", "builtins.int"}
