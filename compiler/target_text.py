"""`filmc targets show NAME`: a target summarised the way a creator reads it (the raw data follows on --full)."""

from __future__ import annotations

from typing import Any

from .capabilities import CAMERA_STYLES
from .plurals import plural
from .targets import TargetDef


def _price(p: dict[str, Any]) -> str:
    when = ", ".join(f"{k} {v}" for k, v in (p.get("when") or {}).items())
    date = p.get("date") or "undated"
    return (f"{p.get('amount')} {p.get('currency', '')} per {p.get('unit', 'job')} on {p.get('provider', '?')}"
            + (f" ({when})" if when else "") + f"; {date}, source: {p.get('source', '?')}"
            + (f" [{p['confidence']}]" if p.get("confidence") else ""))


def _limit(n: object) -> str:
    return f"up to {n} characters" if n else "no length limit"


# -- what a creator picks a model by: references, end frames, durations, price -------------------------------------

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_UNITS = {"second": "s", "image": "image", "generation": "clip"}
_CITES = {"image": 'cited as "image 1"', "tag": 'cited as "@tag"', "none": "not cited in the prompt"}


def references_of(t: TargetDef, model: str | None = None) -> dict[str, Any] | None:
    """What reference images `model` takes (None: the target's default model), as plain data; None: none."""
    caps = t.references(model)
    if caps is None or caps.max <= 0:
        return None
    return caps.as_data()


def cheapest(t: TargetDef) -> list[dict[str, Any]]:
    """The cheapest price of each unit (and currency) the target's prices use, cheapest first, with its date."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for p in t.prices:
        if not isinstance(p.get("amount"), int | float):
            continue
        key = (str(p.get("unit", "generation")), str(p.get("currency", "")))
        if key not in best or p["amount"] < best[key]["amount"]:
            best[key] = p
    out = []
    for (unit, currency), p in sorted(best.items(), key=lambda kv: (kv[1]["amount"], kv[0])):
        out.append({"amount": p["amount"], "currency": currency, "unit": unit, "provider": p.get("provider"),
                    "date": p.get("date") or "undated", "when": dict(p.get("when") or {}),
                    "text": _money(float(p["amount"]), currency) + "/" + _UNITS.get(unit, unit)})
    return out


def _money(amount: float, currency: str) -> str:
    n = f"{amount:.3f}"
    n = n[:-1] if n.endswith("0") else n  # 0.10, 0.056, 1.25
    sym = _SYMBOLS.get(currency)
    return f"{sym}{n}" if sym else f"{n} {currency}"


def local_only(t: TargetDef) -> bool:
    """Every provider is the creator's own server (no key, nothing charged per generation)."""
    return bool(t.providers) and all(p.local for p in t.providers.values())


def choice_facts(t: TargetDef) -> dict[str, Any]:
    """References, end frame, durations and price, per model where they vary (`targets list --format json`)."""
    names = t.model_names
    default = t.defaults.get("model") if t.defaults.get("model") in names else None
    per_model = {m: {"references": references_of(t, m), "end_frame": t.end_frame_when(m)} for m in names}
    return {
        "models": names,
        "default_model": default,
        "references": references_of(t),
        "end_frame": t.end_frame_when() if t.kind == "video" else False,
        "durations": list(t.durations),
        "durations_when": [r.as_data() for r in t.capabilities.durations_when],
        "per_model": per_model,
        "price": cheapest(t),
        "local": local_only(t),
    }


def references_text(t: TargetDef) -> str:
    """'up to 3 (style 1), cited as "image 1"; mini: 1 character; plain: none'."""
    def one(r: dict[str, Any] | None, full: bool) -> str:
        if r is None:
            return "none"
        kinds = "" if set(r["kinds"]) == {"character", "location", "style", "object"} else " " + "/".join(r["kinds"])
        caps = {k: v for k, v in r["per_kind"].items() if v < r["max"] and k in r["kinds"]}
        if caps and set(caps) == set(r["kinds"]) and len(set(caps.values())) == 1:
            per = f"each at most {next(iter(caps.values()))}"
        else:
            per = ", ".join(f"{k} at most {v}" for k, v in caps.items())
        text = f"up to {r['max']}{kinds}" + (f" ({per})" if per else "")
        if full:
            text += ", " + _CITES.get(r["cite"], r["cite"])
            if not r["with_first_frame"]:
                text += ", not with a first frame"
            if not r["with_end_frame"]:
                text += ", not with an end frame"
        return text

    base = references_of(t)
    others = [f"{m}: {one(r, False)}" for m in t.model_names
              if m != t.defaults.get("model") and (r := references_of(t, m)) != base]
    return "; ".join([one(base, True), *others])


def end_frame_text(t: TargetDef) -> str:
    """'yes', 'no', 'with mode pro', or 'yes (old: no)' (the default model first, then the models that differ)."""
    def say(when: dict[str, list[Any]] | bool) -> str:
        if isinstance(when, dict):
            return "with " + ", ".join(f"{k} {' or '.join(map(str, v))}" for k, v in when.items())
        return "yes" if when else "no"

    base = t.end_frame_when()
    others = [f"{m}: {say(v)}" for m in t.model_names
              if m != t.defaults.get("model") and (v := t.end_frame_when(m)) != base]
    return say(base) + (f" ({'; '.join(others)})" if others else "")


