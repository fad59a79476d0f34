"""Target definitions: folders with a target.yaml, built-in or beside film.yaml (which win by name)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .capabilities import Capabilities, EndFrame, RefCaps, parse_capabilities
from .diagnostics import Collector
from .errors import FilmError
from .resources import data_dir, load_schema
from .target_options import Option, parse_options
from .target_providers import Provider, parse_provider


def pick_route(provider: Provider | Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The first of a provider's `routes` whose `when` the options match (a list: any of its values); else the
    provider's own submit and poll. `generation` (image-to-video | still | text-to-video) is matched like an option."""
    spec = provider.spec if isinstance(provider, Provider) else provider
    for route in spec.get("routes") or ():
        ok = True
        for k, want in (route.get("when") or {}).items():
            have = options.get(k)
            if (have not in want) if isinstance(want, list) else have != want:
                ok = False
                break
        if ok:
            matched: dict[str, Any] = route
            return matched
    return {"submit": spec.get("submit", {}), "poll": spec.get("poll", {})}


def makes_text_to_video(route: dict[str, Any]) -> bool:
    """A route written for text-to-video (its `when` names `generation: text-to-video`)."""
    want = (route.get("when") or {}).get("generation")
    return want == "text-to-video" or (isinstance(want, list) and "text-to-video" in want)


@dataclass(frozen=True)
class TargetDef:
    """A target as its target.yaml defines it: kind, capabilities, options, providers and prices."""

    name: str
    kind: str  # image | video
    folder: Path
    builtin: bool
    capabilities: Capabilities = field(default_factory=Capabilities)
    options: dict[str, Any] = field(default_factory=dict)  # JSON Schema of targets.options.<name>
    defaults: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)  # the first is the default
    prices: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    option_defs: tuple[Option, ...] = ()  # the options, typed (name, type, default, help)
    title: str = ""
    description: str = ""  # one line on what the target is
    # The prompt dialect (default: the target's name): targets compile the same text for a shot only when they
    # share one.
    dialect: str = ""

    def option(self, name: str) -> Option | None:
        """Option `name` (None: the target has no such option)."""
        return next((o for o in self.option_defs if o.name == name), None)

    @property
    def budget(self) -> tuple[str, int] | None:
        """("words", 120) or ("tokens", 75): how much of a prompt the model reads well."""
        b = self.capabilities.prompt_budget
        return (b.unit, b.amount) if b else None

    @property
    def model_names(self) -> list[str]:
        """The values of the `model` option (the default first), and any model the capabilities name."""
        option = self.option("model")
        enum = [str(m) for m in option.choices] if option else []
        named = [m for m in self.capabilities.models if m not in enum]
        default = self.defaults.get("model")
        out = [*enum, *named]
        return sorted(out, key=lambda m: m != default) if default in out else out

    def references(self, model: object = None) -> RefCaps | None:
        """The reference images `model` (the `model` option; None: the target's default) takes; None: none."""
        if model is None:
            model = self.defaults.get("model")
        over = self.capabilities.model(model)
        return over.references if over else self.capabilities.references

    def end_frame_when(self, model: object = None) -> dict[str, list[Any]] | bool:
        """Whether `model` takes a last frame: True, False, or the option values it needs (`{mode: [pro]}`)
        (`capabilities.end_frame`, with its `models:` override)."""
        if model is None:
            model = self.defaults.get("model")
        over = self.capabilities.model(model)
        value: EndFrame = over.end_frame if over else self.capabilities.end_frame
        if isinstance(value, bool):
            return value
        return {k: list(v) for k, v in value.items()}

    def takes_end_frame(self, model: object = None, options: dict[str, Any] | None = None) -> bool:
        """Whether `model`, with these options (the defaults when None), takes a last frame."""
        when = self.end_frame_when(model)
        if isinstance(when, bool):
            return when
        opts = {**self.defaults, **(options or {})}
        return all(opts.get(k) in v for k, v in when.items())

    @property
    def durations(self) -> tuple[float, ...]:
        """Every length the model makes with some options (see durations_for)."""
        return self.capabilities.durations

    def durations_for(self, options: Mapping[str, Any] | None = None) -> tuple[float, ...]:
        """The lengths the model makes with these options over the target's defaults (`durations_when`)."""
        return self.capabilities.durations_for({**self.defaults, **(options or {})})

    def generation_duration(self, needed: float, options: Mapping[str, Any] | None = None) -> float | None:
        """The smallest length made with these options covering `needed` seconds (None: too long)."""
        for d in self.durations_for(options):
            if d + 1e-6 >= needed:
                return d
        return None

    @property
    def patterns(self) -> dict[str, str]:
        """The options' `pattern`s, by option name: matched by compiler.patterns, within a time bound."""
        from .patterns import split_patterns

        return split_patterns(self.options)[1]

    def options_schema(self) -> dict[str, Any]:
        """Schema of `targets.options.<name>`: the target's options plus `provider` (which API to call), without
        the options' patterns (see `patterns`)."""
        from .patterns import split_patterns

        schema = split_patterns(self.options or {"type": "object"})[0]
        props = dict(schema.get("properties", {}))
        if self.providers:
            names = list(self.providers)
            props.setdefault("provider", {
                "type": "string", "enum": names,
                "description": f"which API serves the jobs (default: {names[0]})",
            })
        schema["properties"] = props
        return schema

    def generate_schema(self) -> dict[str, Any]:
        """Schema of `shots[].generate.<name>`: the target's options plus `duration`."""
        schema = self.options_schema()
        props = dict(schema.get("properties", {}))
        if self.kind == "video":
            props.setdefault("duration", {
                "type": "number", "exclusiveMinimum": 0,
                "description": "generation length in seconds; one the target allows",
            })
        schema["properties"] = props
        return schema


