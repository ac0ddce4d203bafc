"""Scorecard mathematics, free of the ORM: binning, WOE/IV, regression, scaling, scoring, reports."""
