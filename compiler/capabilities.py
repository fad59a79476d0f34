"""What a target's model can do (target.yaml `capabilities`), typed, with every setting declared once.

Each field of `Capabilities` is the one declaration of a setting: its name, its type (the annotation), its
default and a one-line help (`setting(...)`). The target schema's `default`s and required names, the docs'
settings table and `filmc targets show` are derived from these declarations or checked against them by tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any

REF_KINDS = ("character", "location", "style", "object")
# How camera moves reach the model, and what `filmc targets show` says of each.
CAMERA_STYLES = {
    "words": "moves written into the prompt",
    "brackets": "moves as [bracketed] commands in the prompt",
    "concepts": "moves sent as the API's camera concepts",
    "none": "no camera moves (an image model)",
}

EndFrame = bool | Mapping[str, tuple[Any, ...]]  # True, False, or the option values it needs ({mode: (pro,)})


def setting(default: Any, help: str, *, required: bool = False, choices: Mapping[str, str] | None = None) -> Any:
    """Declare one capability: its default, a line of help, whether target.yaml must set it, its choices."""
    meta = {"help": help, "required": required, "choices": dict(choices or {})}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RefCaps:
    """What reference images a model takes (target.yaml `capabilities.references`, with its `models:` override)."""

    max: int
    kinds: tuple[str, ...] = REF_KINDS
    per_kind: tuple[tuple[str, int], ...] = ()
    cite: str = "image"  # image | tag | none
    with_first_frame: bool = True
    with_end_frame: bool = True

    def kind_max(self, kind: str) -> int:
        """How many references of one kind a request may carry (0: that kind is not taken)."""
        if kind not in self.kinds:
            return 0
        return dict(self.per_kind).get(kind, self.max)

    def as_data(self) -> dict[str, Any]:
        return {"max": self.max, "kinds": list(self.kinds), "per_kind": dict(self.per_kind), "cite": self.cite,
                "with_first_frame": self.with_first_frame, "with_end_frame": self.with_end_frame}


@dataclass(frozen=True)
class PromptBudget:
    """How much of a prompt the model reads well: ("words", 120) or ("tokens", 75)."""

    unit: str  # words | tokens
    amount: int

    def as_data(self) -> dict[str, int]:
        return {self.unit: self.amount}


@dataclass(frozen=True)
class DurationsWhen:
    """Lengths that hold only with some option values (`capabilities.durations_when` entry): Hailuo makes 1080P
    clips of 6 s only."""

    when: tuple[tuple[str, tuple[Any, ...]], ...]  # option -> the values it has for these lengths
    durations: tuple[float, ...]

    def matches(self, options: Mapping[str, Any]) -> bool:
        return all(options.get(k) in values for k, values in self.when)

    def as_data(self) -> dict[str, Any]:
        return {"when": {k: list(v) for k, v in self.when}, "durations": _seconds_data(self.durations)}

    def values_text(self) -> str:
        """'resolution 1080P' ("or" between values, "and" between options)."""
        return " and ".join(f"{k} " + " or ".join(str(v) for v in values) for k, values in self.when)

    def text(self) -> str:
        """'with resolution 1080P'."""
        return "with " + self.values_text()

    def options(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.when)


def _seconds_data(value: tuple[float, ...]) -> list[float | int]:
    return [int(v) if v.is_integer() else v for v in value]


@dataclass(frozen=True)
class ModelCaps:
    """One model's capabilities where they differ from the target's (`capabilities.models.<model>`), merged."""

    references: RefCaps | None
    end_frame: EndFrame
    negative_prompt: bool = False


@dataclass(frozen=True)
class Capabilities:
    """target.yaml `capabilities`: the declarations below are the only place a setting and its default live."""

    aspects: dict[str, str] = setting({}, "film aspect -> the target's own value for it; empty: any aspect",
                                      required=True)
    prompt_max_chars: int | None = setting(None, "longest prompt in characters (null: no documented limit)",
                                           required=True)
    negative_prompt: bool = setting(False, "the target takes a negative prompt", required=True)
    negative_max_chars: int | None = setting(None, "longest negative prompt in characters (null: no limit)")
    reference_images: bool = setting(False, "superseded by references; sends nothing by itself")
    camera: dict[str, str | None] = setting({}, "camera move -> the target's phrase, command or concept key")
    durations: tuple[float, ...] = setting((), "generation lengths in seconds the model allows (video: required)")
    durations_when: tuple[DurationsWhen, ...] = setting((), "lengths that replace `durations` with some option "
                                                            "values: [{when: {option: [values]}, durations}], the "
                                                            "first that matches")
    camera_style: str = setting("none", "how camera moves reach the model", required=True, choices=CAMERA_STYLES)
    camera_max: int | None = setting(None, "most camera moves one prompt can express (null: every move)")
    graph_prompts: dict[str, str] = setting({}, "workflow node title -> the text it receives: prompt or negative")
    prompt_budget: PromptBudget | None = setting(None, "how many words (or CLIP tokens) of a prompt the model "
                                                       "reads well")
    prompt_chunks: int = setting(1, "CLIP windows of prompt_budget.tokens a prompt may fill")
    description: str = setting("verbatim", "how image prompts carry a canonical description: verbatim or phrases")
    references: RefCaps | None = setting(None, "the reference images the model takes (false: none)")
    end_frame: EndFrame = setting(False, "the model takes the clip's last frame: true, false, or the option "
                                         "values it needs")
    models: dict[str, ModelCaps] = setting({}, "per-model differences (references, end_frame, negative_prompt), by "
                                               "model option")
    end_frame_alone: bool = setting(False, "an end frame may go without a first frame (video)")

    def takes_negative(self, model: object) -> bool:
        """Whether the target takes a negative prompt with this model (its `models:` entry, else the target's)."""
        m = self.model(model)
        return m.negative_prompt if m is not None else self.negative_prompt

    def model(self, name: object) -> ModelCaps | None:
        """The differences of model `name` (None: it has none)."""
        return self.models.get(name) if isinstance(name, str) else None

    def durations_for(self, options: Mapping[str, Any]) -> tuple[float, ...]:
        """The lengths the model makes with these options (the first `durations_when` that matches, else
        `durations`), shortest first."""
        rule = self.durations_rule(options)
        return rule.durations if rule is not None else self.durations

    def durations_rule(self, options: Mapping[str, Any]) -> DurationsWhen | None:
        """The first `durations_when` entry these options match (None: `durations` hold)."""
        return next((rule for rule in self.durations_when if rule.matches(options)), None)

    def phrase(self, move: str) -> str | None:
        """The target's own expression of a camera move (None: it has none)."""
        return self.camera.get(move)

    def as_data(self) -> dict[str, Any]:
        """Every setting with its value (defaults included), as plain data in declaration order."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "models":
                value = {m: {"references": c.references.as_data() if c.references else False,
                             "end_frame": _end_frame_data(c.end_frame), "negative_prompt": c.negative_prompt}
                         for m, c in value.items()}
            elif isinstance(value, RefCaps | PromptBudget):
                value = value.as_data()
            elif f.name == "references":
                value = False
            elif f.name == "end_frame":
                value = _end_frame_data(value)
            elif f.name == "durations_when":
                value = [rule.as_data() for rule in value]
            elif isinstance(value, tuple):
                value = [int(v) if isinstance(v, float) and v.is_integer() else v for v in value]
            elif isinstance(value, dict):
                value = dict(value)
            out[f.name] = value
        return out


def settings() -> tuple[Field[Any], ...]:
    """The declarations of every capability, in order."""
    return fields(Capabilities)


def default_of(f: Field[Any]) -> Any:
    """A setting's default value."""
    if f.default is not MISSING:
        return f.default
    assert f.default_factory is not MISSING  # every setting has one or the other
    return f.default_factory()


def _durations(value: Any) -> tuple[float, ...]:
    """Lengths in seconds, shortest first, each once."""
    return tuple(sorted({float(x) for x in value or () if isinstance(x, int | float) and not isinstance(x, bool)}))


def _end_frame_data(value: EndFrame) -> bool | dict[str, list[Any]]:
    return {k: list(v) for k, v in value.items()} if isinstance(value, Mapping) else value


def _end_frame(value: Any) -> EndFrame:
    if isinstance(value, dict):
        return {str(k): tuple(v) if isinstance(v, list) else (v,) for k, v in value.items()}
    return value is True


def _ref_caps(block: Any) -> RefCaps | None:
    if not isinstance(block, dict) or not isinstance(block.get("max"), int):
        return None
    return RefCaps(
        max=block["max"],
        kinds=tuple(block.get("kinds") or REF_KINDS),
        per_kind=tuple(sorted((str(k), int(v)) for k, v in (block.get("per_kind") or {}).items())),
        cite=str(block.get("cite") or "image"),
        with_first_frame=block.get("with_first_frame", True) is not False,
        with_end_frame=block.get("with_end_frame", True) is not False,
    )


def _budget(block: Any) -> PromptBudget | None:
    if isinstance(block, dict):
        for unit in ("words", "tokens"):
            if isinstance(block.get(unit), int):
                return PromptBudget(unit, block[unit])
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_capabilities(data: Any) -> Capabilities:
    """target.yaml's `capabilities` block (already checked against the target schema) as a `Capabilities`; a
    setting it leaves out (or gives an unusable value) takes its declared default."""
    d = _map(data)
    base_refs = d.get("references")
    models: dict[str, ModelCaps] = {}
    for name, over in _map(d.get("models")).items():
        over = _map(over)
        refs = _ref_caps(base_refs)
        if "references" in over:
            refs = None if over["references"] is False else _ref_caps({**_map(base_refs), **_map(over["references"])})
        end = _end_frame(over["end_frame"]) if "end_frame" in over else _end_frame(d.get("end_frame"))
        negative = over["negative_prompt"] if "negative_prompt" in over else d.get("negative_prompt")
        models[str(name)] = ModelCaps(refs, end, negative is True)
    given: dict[str, Any] = {
        "aspects": {str(k): str(v) for k, v in _map(d.get("aspects")).items()},
        "prompt_max_chars": _int(d.get("prompt_max_chars")),
        "negative_prompt": d.get("negative_prompt") is True,
        "negative_max_chars": _int(d.get("negative_max_chars")),
        "reference_images": d.get("reference_images") is True,
        "camera": {str(k): (None if v is None else str(v)) for k, v in _map(d.get("camera")).items()},
        "durations": _durations(d.get("durations")),
        "durations_when": tuple(DurationsWhen(tuple((str(k), tuple(v) if isinstance(v, list) else (v,))
                                                    for k, v in _map(r.get("when")).items()),
                                              _durations(r.get("durations")))
                                for r in d.get("durations_when") or () if isinstance(r, dict)),
        "camera_style": d.get("camera_style") if d.get("camera_style") in CAMERA_STYLES else None,
        "camera_max": _int(d.get("camera_max")),
        "graph_prompts": {str(k): str(v) for k, v in _map(d.get("graph_prompts")).items()},
        "prompt_budget": _budget(d.get("prompt_budget")),
        "prompt_chunks": _int(d.get("prompt_chunks")),
        "description": d.get("description") if isinstance(d.get("description"), str) else None,
        "references": _ref_caps(base_refs),
        "end_frame": _end_frame(d.get("end_frame")),
        "models": models,
        "end_frame_alone": d.get("end_frame_alone") is True,
    }
    return Capabilities(**{k: v for k, v in given.items() if k in d and v is not None})


_TYPE_WORDS = {
    "bool": "boolean", "int": "integer", "int | None": "integer or null", "str": "string",
    "dict[str, str]": "map", "dict[str, str | None]": "map (move -> text or null)", "tuple[float, ...]": "list of seconds",
    "PromptBudget | None": "{words: N} or {tokens: N}", "RefCaps | None": "references block, or false",
    "EndFrame": "boolean, or option -> values",
    "tuple[DurationsWhen, ...]": "list of {when: {option: [values]}, durations}", "dict[str, ModelCaps]": "map (model -> references, end_frame, negative_prompt)",
}


def settings_table() -> list[str]:
    """The capabilities as a Markdown table (docs/prompts.md carries it; a test keeps the two equal)."""
    import json

    defaults = Capabilities().as_data()
    rows = ["| setting | type | default | meaning |", "|---|---|---|---|"]
    for f in settings():
        kind = _TYPE_WORDS.get(str(f.type), str(f.type))
        if f.metadata["choices"]:
            kind = " \\| ".join(f"`{c}`" for c in f.metadata["choices"])
        default = "required" if f.metadata["required"] else f"`{json.dumps(defaults[f.name])}`"
        rows.append(f"| `{f.name}` | {kind} | {default} | {f.metadata['help']} |")
    return rows
