"""Post-loan monitoring: early-warning rules (``early_warning``), the daily portfolio batch
(``portfolio``) and its HTML summary for credit officers (``portfolio_report``).

Import the modules by path; this package imports nothing so that loading one rule does not
pull in pandas' Parquet engine or matplotlib.
"""
