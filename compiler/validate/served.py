"""A model the chosen provider does not serve: its request would go to another model's endpoint.

A provider whose `routes` name models (`when: {model: ...}`) serves those models only; a model none of its routes
names would fall back to the provider's default endpoint (FLUX.2 sent to Freepik's flux-dev, say). Each place that
picks the model or the provider (the film's `targets.options`, a shot's `generate`) is checked once.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..diagnostics import Collector
from ..model import Film
from ..target_providers import Provider
from ..targets import TargetDef


def _models(provider: Provider) -> set[str] | None:
    """The models a provider's routes name; None when it takes every model (no route names one, or a route names
    none: it serves whatever model the others do not)."""
    out: set[str] = set()
    for route in provider.routes:
        m = (route.get("when") or {}).get("model")
        if m is None:
            return None
        out.update(m if isinstance(m, list) else [m])
    return out or None


def check_served_models(film: Film, targets: Mapping[str, TargetDef], diags: Collector) -> None:
    for name in dict.fromkeys([*film.targets.image, *film.targets.video]):
        t = targets.get(name)
        if t is None or not t.providers:
            continue
        base = {**t.defaults, **film.targets.options.get(name, {})}
        places = [(f"/targets/options/{name}", base, film.targets.options.get(name, {}))]
        places += [(f"{s.pointer}/generate/{name}", {**base, **s.generate[name]}, s.generate[name])
                   for s in film.shots if s.generate.get(name)]
        for ptr, options, own in places:
            if "model" not in own and "provider" not in own:
                continue  # nothing chosen here: checked where the choice is made
            pname = options.get("provider") or next(iter(t.providers))
            provider = t.providers.get(pname)
            model = options.get("model")
            served = _models(provider) if provider is not None else None
            if not isinstance(model, str) or served is None or model in served:
                continue
            others = [p for p, spec in t.providers.items() if p != pname and model in (_models(spec) or ())]
            at = f"{ptr}/model" if "model" in own else f"{ptr}/provider"
            hint = (f"set provider: {others[0]} (serves {model})" if others else
                    f"{pname} serves {', '.join(sorted(served))}")
            diags.error("C535", f"{at}: {name}'s provider {pname} does not serve the model {model}; its request would "
                        "go to another model's endpoint", at, hint=hint)
