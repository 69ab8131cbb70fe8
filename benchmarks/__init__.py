"""Benchmarks: ``make bench`` (``python -m benchmarks.run``) or each module alone.

Every benchmark prints a table of medians over repeated runs beside a baseline measured in the
same run, and writes ``benchmarks/results/NAME.json`` with the machine it ran on.
"""
