"""Storyboard vocabulary in words a generation model understands."""

from __future__ import annotations

SIZE_WORDS = {
    "EWS": "extreme wide shot", "WS": "wide shot", "MWS": "medium-wide shot", "MS": "medium shot",
    "MCU": "medium close-up", "CU": "close-up", "ECU": "extreme close-up", "OTS": "over-the-shoulder shot",
    "POV": "point-of-view shot", "INSERT": "insert shot",
}
ANGLE_WORDS = {
    "eye-level": "eye-level", "low": "low-angle", "high": "high-angle", "dutch": "Dutch-angle",
    "overhead": "overhead bird's-eye",
}
# Generic camera sentences for targets whose camera map has no phrase of its own.
CAMERA_WORDS = {
    "static": "the camera holds still", "push-in": "the camera pushes in", "pull-out": "the camera pulls out",
    "zoom-in": "the camera zooms in", "zoom-out": "the camera zooms out", "pan-left": "the camera pans left",
    "pan-right": "the camera pans right", "tilt-up": "the camera tilts up", "tilt-down": "the camera tilts down",
    "dolly-in": "the camera dollies in", "dolly-out": "the camera dollies out",
    "truck-left": "the camera trucks left", "truck-right": "the camera trucks right",
    "tracking": "the camera tracks the subject", "crane-up": "the camera cranes up",
    "crane-down": "the camera cranes down", "orbit-left": "the camera orbits left around the subject",
    "orbit-right": "the camera orbits right around the subject", "handheld": "a handheld camera follows",
}
SPEED_WORDS = {"slow": "slowly", "fast": "quickly"}
# The same moves as directions (Luma: short, directive prompts). "{s}" is where a speed adverb goes.
CAMERA_DIRECTIONS = {
    "static": "hold the camera still", "push-in": "push in{s}", "pull-out": "pull out{s}", "zoom-in": "zoom in{s}",
    "zoom-out": "zoom out{s}", "pan-left": "pan left{s}", "pan-right": "pan right{s}", "tilt-up": "tilt up{s}",
    "tilt-down": "tilt down{s}", "dolly-in": "dolly in{s}", "dolly-out": "dolly out{s}", "truck-left": "truck left{s}",
    "truck-right": "truck right{s}", "tracking": "track the subject{s}", "crane-up": "crane up{s}",
    "crane-down": "crane down{s}", "orbit-left": "orbit{s} left around the subject",
    "orbit-right": "orbit{s} right around the subject", "handheld": "keep the camera handheld",
}
# What image-to-video models commonly get wrong in motion: the default negative terms of video targets that take
# one (Kling), dropped from a shot that asks for them (a bulb that flickers on purpose gets no "flicker").
MOTION_DEFECTS = ("blurry", "distorted faces", "morphing", "flicker", "jitter")
# Words of a shot that ask for a defect term under another name.
DEFECT_ALIASES = {"blurry": ("blur", "blurred", "blurry", "focus", "bokeh", "defocused"), "flicker": ("flicker", "flickering", "strobe", "strobing"),
                  "jitter": ("jitter", "jittery", "shake", "shaky", "handheld"), "morphing": ("morph", "morphs")}

# Words of a shot that show writing: an avoid term for text would contradict them ("a clock with clear numbers").
SHOWS_WRITING = frozenset(("number", "numbers", "numeral", "numerals", "letter", "letters", "lettering", "sign",
                           "signs", "signpost", "writing", "written", "word", "words", "page", "pages", "label",
                           "labels", "newspaper", "poster", "posters", "neon", "headline", "inscription",
                           "inscribed", "handwriting", "note", "notes", "logbook", "book", "letterbox", "graffiti"))
TEXT_TERMS = frozenset(("text", "lettering", "letters", "writing", "words", "captions", "subtitles"))

# `concept.avoid` for targets without negative prompts: what to ask for instead (Flux, Runway:
# "describe what you want"). Terms not listed here are reported by lint instead of negated.
POSITIVE = {
    "text": "clean surfaces without lettering",
    "watermark": "a clean, unbranded frame",
    "watermarks": "a clean, unbranded frame",
    "logo": "a clean, unbranded frame",
    "logos": "a clean, unbranded frame",
    "signature": "a clean, unbranded frame",
    "blurry": "sharp focus",
    "blur": "sharp focus",
    "low quality": "high detail",
    "low resolution": "high detail",
    "lowres": "high detail",
    "jpeg artifacts": "clean, artifact-free detail",
    "noise": "clean detail",
    "extra fingers": "natural, well-formed hands",
    "extra limbs": "natural anatomy",
    "deformed hands": "natural, well-formed hands",
    "bad hands": "natural, well-formed hands",
    "deformed": "natural anatomy",
    "distorted faces": "natural, undistorted faces",
    "distorted face": "natural, undistorted faces",
    "cartoon": "photographic realism",
    "anime": "photographic realism",
    "illustration": "photographic realism",
    "cgi": "photographic realism",
    "oversaturated": "restrained, natural colour",
    "overexposed": "balanced exposure",
    "crowds": "an uncrowded scene",
    "crowd": "an uncrowded scene",
    "modern cars": "no vehicles of the present day",
    "smiling": "a serious expression",
    "lettering": "clean surfaces without lettering",
    "extra people": "only the people described",
    "distorted hands": "natural, well-formed hands",
    "smartphones": "only period-appropriate objects",
    "phones": "only period-appropriate objects",
    "rain": "dry weather",
    "storm": "calm weather",
    "electric light": "only natural and flame light",
}


def positive(term: str) -> str | None:
    return POSITIVE.get(term.strip().lower())


# Words that name a person: an antecedent for 'he'/'she' (lint), people in a subject ('a tiny figure on the
# gallery'). Not 'face' or 'hand': a clock has both.
PERSON_NOUNS = frozenset(
    "man woman boy girl person figure child kid men women people boys girls children lady gentleman mother father "
    "sister brother wife husband son daughter friend stranger couple family crowd someone somebody figures subject "
    "keeper sailor fisherman".split())