def price_text(t: TargetDef) -> str:
    """'from $0.056/s (undated)', 'free: your own server', or 'not known'."""
    got = cheapest(t)
    if got:
        return "from " + ", ".join(f"{p['text']} ({p['date']})" for p in got)
    return "free: your own server" if local_only(t) else "not known"


def definition(t: TargetDef, *, schema: bool = False) -> dict[str, Any]:
    """The whole definition as plain data, every capability filled in (its default where target.yaml sets none);
    the options typed (name, type, default, help, choices), or with `schema` as their JSON Schema."""
    return {"name": t.name, "kind": t.kind, "title": t.title, "description": t.description, "dialect": t.dialect,
            "builtin": t.builtin, "folder": str(t.folder), "capabilities": t.capabilities.as_data(),
            "options": dict(t.options.get("properties", {})) if schema else [o.as_data() for o in t.option_defs],
            "defaults": dict(t.defaults),
            "providers": {n: dict(p.spec) for n, p in t.providers.items()}, "prices": list(t.prices)}


def negatives_text(t: TargetDef) -> str:
    """Whether the target takes a negative prompt, and the models that differ from it."""
    caps = t.capabilities
    text = (f"yes, {_limit(caps.negative_max_chars)}" if caps.negative_prompt
            else "no (what to avoid becomes what to show instead, where filmc has a phrasing for it)")
    differ = [name for name, m in caps.models.items() if m.negative_prompt != caps.negative_prompt]
    if differ:
        text += f"; {'none with' if caps.negative_prompt else 'yes with'} " + ", ".join(differ)
        if caps.negative_prompt:
            text += " (what to avoid becomes what to show instead)"
    return text


def summary(t: TargetDef) -> str:
    """Kind, models, durations, aspects, prompt limits, negatives, references, camera, providers, prices, options."""
    caps = t.capabilities
    rows: list[tuple[str, str]] = []
    model = t.option("model")
    if model and model.choices:
        rows.append(("models", ", ".join(f"{m} (default)" if model.has_default and m == model.default else str(m)
                                         for m in model.choices)))
    if t.kind == "video":
        durations = caps.durations
        rows.append(("durations", ", ".join(f"{d:g}" for d in durations) + " s"
                     + "".join(f"; {', '.join(f'{d:g}' for d in r.durations)} s {r.text()}" for r in caps.durations_when)
                     if durations else "any"))
    rows.append(("aspects", ", ".join(caps.aspects) or "any"))
    budget = t.budget
    rows.append(("prompt", _limit(caps.prompt_max_chars)
                 + (f"; reads about {budget[1]} {budget[0]} well" if budget else "")
                 + (f"; dialect {t.dialect}" if t.dialect != t.name else "")))
    rows.append(("negatives", negatives_text(t)))
    rows.append(("references", references_text(t)))
    if t.kind == "video":
        rows.append(("end frame", end_frame_text(t)))
    moves = caps.camera
    rows.append(("camera", CAMERA_STYLES.get(caps.camera_style, caps.camera_style)
                 + (f" ({plural(len(moves), 'move')})" if moves else "")
                 + (f", at most {caps.camera_max} per shot" if caps.camera_max else "")))
    names = list(t.providers)
    rows.append(("providers", "; ".join(f"{n} ({t.providers[n].auth.text()})" + (" default" if i == 0 else "")
                                        for i, n in enumerate(names)) if names
                 else "none: copy the prompts into its own app"))
    prices = [_price(p) for p in t.prices]
    rows.append(("prices", prices[0] if prices else price_text(t)))
    rows.extend(("", p) for p in prices[1:])
    props = [o.name for o in t.option_defs]
    rows.append(("options", ", ".join([*props, *(["provider"] if names and "provider" not in props else [])]) or "none"))
    rows.append(("templates", ", ".join(sorted(p.name for p in t.folder.glob("*.j2")))))
    rows.append(("folder", f"{t.folder}{'' if t.builtin else ' (beside the film: overrides a built-in of that name)'}"))
    head = f"{t.name} ({t.kind}) - {t.title}"
    desc = t.description.strip()
    width = max(len(k) for k, _ in rows)
    body = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    return head + ("\n" + desc if desc else "") + "\n\n" + body + "\n"


def list_line(t: TargetDef) -> str:
    """One target on a line of `filmc targets list`."""
    bits = [t.kind, "providers: " + (", ".join(t.providers) or "none (prompt only)")]
    if t.durations:
        bits.append("durations: " + "/".join(f"{d:g}" for d in t.durations) + " s")
    bits.append("references: " + references_text(t))
    if t.kind == "video":
        bits.append("end frame: " + end_frame_text(t))
    bits.append("price: " + price_text(t))
    bits.append("negative prompt" if t.capabilities.negative_prompt else "no negative prompt")
    if not t.builtin:
        bits.append(f"from {t.folder}")
    return f"{t.name:<12} " + "; ".join(bits)


def definition_yaml(t: TargetDef) -> str:
    """The whole definition (capabilities, options, defaults, providers, prices) as YAML, every capability filled in."""
    import yaml

    data = {k: v for k, v in definition(t, schema=True).items()
            if k in ("capabilities", "options", "defaults", "providers", "prices")}
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
