"""`filmc targets`: the generation targets a film can use (built in, plus those in targets/ beside it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..targets import TargetDef


def _defs(film: str | None) -> Mapping[str, TargetDef]:
    from ..paths import film_path
    from ..targets import load_targets

    return load_targets(film_path(film).parent if film else None)


@dataclass(frozen=True, slots=True)
class TargetList:
    """`filmc targets list`: what each target takes, the durations it makes and its cheapest known price."""

    targets: tuple[TargetDef, ...]

    def as_data(self) -> list[dict[str, Any]]:
        from ..target_text import choice_facts

        return [{"name": t.name, "kind": t.kind, "builtin": t.builtin, "providers": list(t.providers),
                 **choice_facts(t)} for t in self.targets]

    def lines(self) -> Iterator[str]:
        from ..target_text import list_line

        for t in sorted(self.targets, key=lambda t: (t.kind, t.name)):
            yield list_line(t)


def list_targets(film: str | None = None) -> TargetList:
    return TargetList(tuple(_defs(film).values()))


@dataclass(frozen=True, slots=True)
class TargetView:
    """`filmc targets show`: one target at a glance, or its whole definition."""

    target: TargetDef

    def as_data(self) -> dict[str, Any]:
        """The whole definition, every capability filled in."""
        from ..target_text import definition

        return definition(self.target)

    def text(self, *, full: bool = False) -> str:
        """At a glance; with `full`, and the whole definition as YAML."""
        from ..target_text import definition_yaml, summary

        return summary(self.target) + ("\n" + definition_yaml(self.target) if full else "")


def show_target(name: str, film: str | None = None) -> TargetView:
    from ..diagnostics import did_you_mean
    from ..errors import UsageError

    defs = _defs(film)
    if name not in defs:
        hint = did_you_mean(name, defs)
        raise UsageError(f"unknown target '{name}' ({hint or 'known: ' + ', '.join(sorted(defs))})")
    return TargetView(defs[name])
