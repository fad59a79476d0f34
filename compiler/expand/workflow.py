"""Workflow graphs (ComfyUI): a creator's graph (API format) read from the film's folder, and the compiled texts put
into its nodes named by title, a prompt in CLIP windows spread over the nodes titled for them."""

from __future__ import annotations

import json
from typing import Any

from ..diagnostics import Diagnostic
from ..resolve import Production, ResolvedShot
from ..targets import TargetDef


def inject(prod: Production, t: TargetDef, rs: ResolvedShot, body: dict[str, Any], options: dict[str, Any],
            texts: dict[str, str]) -> dict[str, Any]:
    """Workflow graphs (ComfyUI): put the compiled texts into the nodes named by title; a missing title fails."""
    from .render import TemplateFailure, shown_path

    path = f"{rs.shot.pointer}/generate/{t.name}/workflow" if "workflow" in rs.shot.generate.get(t.name, {}) else \
        f"/targets/options/{t.name}/workflow"
    if options.get("workflow"):
        body = dict(body, prompt=_workflow(prod, t, rs, str(options["workflow"]), path))
    graph = body.get("prompt")
    if not isinstance(graph, dict):
        raise TemplateFailure(Diagnostic("T304", "error", f"the request of '{t.name}' has no workflow graph under "
                                         "'prompt'", shown_path(t, "target.yaml"), 0, 0, ""))
    for title, which in t.capabilities.graph_prompts.items():
        nodes = [n for n in graph.values() if isinstance(n, dict) and isinstance(n.get("_meta"), dict)
                 and n["_meta"].get("title") == title and isinstance(n.get("inputs", {}), dict)]
        if not nodes:
            c = prod.collector()
            c.error("T304", f"the workflow graph for shot '{rs.id}' has no node titled '{title}' to receive the "
                    f"{which}", path if options.get("workflow") else rs.shot.pointer + "/id",
                    hint=f"in ComfyUI, set the title of the CLIPTextEncode node for the {which} to '{title}'")
            raise TemplateFailure(c.items[0])
        for n in nodes:
            n.setdefault("inputs", {})["text"] = texts[which]
        _inject_chunks(graph, title, texts[which])
    return body


def _titled(graph: dict[str, Any], title: str) -> list[dict[str, Any]]:
    return [n for n in graph.values() if isinstance(n, dict) and isinstance(n.get("_meta"), dict)
            and n["_meta"].get("title") == title and isinstance(n.get("inputs", {}), dict)]


def _inject_chunks(graph: dict[str, Any], title: str, text: str) -> None:
    """A prompt compiled in CLIP windows ("chunk BREAK chunk"): chunk k goes to the nodes titled '<title> k'
    (k >= 2; the graph concatenates their conditionings), the first to '<title>'. Chunks without a node of their
    own are joined with ", " to the last chunk that has one: ComfyUI's CLIPTextEncode encodes the surplus in
    further windows of its own (nothing is lost; lint P422 says the windows no longer follow the phrases)."""
    from .clip_tokens import BREAK

    chunks = [c.strip() for c in text.split(f" {BREAK} ")]
    if len(chunks) < 2:
        return
    k = 1
    while k < len(chunks) and _titled(graph, f"{title} {k + 1}"):
        k += 1
    head = chunks[:k - 1] + [", ".join(chunks[k - 1:])]
    for i, chunk in enumerate(head, 1):
        for n in _titled(graph, title if i == 1 else f"{title} {i}"):
            n.setdefault("inputs", {})["text"] = chunk


def _workflow(prod: Production, t: TargetDef, rs: ResolvedShot, rel: str, ptr: str) -> dict[str, Any]:
    from .render import TemplateFailure

    root = prod.film.root.resolve()
    file = (root / rel).resolve()
    c = prod.collector()
    if not file.is_relative_to(root):
        c.error("V260", f"{ptr}: the path '{rel}' leads outside the film's folder", ptr)
    elif not file.is_file():
        c.error("V261", f"{ptr}: file not found: '{rel}'", ptr, hint="export it from ComfyUI with Save (API Format)")
    else:
        try:
            graph = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(graph, dict) and isinstance(graph.get("prompt"), dict):
                graph = graph["prompt"]
            if isinstance(graph, dict) and all(isinstance(n, dict) and "class_type" in n for n in graph.values()):
                return graph
            c.error("T304", f"{ptr}: '{rel}' is not a ComfyUI workflow in API format", ptr,
                    hint="in ComfyUI use Save (API Format), not Save: the API format maps node ids to class_type/inputs")
        except (OSError, ValueError) as e:
            c.error("T304", f"{ptr}: cannot read '{rel}' as JSON: {e}", ptr)
    raise TemplateFailure(c.items[0])
