"""Risk indicators (DOMAIN.md §9): definitions, set-based computation over the fact tables, and the pure
arithmetic the dashboards apply to summed cells."""
