"""A target's options (target.yaml `options`, a JSON Schema, and `defaults`), typed: one `Option` per setting a
film may give in `targets.options.<name>` or `shots[].generate.<name>`, with its name, type, default and help."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    """One option: its JSON type, its default (`defaults:` first, then the option schema's own `default`), its help
    (the schema's description) and its allowed values when they are listed."""

    name: str
    type: str | None = None
    default: Any = None
    has_default: bool = False
    help: str = ""
    choices: tuple[Any, ...] = ()

    def as_data(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default if self.has_default else None,
                "help": self.help, "choices": list(self.choices)}


def parse_options(schema: Any, defaults: Mapping[str, Any]) -> tuple[Option, ...]:
    """The options of target.yaml's `options` schema (already checked against the target schema), in order."""
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    out: list[Option] = []
    for name, prop in (props if isinstance(props, Mapping) else {}).items():
        p: Mapping[str, Any] = prop if isinstance(prop, Mapping) else {}
        kind = p.get("type")
        has = name in defaults or "default" in p
        out.append(Option(
            name=str(name),
            type=" | ".join(map(str, kind)) if isinstance(kind, list) else (str(kind) if kind else None),
            default=defaults[name] if name in defaults else p.get("default"),
            has_default=has,
            help=str(p.get("description") or "").strip(),
            choices=tuple(p.get("enum") or ()),
        ))
    return tuple(out)
