"""Data before it reaches a model: the contract's quality suites (great-expectations), the
per-row checks of batch scoring (rejects), and the train / test / out-of-time split."""
