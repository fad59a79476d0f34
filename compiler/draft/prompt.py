"""`filmc draft prompt FILM SHOT --target T`: a polished prompt for one shot and target, as a `prompt:` override,
linted like every compiled prompt and shown beside the prompt filmc compiles today."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..diagnostics import Diagnostic, did_you_mean
from ..resolve import Production
from ..yamledit import FilmEdit
from .answer import Parsed
from .client import Request
from .facts import facts_text, film_facts, instructions, shot_facts
from .run import Merged, refuse
from .schema import obj

KIND = "prompt"


def answer_schema() -> dict[str, Any]:
    return obj({"prompt": {"type": "string", "minLength": 1, "description": "The polished prompt, plain text."}},
               ["prompt"])


def _target(prod: Production, options: Mapping[str, Any]) -> tuple[str, str]:
    shot, target = options["shot"], options["target"]
    ids = [s.id for s in prod.shots]
    if shot not in ids:
        raise refuse(prod, "D713", f"the film has no shot '{shot}'", "/shots", key=True, hint=did_you_mean(shot, ids))
    mine = list(dict.fromkeys(prod.film.targets.image + prod.film.targets.video))
    if target not in mine:
        raise refuse(prod, "D714", f"--target {target}: not one of the film's targets ({', '.join(mine) or 'none'})",
                     "/targets", key=True, hint=did_you_mean(target, mine) or "add it under targets: first")
    return shot, target


def compiled(prod: Production, shot: str, target: str) -> Any:
    from ..expand import expand_production

    return expand_production(prod, targets=[target], select=[shot]).prompt(shot, target)


def request(prod: Production, options: Mapping[str, Any]) -> tuple[Request, dict[str, Any]]:
    shot, target = _target(prod, options)
    rs = prod.shot(shot)
    tdef = prod.targets[target]
    now = compiled(prod, shot, target)
    facts = film_facts(prod)
    draft: dict[str, Any] = {"shot": shot_facts(rs.shot, rs.start, rs.end), "target": target, "kind": tdef.kind,
                             "compiled": now.text}
    if tdef.kind == "image":
        draft["descriptions"] = [{"id": f.character.id, "description": f.character.description,
                                  **({"wardrobe": f.wardrobe} if f.wardrobe else {})} for f in rs.cast]
    limit = tdef.capabilities.prompt_max_chars
    if limit:
        draft["max_chars"] = limit
    facts["draft"] = draft
    task = f"Polish the {tdef.kind} prompt of shot {shot} for {target}."
    return Request(instructions(KIND), [facts_text(facts), task], {}, temperature=0.6), answer_schema()


def merge(parsed: Parsed, prod: Production, edit: FilmEdit, options: Mapping[str, Any]) -> Merged:
    from ..expand.lint import lint_plan
    from ..load import load_film
    from ..resolve import resolve_production
    from ..validate import validate_film

    shot, target = _target(prod, options)
    text = " ".join(parsed.data["prompt"].split())  # one paragraph: prompts are sent as one line
    rs = prod.shot(shot)
    i = rs.shot.index
    kind = prod.targets[target].kind
    existing = edit.get(("shots", i, "prompt"))
    if existing is None:
        edit.set(("shots", i, "prompt"), {target: text}, after=("notes",))
    elif isinstance(existing.get(target), dict):
        edit.set(("shots", i, "prompt", target, kind), text)
    else:
        edit.set(("shots", i, "prompt", target), text)
    before = compiled(prod, shot, target).text
    # the same lint as every compiled prompt, on the film as drafted
    doc = load_film(edit.path, display=edit.display, text=edit.after)
    drafted = resolve_production(validate_film(doc))
    from ..expand import expand_production

    plan = expand_production(drafted, targets=[target], select=[shot])
    after = plan.prompt(shot, target).text
    pointer = drafted.shot(shot).shot.pointer
    findings = [d for d in lint_plan(plan) if d.pointer.startswith(pointer + "/")]
    out = Merged(warnings=[Diagnostic(d.code, d.severity, d.message, d.file, d.line, d.col, d.pointer, d.hint)
                           for d in findings])
    out.shown = side_by_side(target, kind, before, after, findings)
    return out


def side_by_side(target: str, kind: str, before: str, after: str, findings: list[Diagnostic]) -> str:
    import textwrap

    def block(title: str, text: str) -> list[str]:
        return [title, *textwrap.wrap(text, 96, initial_indent="  ", subsequent_indent="  ")]

    lines = block(f"compiled {kind} prompt for {target} ({len(before)} characters):", before) + [""]
    lines += block(f"drafted {kind} prompt for {target} ({len(after)} characters):", after) + [""]
    codes = sorted({d.code for d in findings})
    lines.append("lint: " + (", ".join(codes) + " (below)" if codes else "clean (names, other shots, framing, "
                                                                         "length)"))
    return "\n".join(lines) + "\n"
