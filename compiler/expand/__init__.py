"""expand: Production -> Plan (per shot x target: prompts and request payloads). Pure: writes nothing."""

from .compile import compile_shot, expand_production, segment_shot, skipped
from .keys import target_digest
from .plan import CompiledPair, CompiledPrompt, Job, Plan, select_shots

__all__ = ["CompiledPair", "CompiledPrompt", "Job", "Plan", "compile_shot", "expand_production", "segment_shot", "select_shots", "skipped",
           "target_digest"]
