"""The wan target (Wan 2.2 image-to-video as a ComfyUI graph) end to end against the fake ComfyUI on 127.0.0.1:
the first frame is uploaded as the image take's bytes, the graph the fake accepts is the Wan graph, and the clip
comes back as a video take."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest

from tests.fakes import FakeComfyUI
from tests.fakes.comfyui import NODES
from tests.jobs.test_providers import fakes, film, run, served_whole, takes  # noqa: F401 - fakes is a fixture
from tests.jobs.test_run import attempts


def links_ok(graph: dict[str, Any]) -> list[str]:
    """Every link points at an output its source node has (by the node tables of the fake)."""
    bad = []
    for nid, node in graph.items():
        for name, value in node["inputs"].items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
                src = graph.get(str(value[0]))
                if src is None or not 0 <= value[1] < len(NODES[src["class_type"]][0]):
                    bad.append(f"{nid}.{name} -> {value}")
    return bad


def test_wan_uploads_the_first_frame_and_sends_the_wan_graph(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (comfy,) = fakes(FakeComfyUI(steps=1))
    root = film(tmp_path, "comfyui", "wan", seconds=4)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, comfy)
    assert takes(root) == ["takes/s01/comfyui/1.png", "takes/s01/wan/1.mp4"]
    image = (root / "takes/s01/comfyui/1.png").read_bytes()
    (upload,) = comfy.calls("upload")
    assert list(comfy.uploads.values()) == [image]  # the bytes of the take, whole
    video = next(c for c in comfy.calls("create") if c.body["prompt_id"] == done["s01.wan"].task_id)
    graph = video.body["prompt"]
    assert links_ok(graph) == []
    classes = sorted(n["class_type"] for n in graph.values())
    assert classes == sorted(["UNETLoader", "UNETLoader", "CLIPLoader", "VAELoader", "ModelSamplingSD3",
                              "ModelSamplingSD3", "CLIPTextEncode", "CLIPTextEncode", "LoadImage", "WanImageToVideo",
                              "KSamplerAdvanced", "KSamplerAdvanced", "VAEDecode", "CreateVideo", "SaveVideo"])
    by_class = {n["class_type"]: n for n in graph.values()}
    load = by_class["LoadImage"]
    assert load["inputs"]["image"] in comfy.uploads and load["inputs"]["image"].startswith("filmc-")
    wan = by_class["WanImageToVideo"]["inputs"]
    assert graph[wan["start_image"][0]] is load
    assert wan["length"] == 4 * 16 + 1 and (wan["width"], wan["height"]) == (832, 480)
    high, low = sorted((n for n in graph.values() if n["class_type"] == "KSamplerAdvanced"),
                       key=lambda n: n["inputs"]["start_at_step"])
    assert (high["inputs"]["start_at_step"], high["inputs"]["end_at_step"], low["inputs"]["start_at_step"]) == (0, 10, 10)
    assert low["inputs"]["latent_image"] == [next(k for k, n in graph.items() if n is high), 0]
    assert graph[graph[high["inputs"]["model"][0]]["inputs"]["model"][0]]["inputs"]["unet_name"] == \
        "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors"
    assert by_class["CreateVideo"]["inputs"]["fps"] == 16
    texts = {n["_meta"]["title"]: n["inputs"]["text"] for n in graph.values() if n["class_type"] == "CLIPTextEncode"}
    assert "spray drifts" in texts["positive"].lower() and "frozen frame" in texts["negative"]
    a = attempts(root)[done["s01.wan"].attempt]
    assert a.path == "takes/s01/wan/1.mp4"


def test_a_second_take_uploads_nothing_new(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    """The uploaded name is the image's hash: the same first frame is the same file on the server."""
    (comfy,) = fakes(FakeComfyUI(steps=1))
    root = film(tmp_path, "comfyui", "wan", seconds=4)
    res = run(root, "--takes", "2", "--concurrency", "1")
    assert res.exit_code == 0, res.stderr
    names = {n["inputs"]["image"] for c in comfy.calls("create") for n in c.body["prompt"].values()
             if n["class_type"] == "LoadImage"}
    assert len(names) == 1 and len(comfy.uploads) == 1


def end_frame_film(tmp_path: Path, end: str) -> Path:
    """Two 4 s shots on comfyui + wan; s01 ends on `end` (a file of the film, or next)."""
    d = tmp_path / "film"
    (d / "frames").mkdir(parents=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x64",
                    "-frames:v", "1", "-y", str(d / "frames" / "last.png")], check=True, capture_output=True,
                   timeout=60)
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Test, aspect: \"16:9\"}\n"
        "song:\n  duration: 8\n  sections: [{id: a, start: 0}]\n"
        "targets: {image: [comfyui], video: [wan]}\n"
        "shots:\n"
        f"  - {{id: s01, section: a, size: WS, subject: waves on black sand, background_motion: spray drifts,"
        f" end_frame: {end}}}\n"
        "  - {id: s02, section: a, size: WS, subject: a lighthouse in fog, background_motion: fog rolls}\n",
        encoding="utf-8")
    return d


def frames_of(comfy: FakeComfyUI, graph: dict[str, Any]) -> tuple[str, dict[str, Any], bytes | None, bytes | None]:
    """(the Wan node's class, its inputs, the bytes uploaded for its start image and for its end image)."""
    node = next(n for n in graph.values() if n["class_type"].startswith("Wan"))
    inputs = node["inputs"]

    def image(name: str) -> bytes | None:
        link = inputs.get(name)
        return comfy.uploads[graph[link[0]]["inputs"]["image"]] if link else None

    return node["class_type"], inputs, image("start_image"), image("end_image")


@pytest.mark.parametrize("end", ["frames/last.png", "next"])
def test_wan_takes_an_end_frame_between_the_first_and_last_images(tmp_path: Path, fakes: Any,  # noqa: F811
                                                                   end: str) -> None:
    (comfy,) = fakes(FakeComfyUI(steps=1))
    root = end_frame_film(tmp_path, end)
    res = run(root, "--concurrency", "1")
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, comfy)
    creates = {c.body["prompt_id"]: c.body["prompt"] for c in comfy.calls("create")}
    cls, inputs, start, last = frames_of(comfy, creates[done["s01.wan"].task_id])
    assert cls == "WanFirstLastFrameToVideo" and links_ok(creates[done["s01.wan"].task_id]) == []
    assert start == (root / done["s01.comfyui"].path).read_bytes()
    want = (root / "frames/last.png") if end != "next" else (root / done["s02.comfyui"].path)
    assert last == want.read_bytes() and last != start
    assert inputs["length"] == 4 * 16 + 1
    cls2, _, start2, last2 = frames_of(comfy, creates[done["s02.wan"].task_id])  # s02 has no end frame
    assert cls2 == "WanImageToVideo" and last2 is None and start2 == (root / done["s02.comfyui"].path).read_bytes()
