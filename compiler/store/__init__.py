"""store: what a film keeps of its generations, below every stage that reads it.

The ledger (`.filmc/ledger.jsonl`: every create, task id, download and check) and the takes layout
(`takes/<shot>/<target>/<n>.<ext>`). The runner writes them; render, build and the take commands read them.
"""
