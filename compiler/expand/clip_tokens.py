"""CLIP token counting and packing for Stable Diffusion prompts (ComfyUI/SDXL).

SDXL's text encoders read a prompt in windows of 77 CLIP tokens: a start token, 75 tokens of text and an end
token. ComfyUI's CLIPTextEncode encodes a longer prompt window by window and concatenates the windows (its
sd1_clip tokenizer breaks between words, never inside a short one); only the first window gives the pooled
embedding SDXL also conditions on. So a prompt reads best when every window holds whole phrases and the first
holds what matters most.

The count is an estimate, not the tokenizer: no small, maintained package ships CLIP's BPE vocabulary without
torch (instant-clip-tokenizer does, but as one 2023 release with no wheels past CPython 3.12; open_clip needs
torch). The rule, applied as ComfyUI splits a prompt (its weight syntax "(words:1.2)" removed first):

- a word of up to 4 letters is 1 token; a longer word is 1 more for every 4 further letters or part of 4
  ("lighthouse" 3, real 1; "weatherbeaten" 4, real 3);
- every digit is a token (CLIP splits numbers into digits), and so is every other mark (",", "'", "-").

How conservative: measured against the real CLIP tokenizer on the 271 descriptive texts (descriptions,
wardrobe, actions, settings, looks) of tests/prompts/film.yaml and specs/lighthouse-keeper/film.yaml it never
counts fewer tokens than the tokenizer and on average 1.41 times as many (the window holds about 53 real
tokens of text where it could hold 75). Single words it under-counts are rare long words (1.5% of the words of
those films, e.g. "unhurried" 2, real 3); a text of such words only can exceed its window by a few tokens.
tests/unit/test_clip_tokens.py pins known tokenizer counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

WINDOW = 75  # tokens of text in one CLIP window (77 less the start and end tokens)

_WEIGHT = re.compile(r"\(([^()]*?)(?::\s*-?[\d.]+)?\)")
_PIECE = re.compile(r"'(?:s|t|re|ve|m|ll|d)\b|[^\W\d_]+|\d|[^\s\w]|_", re.IGNORECASE)
BREAK = "BREAK"  # the chunk separator in a compiled prompt (one conditioning per chunk)


def plain(text: str) -> str:
    """The text ComfyUI tokenizes: emphasis "(words:1.2)" and "(words)" without their brackets and weights."""
    prev = None
    while prev != text:
        prev, text = text, _WEIGHT.sub(r"\1", text)
    return text.replace("\\(", "(").replace("\\)", ")")


def word_tokens(piece: str) -> int:
    if piece[0].isalpha():
        return 1 if len(piece) <= 4 else 1 + math.ceil((len(piece) - 4) / 4)
    return 1


def count(text: str) -> int:
    """Estimated CLIP tokens of `text` (start and end tokens not counted); never fewer than the tokenizer's
    on ordinary English (see the module's notes)."""
    return sum(word_tokens(p) for p in _PIECE.findall(plain(text)))


def _split_long(phrase: str, tokens: int, fine: bool = False) -> list[str]:
    """A phrase longer than a whole window, in pieces that each fit: cut after its commas where it can (the
    pieces, joined again with ", ", give the phrase back word for word), else between words."""
    parts: list[str] = []
    for p in (p.strip() for p in re.split(r"[,;]\s+", phrase)):
        if p and parts and (len(parts[-1].split()) <= 2 or p.startswith(("and ", "or "))):
            parts[-1] += ", " + p  # "a tall, lean man", "forearms, and a steady gait": one phrase
        elif p:
            parts.append(p)
    if len(parts) > 1 and all(count(p) <= tokens for p in parts):
        if fine:  # each comma part on its own: the packer fills the windows with them
            return parts
        out: list[str] = []
        for p in parts:
            if out and count(out[-1] + ", " + p) <= tokens:
                out[-1] += ", " + p
            else:
                out.append(p)
        return out
    out = []
    cur: list[str] = []
    for word in phrase.split():
        if cur and count(" ".join([*cur, word])) > tokens:
            out.append(" ".join(cur))
            cur = []
        cur.append(word)
    if cur:
        out.append(" ".join(cur))
    return out


def pack(phrases: Iterable[str], tokens: int = WINDOW, chunks: int = 2, sep: str = ", ") -> tuple[list[str], list[str]]:
    """Keyword phrases, in priority order, packed into at most `chunks` windows of `tokens` each.

    Order is kept: a phrase that does not fit the current window opens the next; one that does not fit a
    window of its own is cut after its commas (or ';', written as ','), else between words, its pieces filling
    the windows in turn (joined again by ", " they give the phrase back). Returns (the windows as text, the
    pieces left out because no window had room).
    """
    out: list[list[str]] = [[]]
    dropped: list[str] = []
    sep_cost = count(sep)

    def room() -> int:
        cur = out[-1]
        return tokens - sum(count(p) for p in cur) - sep_cost * len(cur)

    for raw in phrases:
        phrase = " ".join(str(raw or "").replace(";", ",").split()).strip(" ,")
        if not phrase:
            continue
        pieces = [phrase] if count(phrase) <= tokens else _split_long(phrase, tokens, fine=True)
        for k, piece in enumerate(pieces):
            if count(piece) <= room():
                out[-1].append(piece)
            elif len(out) < chunks:
                out.append([piece])
            else:  # the rest of this phrase is left out with it: no fragments
                dropped.append(", ".join(pieces[k:]))
                break
    return [sep.join(c) for c in out if c], dropped


def fit_words(phrases: Iterable[str], words: int) -> tuple[list[str], list[str]]:
    """Phrases, in priority order, kept while their words add up to at most `words`; (kept, left out).
    A phrase that does not fit is left out whole and later, shorter ones may still fit."""
    kept: list[str] = []
    dropped: list[str] = []
    used = 0
    for raw in phrases:
        phrase = " ".join(str(raw or "").split()).strip(" ,")
        if not phrase:
            continue
        n = len(phrase.split())
        if used + n <= words:
            kept.append(phrase)
            used += n
        else:
            dropped.append(phrase)
    return kept, dropped
