"""The fake ComfyUI's uploads and its checks of a Wan graph (sockets, types, uploaded images), and the video it
answers with."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes import FakeComfyUI, media
from tests.fakes_selftest import WEB


def upload(fake: FakeComfyUI, name: str, data: bytes, overwrite: bool = True) -> dict[str, Any]:
    r = WEB.post(fake.url("/upload/image"), files={"image": (name, data, "image/png")},
                 data={"type": "input", **({"overwrite": "true"} if overwrite else {})})
    assert r.status_code == 200, r.text
    return r.json()


def wan_graph(image: str, *, end: str | None = None) -> dict[str, Any]:
    g: dict[str, Any] = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "h.safetensors", "weight_dtype": "default"}},
        "3": {"class_type": "CLIPLoader", "inputs": {"clip_name": "t.safetensors", "type": "wan"}},
        "4": {"class_type": "VAELoader", "inputs": {"vae_name": "v.safetensors"}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "waves", "clip": ["3", 0]}},
        "8": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["3", 0]}},
        "9": {"class_type": "LoadImage", "inputs": {"image": image}},
        "11": {"class_type": "WanImageToVideo", "inputs": {
            "positive": ["7", 0], "negative": ["8", 0], "vae": ["4", 0], "width": 832, "height": 480, "length": 33,
            "batch_size": 1, "start_image": ["9", 0]}},
        "12": {"class_type": "KSamplerAdvanced", "inputs": {
            "add_noise": "enable", "noise_seed": 1, "steps": 4, "cfg": 1, "sampler_name": "euler",
            "scheduler": "simple", "start_at_step": 0, "end_at_step": 4, "return_with_leftover_noise": "disable",
            "model": ["1", 0], "positive": ["11", 0], "negative": ["11", 1], "latent_image": ["11", 2]}},
        "14": {"class_type": "VAEDecode", "inputs": {"samples": ["12", 0], "vae": ["4", 0]}},
        "15": {"class_type": "CreateVideo", "inputs": {"images": ["14", 0], "fps": 16}},
        "16": {"class_type": "SaveVideo", "inputs": {"video": ["15", 0], "filename_prefix": "filmc/s01",
                                                      "format": "auto", "codec": "auto"}},
    }
    if end:
        g["10"] = {"class_type": "LoadImage", "inputs": {"image": end}}
        g["11"]["class_type"] = "WanFirstLastFrameToVideo"
        g["11"]["inputs"]["end_image"] = ["10", 0]
    return g


def errors(resp: Any) -> dict[str, list[str]]:
    return {nid: [e["type"] for e in v["errors"]] for nid, v in resp.json()["node_errors"].items()}


def test_uploads_keep_or_rename_and_answer_the_name() -> None:
    with FakeComfyUI() as fake:
        assert upload(fake, "a.png", b"one") == {"name": "a.png", "subfolder": "", "type": "input"}
        assert upload(fake, "a.png", b"one", overwrite=False)["name"] == "a.png"  # the same bytes
        assert upload(fake, "a.png", b"two", overwrite=False)["name"] == "a (1).png"
        assert upload(fake, "a.png", b"three")["name"] == "a.png" and fake.uploads["a.png"] == b"three"
        assert WEB.post(fake.url("/upload/image"), data={"type": "input"}).status_code == 400


def test_a_wan_graph_is_checked_and_answered_with_a_video() -> None:
    with FakeComfyUI(steps=1) as fake:
        png = media.png()
        upload(fake, "first.png", png)
        upload(fake, "last.png", png)
        r = WEB.post(fake.url("/prompt"), json={"prompt": wan_graph("missing.png")})
        assert r.status_code == 400 and errors(r) == {"9": ["custom_validation_failed"]}
        bad = wan_graph("first.png")
        bad["11"]["inputs"]["end_image"] = ["9", 0]  # WanImageToVideo takes no end image
        bad["12"]["inputs"]["latent_image"] = ["11", 0]  # a CONDITIONING where a LATENT goes
        bad["15"]["inputs"]["images"] = ["14", 1]  # VAEDecode has one output
        del bad["12"]["inputs"]["cfg"]
        r = WEB.post(fake.url("/prompt"), json={"prompt": bad})
        assert errors(r) == {"11": ["unknown_input"], "12": ["required_input_missing", "return_type_mismatch"],
                             "15": ["bad_linked_input"]}
        for graph in (wan_graph("first.png"), wan_graph("first.png", end="last.png")):
            ok = WEB.post(fake.url("/prompt"), json={"prompt": copy.deepcopy(graph)})
            assert ok.status_code == 200, ok.text
            pid = ok.json()["prompt_id"]
            history: dict[str, Any] = {}
            for _ in range(10):  # a few polls: the fake ends the task after its steps
                history = WEB.get(fake.url(f"/history/{pid}")).json()
                if pid in history:
                    break
            entry = history[pid]
            (out,) = entry["outputs"].values()
            assert out["animated"] == [True] and out["images"][0]["filename"].endswith(".mp4")
            f = out["images"][0]
            video = WEB.get(fake.url("/view"), params=f)
            assert video.status_code == 200 and media.sniff(video.content) == "video/mp4"
