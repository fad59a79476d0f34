"""What a draft cost: Gemini's published per-token prices (USD per million tokens), by model and date.

Source: ai.google.dev/gemini-api/docs/pricing (paid tier, prompts up to 200k tokens), as transcribed on
2026-09-20 and 2026-10-07. Thinking tokens are billed as output. A model not listed has no estimate: its tokens
are still reported and recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .client import Usage


@dataclass(frozen=True)
class Price:
    input: float  # USD per 1M input tokens (text, image, video)
    output: float  # USD per 1M output tokens, thinking included
    audio: float | None = None  # USD per 1M audio input tokens, when it differs
    until: dt.date | None = None  # the last day this price holds


PRICES: dict[str, tuple[Price, ...]] = {
    "gemini-3.8-flash": (Price(0.75, 3.75, until=dt.date(2026, 12, 31)), Price(1.50, 7.50)),
    "gemini-3.5-flash": (Price(1.50, 9.00),),
    "gemini-2.5-flash": (Price(0.30, 2.50, audio=1.00),),
}


def price_for(model: str, day: dt.date) -> Price | None:
    name = model.removeprefix("models/")
    for known, prices in PRICES.items():
        if name == known or name.startswith(known + "-"):  # gemini-2.5-flash-001
            for p in prices:
                if p.until is None or day <= p.until:
                    return p
    return None


def estimate(model: str, usage: Usage, day: dt.date | None = None) -> float | None:
    """The estimated cost in USD, or None when the model's price is unknown."""
    p = price_for(model, day or dt.datetime.now(dt.UTC).date())
    if p is None:
        return None
    text_in = usage.prompt - usage.audio
    audio_rate = p.audio if p.audio is not None else p.input
    return (text_in * p.input + usage.audio * audio_rate + (usage.output + usage.thoughts) * p.output) / 1e6
