"""Fake ComfyUI server (the HTTP API a local or rented ComfyUI speaks).

Wire facts and their sources:
- `POST /prompt` with `{"prompt": graph, "client_id", "extra_data", "front", "number"}` answers
  `{"prompt_id", "number", "node_errors"}`; an invalid graph answers 400 `{"error": ..., "node_errors": ...}`;
  `GET /history/{prompt_id}` (`{}` while pending), `GET /queue` -> `{"queue_running", "queue_pending"}` whose items
  are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, `GET /prompt` -> `{"exec_info":
  {"queue_remaining"}}`, `GET /view?filename&subfolder&type` (404 when missing), `GET /system_stats`; every route
  also under `/api` [comfyanonymous/ComfyUI server.py at 005f3ba, V]; no authentication [apis.md §8, V].
- history entry `{"prompt": [...], "outputs": {node: {"images": [{"filename", "subfolder", "type": "output"}]}},
  "status": {"status_str": "success"|"error", "completed", "messages": [[event, data], ...]}}`, errors as
  `execution_error` messages; the newer error object `{"type", "message", "details", "extra_info"}` with type
  `no_prompt` ("No prompt provided") [apis.md §8 from test fixtures and server.py copies, V-3p].
- bodies are checked against schema/requests/comfyui.comfyui.json.
Guesses: output file names `<prefix>_<00001>_.png` (ComfyUI's SaveImage convention, from memory), the
prompt_no_outputs / bad_linked_input checks and texts, the system_stats fields.
`fake.die("refuse"|"hang")` (or a fault with die=) makes the server stop answering, for pool tests.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .base import FakeServer, Request, Response, Task

OUTPUT_NODES = {"SaveImage", "PreviewImage", "SaveAnimatedWEBP", "SaveAnimatedPNG", "SaveVideo", "SaveWEBM",
                "VHS_VideoCombine"}


def _err(type_: str, message: str, details: str = "") -> dict:
    return {"type": type_, "message": message, "details": details, "extra_info": {}}


class FakeComfyUI(FakeServer):
    provider = "comfyui"
    env_key = None
    kinds = ("create", "poll", "download", "queue")

    def __init__(self, **kw: Any):
        self.number = 0
        self._counter = 0
        super().__init__(**kw)

    def setup(self) -> None:
        a = r"(?:/api)?"
        self.route("POST", rf"{a}/prompt", "create", self._create)
        self.route("GET", rf"{a}/prompt", "queue", self._prompt_info)
        self.route("GET", rf"{a}/history/(?P<id>[^/]+)", "poll", self._history)
        self.route("GET", rf"{a}/queue", "queue", self._queue)
        self.route("GET", rf"{a}/view", "download", self._view)
        self.route("GET", rf"{a}/system_stats", "queue", self._stats)

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        if what in ("not_found", 404):
            return Response(404, b"", {"Content-Type": "text/plain"})
        status = what if isinstance(what, int) else {"invalid": 400, "moderated": 400, "auth": 401, "credits": 402,
                                                     "rate_limit": 429, "server": 500, "unavailable": 503}[what]
        if status == 400:
            return Response.json(400, {"error": _err("invalid_prompt", message or "Invalid prompt"),
                                       "node_errors": {}})
        return Response.raw(status, message or f"{status} error", "text/plain")

    # -- create ----------------------------------------------------------------------------------------------------
    def _graph_problems(self, graph: dict) -> tuple[dict | None, dict]:
        node_errors: dict = {}
        for nid, node in graph.items():
            for name, value in (node.get("inputs") or {}).items():
                if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int) \
                        and str(value[0]) not in graph:
                    node_errors.setdefault(nid, {"errors": [], "dependent_outputs": [],
                                                 "class_type": node.get("class_type")})["errors"].append(
                        {"type": "bad_linked_input", "message": "Bad linked input, must be a length-2 list of "
                         "[node_id, slot_index]", "details": name, "extra_info": {"input_name": name}})
        if node_errors:
            return _err("prompt_outputs_failed_validation", "Prompt outputs failed validation"), node_errors
        if not any(n.get("class_type") in OUTPUT_NODES for n in graph.values()):
            return _err("prompt_no_outputs", "Prompt has no outputs"), {}
        return None, {}

    def _create(self, req: Request) -> Response:
        body = req.json
        if not isinstance(body, dict) or "prompt" not in body:
            return Response.json(400, {"error": _err("no_prompt", "No prompt provided", "No prompt provided"),
                                       "node_errors": {}})
        problems = self.invalid_body(req, "comfyui.comfyui")
        if problems:
            details = "; ".join(f"{w}: {m}" for w, m in problems)
            return Response.json(400, {"error": _err("invalid_prompt", "Cannot execute because the prompt is not "
                                                     "valid", details), "node_errors": {}})
        error, node_errors = self._graph_problems(body["prompt"])
        if error is not None:
            return Response.json(400, {"error": error, "node_errors": node_errors})
        with self.lock:
            if "number" in body:
                number = float(body["number"])
            else:
                number = -self.number if body.get("front") else self.number
                self.number += 1
            outputs = [nid for nid, n in body["prompt"].items() if n.get("class_type") in OUTPUT_NODES]
            files = {}
            for nid in outputs:
                self._counter += 1
                prefix = str((body["prompt"][nid].get("inputs") or {}).get("filename_prefix", "ComfyUI"))
                sub, _, stem = prefix.rpartition("/")
                files[nid] = {"filename": f"{stem}_{self._counter:05}_.png", "subfolder": sub, "type": "output"}
            task = self.new_task(req, task_id=body.get("prompt_id") or str(uuid.uuid4()), kind="image",
                                 number=number, outputs=outputs, files=files)
        return Response.json(200, {"prompt_id": task.id, "number": number, "node_errors": {}}, task_id=task.id)

    # -- history, queue, view --------------------------------------------------------------------------------------
    def _entry(self, task: Task) -> dict:
        extra_data = {"client_id": task.body.get("client_id")} if task.body.get("client_id") else {}
        prompt = [task.extra["number"], task.id, task.body["prompt"], extra_data, task.extra["outputs"]]
        started = int(task.created * 1000)
        messages = [["execution_start", {"prompt_id": task.id, "timestamp": started}],
                    ["execution_cached", {"nodes": [], "prompt_id": task.id, "timestamp": started}]]
        if task.state == "done":
            outputs = {nid: {"images": [f]} for nid, f in task.extra["files"].items()}
            messages.append(["execution_success", {"prompt_id": task.id, "timestamp": int(time.time() * 1000)}])
            status = {"status_str": "success", "completed": True, "messages": messages}
        else:
            outputs = {}
            node = task.extra["outputs"][0] if task.extra["outputs"] else None
            messages.append(["execution_error", {
                "prompt_id": task.id, "node_id": node, "node_type": task.body["prompt"].get(node, {}).get("class_type"),
                "executed": [], "exception_message": task.reason or "Allocation on device failed",
                "exception_type": "torch.OutOfMemoryError", "traceback": [], "current_inputs": {},
                "current_outputs": {}, "timestamp": int(time.time() * 1000)}])
            status = {"status_str": "error", "completed": False, "messages": messages}
        return {"prompt": prompt, "outputs": outputs, "status": status, "meta": {}}

    def _history(self, req: Request) -> Response:
        with self.lock:
            task = self.tasks.get(req.params["id"])
        if task is None:
            return Response.json(200, {})
        self.advance(task, req)
        if not task.terminal or task.state == "cancelled":
            return Response.json(200, {}, task_id=task.id)
        return Response.json(200, {task.id: self._entry(task)}, task_id=task.id)

    def _queue_items(self) -> list[list]:
        with self.lock:
            live = sorted((t for t in self.tasks.values() if not t.terminal), key=lambda t: t.extra["number"])
            return [[t.extra["number"], t.id, t.body["prompt"], {}, t.extra["outputs"]] for t in live]

    def _queue(self, req: Request) -> Response:
        items = self._queue_items()
        return Response.json(200, {"queue_running": items[:1], "queue_pending": items[1:]})

    def _prompt_info(self, req: Request) -> Response:
        return Response.json(200, {"exec_info": {"queue_remaining": len(self._queue_items())}})

    def _stats(self, req: Request) -> Response:
        return Response.json(200, {"system": {"os": "posix", "comfyui_version": "fake", "python_version": "3",
                                              "embedded_python": False},
                                   "devices": [{"name": "fake", "type": "cpu", "index": 0, "vram_total": 0,
                                                "vram_free": 0}]})

    def _view(self, req: Request) -> Response:
        name, sub, kind = req.query.get("filename", ""), req.query.get("subfolder", ""), req.query.get("type", "output")
        if not name or name.startswith("/") or ".." in name:
            return Response(400)
        with self.lock:
            task = next((t for t in self.tasks.values() if t.state == "done" and any(
                f["filename"] == name and f["subfolder"] == sub and f["type"] == kind
                for f in t.extra["files"].values())), None)
        if task is None:
            return Response(404)
        resp = self.serve_file(task, req)
        resp.headers["Content-Disposition"] = f'filename="{name}"'
        return resp
