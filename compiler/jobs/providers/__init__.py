"""Provider adapters. Most providers are data: HttpProvider reads their `providers.<name>` block in target.yaml.
A provider whose wire format data cannot describe has a subclass here, picked by the provider's name."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from .http import HttpProvider

# provider name -> (module, class) of the adapter that speaks its wire format
ADAPTERS: dict[str, tuple[str, str]] = {
    "comfyui": ("comfyui", "ComfyUIProvider"),  # a pool of the creator's own servers
    "fal": ("fal", "FalProvider"),  # the output is read from the request's response_url
    "gemini": ("genai", "GenaiVideoProvider"),  # Veo: a long-running operation, polled by its name
    "gemini-image": ("genai_image", "GenaiImageProvider"),  # google-genai generate_content: the answer is the image
    "replicate": ("replicate", "ReplicateProvider"),  # unknown creates found again in the list of predictions
}


def adapter_class(name: str) -> type[HttpProvider]:
    entry = ADAPTERS.get(name)
    if entry is None:
        return HttpProvider
    cls: type[HttpProvider] = getattr(importlib.import_module(f"{__name__}.{entry[0]}"), entry[1])
    return cls


def make_provider(name: str, spec: Mapping[str, Any], env: Mapping[str, str]) -> HttpProvider:
    """The adapter for one provider of one target (`providers.<name>` in its target.yaml)."""
    return adapter_class(name)(name, spec, env)


__all__ = ["ADAPTERS", "HttpProvider", "adapter_class", "make_provider"]
