"""jobs: generation for real. Compiled jobs (build/jobs/*.jsonl) go to the providers; takes come back.

The ledger (`.filmc/ledger.jsonl`) is the source of truth: every create is recorded before it leaves and the
provider's task id as soon as it arrives, so a run that stops for any reason resumes without paying twice.
"""
