"""``python -m riskmodels.cli``: the same command as ``riskmodels``."""

from riskmodels.cli import main

main()
