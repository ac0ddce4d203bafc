"""The analysts' risk dashboards at /dashboards/: panels read from the computed indicator tables."""
