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
- `POST /upload/image` (multipart `image`, `type`, `subfolder`, `overwrite`) answers `{"name", "subfolder", "type"}`;
  without `overwrite` a name taken by other bytes becomes `<stem> (1)<ext>` [server.py image_upload, V]. LoadImage
  names an uploaded file; another name fails validation ("Invalid image file") [nodes.py LoadImage, V].
- The Wan 2.2 nodes and their sockets (comfy_extras/nodes_wan.py, nodes_video.py, nodes.py [V]): a link must come
  from an output the source node has, of the type the input takes; the Wan nodes' required inputs must be there.
  SaveVideo's file is listed as `{"images": [file], "animated": [true]}` (comfy_api ui.PreviewVideo [V]).
Guesses: output file names `<prefix>_<00001>_.png` (ComfyUI's SaveImage convention, from memory), the
prompt_no_outputs / bad_linked_input / return_type_mismatch / required_input_missing texts, the system_stats
fields. Stricter than ComfyUI, in a graph with a Wan node (other graphs are checked for dangling links only): an input a
known node does not have is refused (ComfyUI ignores it), so an end image on WanImageToVideo (which takes none)
fails here.
`fake.die("refuse"|"hang")` (or a fault with die=) makes the server stop answering, for pool tests.
"""

from __future__ import annotations

import time
import uuid
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any

from . import media
from .base import FakeServer, Request, Response, Task

OUTPUT_NODES = {"SaveImage", "PreviewImage", "SaveAnimatedWEBP", "SaveAnimatedPNG", "SaveVideo", "SaveWEBM",
                "VHS_VideoCombine"}

# Node classes the fake knows: their output types (by index), then their inputs (name -> the type a link must carry,
# or None for a widget value) and which of those are required.
_COND, _LATENT = "CONDITIONING", "LATENT"
_SAMPLER = {"model": "MODEL", "positive": _COND, "negative": _COND, "latent_image": _LATENT, "sampler_name": None,
            "scheduler": None, "cfg": None, "steps": None}
_WAN = {"positive": _COND, "negative": _COND, "vae": "VAE", "width": None, "height": None, "length": None,
        "batch_size": None}
NODES: dict[str, tuple[list[str], dict[str, str | None], set[str]]] = {
    "CheckpointLoaderSimple": (["MODEL", "CLIP", "VAE"], {"ckpt_name": None}, {"ckpt_name"}),
    "UNETLoader": (["MODEL"], {"unet_name": None, "weight_dtype": None}, {"unet_name", "weight_dtype"}),
    "CLIPLoader": (["CLIP"], {"clip_name": None, "type": None, "device": None}, {"clip_name", "type"}),
    "VAELoader": (["VAE"], {"vae_name": None}, {"vae_name"}),
    "ModelSamplingSD3": (["MODEL"], {"model": "MODEL", "shift": None}, {"model", "shift"}),
    "CLIPTextEncode": ([_COND], {"text": None, "clip": "CLIP"}, {"text", "clip"}),
    "ConditioningConcat": ([_COND], {"conditioning_to": _COND, "conditioning_from": _COND},
                           {"conditioning_to", "conditioning_from"}),
    "EmptyLatentImage": ([_LATENT], {"width": None, "height": None, "batch_size": None},
                         {"width", "height", "batch_size"}),
    "LoadImage": (["IMAGE", "MASK"], {"image": None, "upload": None}, {"image"}),
    "WanImageToVideo": ([_COND, _COND, _LATENT], {**_WAN, "clip_vision_output": "CLIP_VISION_OUTPUT",
                                                  "start_image": "IMAGE"}, set(_WAN)),
    "WanFirstLastFrameToVideo": ([_COND, _COND, _LATENT], {
        **_WAN, "clip_vision_start_image": "CLIP_VISION_OUTPUT", "clip_vision_end_image": "CLIP_VISION_OUTPUT",
        "start_image": "IMAGE", "end_image": "IMAGE"}, set(_WAN)),
    "KSampler": ([_LATENT], {**_SAMPLER, "seed": None, "denoise": None}, set(_SAMPLER) | {"seed", "denoise"}),
    "KSamplerAdvanced": ([_LATENT], {**_SAMPLER, "add_noise": None, "noise_seed": None, "start_at_step": None,
                                     "end_at_step": None, "return_with_leftover_noise": None},
                         set(_SAMPLER) | {"add_noise", "noise_seed", "start_at_step", "end_at_step",
                                          "return_with_leftover_noise"}),
    "VAEDecode": (["IMAGE"], {"samples": _LATENT, "vae": "VAE"}, {"samples", "vae"}),
    "CreateVideo": (["VIDEO"], {"images": "IMAGE", "fps": None, "audio": "AUDIO"}, {"images", "fps"}),
    "SaveVideo": ([], {"video": "VIDEO", "filename_prefix": None, "format": None, "codec": None},
                  {"video", "filename_prefix", "format", "codec"}),
    "SaveImage": ([], {"images": "IMAGE", "filename_prefix": None}, {"images", "filename_prefix"}),
}


def _link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def multipart(req: Request) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body: field name -> (file name or None, bytes)."""
    ctype = req.header("content-type") or ""
    if not ctype.startswith("multipart/form-data"):
        return {}
    msg = BytesParser(policy=email_policy).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.raw)
    out: dict[str, tuple[str | None, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            out[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return out


def _err(type_: str, message: str, details: str = "") -> dict:
    return {"type": type_, "message": message, "details": details, "extra_info": {}}


class FakeComfyUI(FakeServer):
    provider = "comfyui"
    env_key = None
    kinds = ("create", "poll", "download", "queue", "upload")

    def __init__(self, **kw: Any):
        self.number = 0
        self._counter = 0
        self.uploads: dict[str, bytes] = {}  # "subfolder/name" (or "name") in the input folder -> bytes
        super().__init__(**kw)

    def setup(self) -> None:
        a = r"(?:/api)?"
        self.route("POST", rf"{a}/prompt", "create", self._create)
        self.route("GET", rf"{a}/prompt", "queue", self._prompt_info)
        self.route("GET", rf"{a}/history/(?P<id>[^/]+)", "poll", self._history)
        self.route("GET", rf"{a}/queue", "queue", self._queue)
        self.route("GET", rf"{a}/view", "download", self._view)
        self.route("GET", rf"{a}/system_stats", "queue", self._stats)
        self.route("POST", rf"{a}/upload/image", "upload", self._upload)

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
    # -- uploads ---------------------------------------------------------------------------------------------------
    def _upload(self, req: Request) -> Response:
        fields = multipart(req)
        filename, data = fields.get("image", (None, b""))
        if not filename or not data:
            return Response(400)
        kind = (fields.get("type", (None, b"input"))[1] or b"input").decode()
        sub = (fields.get("subfolder", (None, b""))[1]).decode()
        overwrite = fields.get("overwrite", (None, b""))[1].decode() in ("true", "1")
        if kind != "input" or ".." in filename or "/" in filename or ".." in sub:
            return Response(400)
        with self.lock:
            key = f"{sub}/{filename}" if sub else filename
            if not overwrite and key in self.uploads and self.uploads[key] != data:
                stem, dot, ext = filename.rpartition(".")
                filename = f"{stem} (1).{ext}" if dot else f"{filename} (1)"
                key = f"{sub}/{filename}" if sub else filename
            self.uploads[key] = data
        return Response.json(200, {"name": filename, "subfolder": sub, "type": kind})

    def _graph_problems(self, graph: dict) -> tuple[dict | None, dict]:
        node_errors: dict = {}

        def fail(nid: str, node: dict, type_: str, message: str, name: str) -> None:
            node_errors.setdefault(nid, {"errors": [], "dependent_outputs": [],
                                         "class_type": node.get("class_type")})["errors"].append(
                {"type": type_, "message": message, "details": name, "extra_info": {"input_name": name}})

        strict = any(str(n.get("class_type")).startswith("Wan") for n in graph.values())  # a Wan graph
        for nid, node in graph.items():
            cls = node.get("class_type")
            outs, ins, required = NODES.get(cls, (None, None, set())) if strict else (None, None, set())
            inputs = node.get("inputs") or {}
            for name in sorted(required - set(inputs)):
                fail(nid, node, "required_input_missing", "Required input is missing", name)
            for name, value in inputs.items():
                if ins is not None and name not in ins:
                    fail(nid, node, "unknown_input", f"{cls} has no input {name}", name)
                    continue
                if not _link(value):
                    continue
                source = graph.get(str(value[0]))
                if source is None:
                    fail(nid, node, "bad_linked_input", "Bad linked input, must be a length-2 list of "
                         "[node_id, slot_index]", name)
                    continue
                src_outs = NODES.get(source.get("class_type"), (None,))[0] if strict else None
                want = ins.get(name) if ins is not None else None
                if src_outs is not None and not 0 <= value[1] < len(src_outs):
                    fail(nid, node, "bad_linked_input", f"{source.get('class_type')} has no output {value[1]}", name)
                elif src_outs is not None and want is not None and src_outs[value[1]] != want:
                    fail(nid, node, "return_type_mismatch", "Return type mismatch between linked nodes", name)
            if cls == "LoadImage" and isinstance(inputs.get("image"), str) and inputs["image"] not in self.uploads:
                fail(nid, node, "custom_validation_failed", f"Invalid image file: {inputs['image']}", "image")
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
            video = any(body["prompt"][nid].get("class_type") == "SaveVideo" for nid in outputs)
            files = {}
            for nid in outputs:
                self._counter += 1
                prefix = str((body["prompt"][nid].get("inputs") or {}).get("filename_prefix", "ComfyUI"))
                sub, _, stem = prefix.rpartition("/")
                ext = "mp4" if video else "png"
                files[nid] = {"filename": f"{stem}_{self._counter:05}_.{ext}", "subfolder": sub, "type": "output"}
            task = self.new_task(req, task_id=body.get("prompt_id") or str(uuid.uuid4()),
                                 kind="video" if video else "image", number=number, outputs=outputs, files=files)
        return Response.json(200, {"prompt_id": task.id, "number": number, "node_errors": {}}, task_id=task.id)

    def result_bytes(self, task: Task) -> bytes:
        """A video as long as the graph makes it: (length - 1) / fps of its Wan and CreateVideo nodes."""
        if task.kind != "video" or self.result is not None:
            return super().result_bytes(task)
        nodes = list(task.body["prompt"].values())
        length = next((n["inputs"].get("length") for n in nodes if str(n.get("class_type")).startswith("Wan")), 81)
        fps = next((n["inputs"].get("fps") for n in nodes if n.get("class_type") == "CreateVideo"), 16)
        return media.tag(media.mp4((int(length) - 1) / float(fps)), task.id)

    # -- history, queue, view --------------------------------------------------------------------------------------
    def _entry(self, task: Task) -> dict:
        extra_data = {"client_id": task.body.get("client_id")} if task.body.get("client_id") else {}
        prompt = [task.extra["number"], task.id, task.body["prompt"], extra_data, task.extra["outputs"]]
        started = int(task.created * 1000)
        messages = [["execution_start", {"prompt_id": task.id, "timestamp": started}],
                    ["execution_cached", {"nodes": [], "prompt_id": task.id, "timestamp": started}]]
        if task.state == "done":
            outputs = {nid: {"images": [f], **({"animated": [True]} if task.kind == "video" else {})}
                       for nid, f in task.extra["files"].items()}
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
