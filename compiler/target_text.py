"""`filmc targets show NAME`: a target summarised the way a creator reads it (the raw data follows on --full)."""

from __future__ import annotations

from typing import Any

from .targets import TargetDef

_CAMERA_STYLES = {
    "words": "moves written into the prompt",
    "brackets": "moves as [bracketed] commands in the prompt",
    "concepts": "moves sent as the API's camera concepts",
    "none": "no camera moves (an image model)",
}


def _price(p: dict[str, Any]) -> str:
    when = ", ".join(f"{k} {v}" for k, v in (p.get("when") or {}).items())
    date = p.get("date") or "undated"
    return (f"{p.get('amount')} {p.get('currency', '')} per {p.get('unit', 'job')} on {p.get('provider', '?')}"
            + (f" ({when})" if when else "") + f"; {date}, source: {p.get('source', '?')}"
            + (f" [{p['confidence']}]" if p.get("confidence") else ""))


def _auth(provider: dict[str, Any]) -> str:
    auth = provider.get("auth") or {}
    env = [" or ".join(map(str, v)) if isinstance(v, list) else str(v)  # a list: any one of these variables
           for k in ("env", "secret_env") if (v := auth.get(k))]
    return " + ".join(env) if env else "no key"


def _limit(n: object) -> str:
    return f"up to {n} characters" if n else "no length limit"


def summary(t: TargetDef) -> str:
    """Kind, models, durations, aspects, prompt limits, negatives, references, camera, providers, prices, options."""
    caps = t.capabilities
    props = (t.options or {}).get("properties", {})
    rows: list[tuple[str, str]] = []
    model = props.get("model") or {}
    if model.get("enum"):
        default = t.defaults.get("model", model.get("default"))
        rows.append(("models", ", ".join(f"{m} (default)" if m == default else str(m) for m in model["enum"])))
    if t.kind == "video":
        durations = caps.get("durations") or []
        rows.append(("durations", ", ".join(f"{d:g}" for d in durations) + " s" if durations else "any"))
    aspects = caps.get("aspects") or {}
    rows.append(("aspects", ", ".join(str(a) for a in aspects) or "any"))
    budget = t.budget
    rows.append(("prompt", _limit(caps.get("prompt_max_chars"))
                 + (f"; reads about {budget[1]} {budget[0]} well" if budget else "")
                 + (f"; dialect {t.dialect}" if t.dialect != t.name else "")))
    neg = caps.get("negative_prompt")
    rows.append(("negatives", f"yes, {_limit(caps.get('negative_max_chars'))}" if neg
                 else "no (what to avoid becomes what to show instead, where filmc has a phrasing for it)"))
    rows.append(("references", "accepted" if caps.get("reference_images") else "no reference images"))
    style = str(caps.get("camera_style", "none"))
    moves = caps.get("camera") or {}
    rows.append(("camera", _CAMERA_STYLES.get(style, style) + (f" ({len(moves)} moves)" if moves else "")
                 + (f", at most {caps['camera_max']} per shot" if caps.get("camera_max") else "")))
    names = list(t.providers)
    rows.append(("providers", "; ".join(f"{n} ({_auth(t.providers[n])})" + (" default" if i == 0 else "")
                                        for i, n in enumerate(names)) if names
                 else "none: copy the prompts into its own app"))
    prices = [_price(p) for p in t.prices]
    rows.append(("prices", prices[0] if prices else "not known"))
    rows.extend(("", p) for p in prices[1:])
    rows.append(("options", ", ".join([*props, *(["provider"] if names and "provider" not in props else [])]) or "none"))
    rows.append(("templates", ", ".join(sorted(p.name for p in t.folder.glob("*.j2")))))
    rows.append(("folder", f"{t.folder}{'' if t.builtin else ' (beside the film: overrides a built-in of that name)'}"))
    head = f"{t.name} ({t.kind}) - {t.raw.get('title', '')}"
    desc = str(t.raw.get("description", "")).strip()
    width = max(len(k) for k, _ in rows)
    body = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    return head + ("\n" + desc if desc else "") + "\n\n" + body + "\n"
