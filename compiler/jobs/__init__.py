"""Generation jobs: cost estimates, quality checks of takes, statistics from the ledger."""
