"""The film's targets: each one known and listed by kind; options and generation parameters against its schema."""

from __future__ import annotations

from collections.abc import Mapping

from ..diagnostics import Collector
from ..model import Film
from ..schemacheck import check_schema
from ..targets import TargetDef
from .ids import unknown_ref


def _check_patterns(values: dict[str, object], t: TargetDef, diags: Collector, ptr: str) -> None:
    """Option values against the target's patterns, each match bounded in time (compiler.patterns)."""
    patterns = t.patterns
    if not patterns:
        return
    from ..patterns import PATTERN_SECONDS, matches

    where = f"<filmc>/targets/{t.name}/target.yaml" if t.builtin else f"targets/{t.name}/target.yaml"
    for key, value in values.items():
        pattern = patterns.get(key)
        if pattern is None or not isinstance(value, str):
            continue
        vp = f"{ptr}/{key}"
        ok = matches(pattern, value)
        if ok is None:
            diags.error("V285", f"{vp}: cannot check {_short(value)} against the pattern of option '{key}' of target "
                        f"'{t.name}': matching takes over {PATTERN_SECONDS:g} s", vp,
                        hint=f"the pattern {_short(pattern)} in {where} backtracks without end (nested repeats such "
                             "as (a+)+); its author should simplify it")
        elif not ok:
            opt = t.option(key)
            diags.error("V106", f"{vp}: {_short(value)} does not match {_short(pattern)}", vp,
                        hint=opt.help.split("\n")[0] if opt and opt.help else None)


def _short(text: str) -> str:
    return f"'{text}'" if len(text) <= 60 else f"'{text[:57]}...'"


def _check_values(values: dict[str, object], t: TargetDef | None, name: str, targets: Mapping[str, TargetDef],
                  diags: Collector, ptr: str, what: str, *, generate: bool = False) -> None:
    """A film's options for a target, or a shot's generation parameters: against the target's schema and patterns."""
    if t is None:
        unknown_ref(diags, "V217", "target", name, targets, ptr)
        return
    check_schema(values, t.generate_schema() if generate else t.options_schema(), diags, ptr, what=what)
    _check_patterns(values, t, diags, ptr)


def check_targets(film: Film, targets: Mapping[str, TargetDef], diags: Collector) -> None:
    for kind in ("image", "video"):
        for i, name in enumerate(getattr(film.targets, kind)):
            ptr = f"/targets/{kind}/{i}"
            t = targets.get(name)
            if t is None:
                unknown_ref(diags, "V217", f"{kind} target", name, [n for n, d in targets.items() if d.kind == kind], ptr)
            elif t.kind != kind:
                diags.error("V218", f"{ptr}: '{name}' is a{'n' if t.kind == 'image' else ''} {t.kind} target, listed under {kind}",
                            ptr, hint=f"move it to targets.{t.kind}")
    for name, opts in film.targets.options.items():
        ptr = f"/targets/options/{name}"
        _check_values(opts, targets.get(name), name, targets, diags, ptr, f"the options of target '{name}'")
    used = set(film.targets.image) | set(film.targets.video)
    for shot in film.shots:
        for name, params in shot.generate.items():
            ptr = f"{shot.pointer}/generate/{name}"
            _check_values(params, targets.get(name), name, targets, diags, ptr,
                          f"the generation parameters of '{name}'", generate=True)
        for name in shot.prompt:
            ptr = f"{shot.pointer}/prompt/{name}"
            if name not in targets:
                unknown_ref(diags, "V217", "target", name, targets, ptr)
            elif name not in used:
                diags.warning("V219", f"{ptr}: prompt override for '{name}', which is not in targets.image or targets.video",
                              ptr, key=True, hint="add the target to targets, or remove the override")