def durations_when_problems(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """What is wrong with a target.yaml's `capabilities.durations_when` (the schema checked its shape): an option
    the target does not have, a value it does not take, a length not in `durations`. Each: pointer, problem, hint."""
    def mapping(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    caps = mapping(data.get("capabilities"))
    props = dict(mapping(mapping(data.get("options")).get("properties")))
    props.setdefault("provider", {"enum": list(mapping(data.get("providers")))})  # (an option every target has)
    lengths = set(caps.get("durations") or ())
    out: list[tuple[str, str, str]] = []
    for i, rule in enumerate(caps.get("durations_when") or ()):
        ptr = f"/capabilities/durations_when/{i}"
        for option, values in mapping(mapping(rule).get("when")).items():
            prop = props.get(option)
            if not isinstance(prop, dict):
                out.append((f"{ptr}/when/{option}", f"'{option}' is not one of the target's options",
                            "options: " + (", ".join(props) or "none")))
                continue
            enum = prop.get("enum")
            if not isinstance(enum, list) or not isinstance(values, list):
                continue
            for v in values:
                if v not in enum:
                    out.append((f"{ptr}/when/{option}", f"{option} is never {v!r}",
                                "values: " + ", ".join(repr(x) for x in enum)))
        extra = [d for d in mapping(rule).get("durations") or () if d not in lengths]
        if extra:
            out.append((f"{ptr}/durations", ", ".join(str(d) for d in extra) + " s: not in `durations`",
                        "list the lengths among `capabilities.durations` too"))
    return out


def _read(folder: Path, builtin: bool, diags: Collector | None) -> TargetDef | None:
    from .load import load_film  # the same YAML 1.2 loader, located errors

    path = folder / "target.yaml"
    rel = os.path.relpath(path)
    display = f"<filmc>/targets/{folder.name}/target.yaml" if builtin else (rel if not rel.startswith("..") else str(path))
    doc = load_film(path, display=display, cache=builtin)
    data = doc.data
    if not builtin:
        from .schemacheck import check_schema

        local = Collector(display, doc)
        check_schema(data, load_schema("target"), local, what="target.yaml")
        if data.get("name") not in (None, folder.name):
            local.error("V221", f"target name '{data.get('name')}' differs from its folder '{folder.name}'",
                        "/name", hint=f"set name: {folder.name}")
        if not local.has_errors and isinstance(data.get("options"), dict):
            from .patterns import pattern_error, split_patterns

            schema, patterns = split_patterns(data["options"])
            try:
                from .schemacheck import fast_valid

                fast_valid({}, schema)  # compiles it: a broken keyword shows here
            except Exception as e:  # noqa: BLE001 - any failure to compile is the target author's to fix
                local.error("V224", f"/options: not a usable JSON Schema: {e}", "/options", key=True,
                            hint="the options schema uses JSON Schema (draft 7) keywords; check patterns and types")
            for option, pattern in patterns.items():
                problem = pattern_error(pattern)
                if problem:
                    ptr = f"/options/properties/{option}/pattern"
                    local.error("V224", f"{ptr}: not a usable regular expression: {problem}", ptr,
                                hint="patterns use Python's regular expression syntax")
        if not local.has_errors:
            for ptr, problem, hint in durations_when_problems(data):
                local.error("V226", f"{ptr}: {problem}", ptr, hint=hint)
        if local.has_errors:
            raise FilmError(local.items, {display: doc.lines})
    options = dict(data.get("options") or {})
    defaults = dict(data.get("defaults") or {})
    return TargetDef(
        name=folder.name,
        kind=str(data.get("kind", "image")),
        folder=folder,
        builtin=builtin,
        capabilities=parse_capabilities(data.get("capabilities")),
        options=options,
        defaults=defaults,
        providers={str(n): parse_provider(str(n), p) for n, p in (data.get("providers") or {}).items()},
        prices=tuple(data.get("prices") or ()),
        raw=data,
        option_defs=parse_options(options, defaults),
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        dialect=str(data.get("dialect") or folder.name),
    )


class TargetTable(Mapping[str, TargetDef]):
    """Known targets by name, in order: the built-ins (each read when first asked for: a film names a few of a dozen)
    and the film's own (read, and checked, up front), which win by name."""

    def __init__(self, builtin: dict[str, Path], local: dict[str, TargetDef] | None = None,
                 made: dict[str, TargetDef] | None = None) -> None:
        self._builtin = builtin  # name -> folder
        self._local = local or {}
        self._made = {} if made is None else made  # the built-ins read so far (shared with builtin_targets())
        self._names = [*builtin, *(n for n in self._local if n not in builtin)]

    def __getitem__(self, name: str) -> TargetDef:
        t = self._local.get(name) or self._made.get(name)
        if t is None:
            t = _read(self._builtin[name], True, None)  # (KeyError: an unknown name)
            assert t is not None  # (a built-in always reads)
            self._made[name] = t
        return t

    def __contains__(self, name: object) -> bool:
        return name in self._local or name in self._builtin

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def with_local(self, local: dict[str, TargetDef]) -> TargetTable:
        """These targets with a film's own (which win by name)."""
        return TargetTable(self._builtin, local, self._made)


@cache
def builtin_targets() -> TargetTable:
    root = data_dir("targets")
    return TargetTable({p.name: p for p in sorted(root.iterdir()) if (p / "target.yaml").is_file()})


def load_targets(film_root: Path | None = None) -> TargetTable:
    """Built-ins, overridden and extended by `targets/<name>/target.yaml` beside film.yaml."""
    local_dir = film_root.absolute() / "targets" if film_root else None
    local: dict[str, TargetDef] = {}
    if local_dir and local_dir.is_dir():
        for folder in sorted(p for p in local_dir.iterdir() if (p / "target.yaml").is_file()):
            t = _read(folder, False, None)
            if t:
                local[t.name] = t
    return builtin_targets().with_local(local)
