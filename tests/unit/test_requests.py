"""Request templates (targets/*/request.<provider>.json.j2) against their wire schemas (schema/requests/)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from compiler.errors import FilmError
from compiler.expand import Plan, compile_shot, expand_production
from compiler.loading import resolve_film
from compiler.targets import builtin_targets

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schema" / "requests"
EXAMPLE = ROOT / "specs" / "lighthouse-keeper"
BASE = ROOT / "tests" / "cases" / "base.yaml"
ALL = [t.name for t in sorted(builtin_targets().values(), key=lambda t: (t.kind != "image", t.name))]
TARGET_FILES = sorted((ROOT / "targets").glob("*/target.yaml"))
PROVIDERS = [(p.parent.name, name) for p in TARGET_FILES
             for name in (yaml.safe_load(p.read_text(encoding="utf-8")).get("providers") or {})]
SCHEMA_FILES = sorted(SCHEMAS.glob("*.json"))
PLACEHOLDER = re.compile(r"^@(job|last-frame|end-frame|end-file|ref):")


# ---------------------------------------------------------------- helpers

@cache
def validator(target: str, provider: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{target}.{provider}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def errors(target: str, provider: str, body: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"
            for e in validator(target, provider).iter_errors(body)]


def first_frame(plan: Plan, target: str, shot: str, segment: int = 1) -> str | None:
    """The image placeholder expand_production gives a job (for rendering other providers the same way)."""
    if plan.prod.targets[target].kind != "video":
        return None
    if segment > 1:
        return f"@last-frame:{shot}.{target}" + (f".{segment - 1}" if segment > 2 else "")
    image = plan.prod.film.targets.image
    return f"@job:{shot}.{image[0]}" if image else None


def render_request(plan: Plan, target: str, provider: str, shot: str, segment: int = 1) -> dict[str, Any]:
    """The request body the compiler makes for `provider` (a build uses the first provider unless the
    film sets targets.options.<target>.provider)."""
    jobs = compile_shot(plan.prod, target, shot, provider=provider, options=plan.contexts[(shot, target)]["options"]).jobs
    return next(j.body for j in jobs if j.segment == segment)


def film(tmp_path: Path, *, image: list[str], video: list[str], options: dict[str, Any] | None = None,
         shots: dict[str, dict[str, Any]] | None = None, edit: Any = None) -> Plan:
    """tests/cases/base.yaml with other targets, options and shot keys, resolved and expanded in-process."""
    doc = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    doc["targets"] = {"image": image, "video": video, **({"options": options} if options else {})}
    for shot in doc["shots"]:
        shot.update((shots or {}).get(shot["id"], {}))
    if edit:
        edit(doc)
    (tmp_path / "film.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    prod = resolve_film(tmp_path)
    return expand_production(prod, targets=image + video)


def short_intro(doc: dict[str, Any]) -> None:
    """No shot longer than 9 s (luma generates at most 9 s): intro 0-9, verse 9-21, chorus 21-30."""
    doc["song"]["sections"][1]["start"] = 9
    doc["song"]["sections"][2]["start"] = 21


def jobs(plan: Plan, target: str) -> list[Any]:
    return [j for j in plan.jobs if j.target == target]


def nodes_titled(graph: dict[str, Any], title: str) -> list[dict[str, Any]]:
    return [n for n in graph.values() if n.get("_meta", {}).get("title") == title]


# ---------------------------------------------------------------- the example film, every target

@pytest.fixture(scope="module")
def plan() -> Plan:
    return expand_production(resolve_film(EXAMPLE), targets=ALL)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.stem for p in SCHEMA_FILES])
def test_request_schema_is_valid(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    Draft7Validator.check_schema(schema)  # only keywords common with draft 7
    assert schema.get("description") and "apis.md" in schema["description"]


@pytest.mark.parametrize(("target", "provider"), PROVIDERS, ids=[f"{t}.{p}" for t, p in PROVIDERS])
def test_every_provider_has_template_and_schema(target: str, provider: str) -> None:
    assert (ROOT / "targets" / target / f"request.{provider}.json.j2").is_file()
    assert (SCHEMAS / f"{target}.{provider}.json").is_file()


def test_no_stray_request_files() -> None:
    known = {f"{t}.{p}" for t, p in PROVIDERS}
    assert {p.stem for p in SCHEMA_FILES} == known
    templates = {f"{p.parent.name}.{p.name.split('.')[1]}" for p in (ROOT / "targets").glob("*/request.*.json.j2")}
    assert templates == known


def test_every_job_body_validates(plan: Plan) -> None:
    assert plan.jobs
    bad = {j.job: errs for j in plan.jobs if (errs := errors(j.target, j.provider, j.body))}
    assert not bad, json.dumps(bad, indent=1)


def test_one_job_per_shot_and_segment(plan: Plan) -> None:
    for t in plan.targets:
        mine = jobs(plan, t.name)
        if not t.providers:
            assert not mine, t.name
            continue
        assert {j.provider for j in mine} == {next(iter(t.providers))}
        for s in plan.shots:
            segs = plan.contexts[(s.id, t.name)]["generation"]["segments"]
            assert sorted(j.segment for j in mine if j.shot == s.id) == list(range(1, segs + 1)), (t.name, s.id)


def test_video_jobs_depend_on_the_first_image_job(plan: Plan) -> None:
    first_image = plan.prod.film.targets.image[0]
    image_jobs = {j.job for j in plan.jobs}
    videos = [j for j in plan.jobs if plan.prod.targets[j.target].kind == "video" and j.segment == 1]
    assert videos
    for j in videos:
        want = f"{j.shot}.{first_image}"
        assert j.depends_on == (want,) and want in image_jobs
        assert f'"@job:{want}"' in json.dumps(j.body), j.job  # the first frame goes in the body as a placeholder
    for j in plan.jobs:
        if plan.prod.targets[j.target].kind == "image":
            assert j.depends_on == ()
            assert "@job:" not in json.dumps(j.body)


def test_bodies_match_the_compiled_prompts(plan: Plan) -> None:
    for j in plan.jobs:
        p = plan.prompt(j.shot, j.target)
        text = json.dumps(j.body, ensure_ascii=False)
        for window in p.text.split(" BREAK "):  # a prompt in CLIP windows: one prompt node per window
            assert json.dumps(window, ensure_ascii=False) in text, j.job


@pytest.mark.parametrize(("target", "provider"), PROVIDERS, ids=[f"{t}.{p}" for t, p in PROVIDERS])
def test_every_provider_renders_valid_bodies(plan: Plan, target: str, provider: str) -> None:
    for s in plan.shots:
        body = render_request(plan, target, provider, s.id)
        assert not errors(target, provider, body), (s.id, errors(target, provider, body))
        if provider == next(iter(plan.prod.targets[target].providers)):
            [job] = [j for j in plan.jobs if j.shot == s.id and j.target == target and j.segment == 1]
            assert body == job.body  # the helper renders exactly like expand_production


AUTH_NAMES = re.compile(r"api[_-]?key|secret|token|authori[sz]ation|password|bearer|x-key", re.IGNORECASE)
KEY_LIKE = re.compile(r"key_[0-9a-f]{16,}|sk-[A-Za-z0-9]{16,}|\bBearer\s|\beyJ[A-Za-z0-9_-]{10,}|"
                      r"(?<![A-Za-z0-9])[A-Za-z0-9+/_-]{40,}(?![A-Za-z0-9])|\b[0-9a-f]{32,}\b")


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in (k, *_keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def test_no_secrets_in_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    env_names = set()
    for path in TARGET_FILES:
        for prov in (yaml.safe_load(path.read_text(encoding="utf-8")).get("providers") or {}).values():
            auth = prov.get("auth") or {}
            for k in ("env", "secret_env"):
                v = auth.get(k)
                env_names.update([v] if isinstance(v, str) else v or [])
    assert env_names
    secrets = {name: f"fake-{name.lower()}-0123456789abcdef" for name in env_names}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    plan = expand_production(resolve_film(EXAMPLE), targets=ALL)
    bodies = [j.body for j in plan.jobs]
    bodies += [render_request(plan, t, p, s.id) for t, p in PROVIDERS for s in plan.shots[:3]]
    for body in bodies:
        text = json.dumps(body, ensure_ascii=False)
        for value in secrets.values():
            assert value not in text
        assert not [k for k in _keys(body) if AUTH_NAMES.search(k)], text
        assert not KEY_LIKE.search(text), KEY_LIKE.search(text).group(0)


# ---------------------------------------------------------------- option variations (small films)

def test_kling_cfg_scale(tmp_path: Path) -> None:
    plan = film(tmp_path, image=["mystic"], video=["kling"],
                options={"kling": {"model": "kling-v2-1", "mode": "pro"}},
                shots={"s01": {"generate": {"kling": {"cfg_scale": 0.7}}},
                       "s02": {"generate": {"kling": {"model": "kling-v1-6", "mode": "std", "creativity": 0.7}}},
                       "s03": {"generate": {"kling": {"cfg_scale": 0.2, "creativity": 0.7}}}})
    s01, s02 = (render_request(plan, "kling", "kling", s) for s in ("s01", "s02"))
    assert s01["model_name"] == "kling-v2-1" and s01["mode"] == "pro"
    assert "cfg_scale" not in s01  # kling-v2.x on the official API takes no cfg_scale
    assert s02["model_name"] == "kling-v1-6" and s02["cfg_scale"] == pytest.approx(0.3)  # 1 - creativity
    assert render_request(plan, "kling", "kling", "s03").get("cfg_scale") is None  # v2-1 again
    by_shot = {j.shot: j for j in jobs(plan, "kling")}  # the first provider: freepik
    assert by_shot["s03"].body["cfg_scale"] == 0.2  # cfg_scale wins over creativity
    assert by_shot["s01"].url.endswith("/kling-v2-1-pro") and by_shot["s01"].body["cfg_scale"] == 0.7
    assert by_shot["s02"].url.endswith("/kling-std") and by_shot["s02"].body["cfg_scale"] == pytest.approx(0.3)
    for j in by_shot.values():
        assert j.body["duration"] in ("5", "10") and j.body["image"] == f"@job:{j.shot}.mystic"
        assert j.body["negative_prompt"] == plan.prompt(j.shot, "kling").negative
        assert not errors("kling", "freepik", j.body)
    for s in plan.shots:
        assert not errors("kling", "kling", render_request(plan, "kling", "kling", s.id))


def test_kling_master_has_no_mode_and_no_cfg_by_default(tmp_path: Path) -> None:
    plan = film(tmp_path, image=["mystic"], video=["kling"], options={"kling": {"model": "kling-v2-1-master"}})
    body = render_request(plan, "kling", "kling", "s01")
    assert "mode" not in body and "cfg_scale" not in body
    assert "cfg_scale" not in jobs(plan, "kling")[0].body  # unset: the API default applies


def test_flux_bfl_sizes_are_multiples_of_32(tmp_path: Path) -> None:
    for aspect in ("16:9", "9:16", "1:1", "4:3", "21:9", "2.39:1", "9:21"):
        folder = tmp_path / aspect.replace(":", "x")
        folder.mkdir()
        plan = film(folder, image=["flux"], video=[],
                    edit=lambda doc, a=aspect: doc["film"].update(aspect=a))
        w, h = (float(x) for x in aspect.split(":"))
        for model in ("flux-dev", "flux-pro-1.1"):
            plan.contexts[("s01", "flux")]["options"]["model"] = model
            body = render_request(plan, "flux", "bfl", "s01")
            assert body["width"] % 32 == 0 and body["height"] % 32 == 0, (aspect, body)
            assert 256 <= body["width"] <= 1440 and 256 <= body["height"] <= 1440, (aspect, body)
            assert body["width"] * body["height"] <= 1440 * 1440
            if 9 / 21 <= w / h <= 21 / 9:
                assert abs(body["width"] / body["height"] / (w / h) - 1) < 0.03, (aspect, body)
            assert "aspect_ratio" not in body and not errors("flux", "bfl", body)


def test_flux_endpoint_fields(tmp_path: Path) -> None:
    opts = {"seed": 7, "prompt_upsampling": True, "safety_tolerance": 3, "output_format": "png", "steps": 30,
            "guidance": 2.5, "raw": True}
    plan = film(tmp_path, image=["flux"], video=[], options={"flux": {"model": "flux-dev", **opts}})
    options = plan.contexts[("s01", "flux")]["options"]
    dev = render_request(plan, "flux", "bfl", "s01")
    assert dev["steps"] == 30 and dev["guidance"] == 2.5 and "raw" not in dev and dev["seed"] == 7
    options["model"] = "flux-pro-1.1"
    pro = render_request(plan, "flux", "bfl", "s01")
    assert "steps" not in pro and "raw" not in pro and pro["prompt_upsampling"] is True
    options["model"] = "flux-pro-1.1-ultra"
    ultra = render_request(plan, "flux", "bfl", "s01")
    assert ultra["aspect_ratio"] == "16:9" and ultra["raw"] is True and "width" not in ultra
    for body in (dev, pro, ultra):
        assert not errors("flux", "bfl", body)
    # Freepik: flux-dev takes only prompt, aspect_ratio and seed
    fp = jobs(plan, "flux")[0]
    assert fp.provider == "freepik" and fp.url.endswith("/text-to-image/flux-dev")
    assert set(fp.body) == {"prompt", "aspect_ratio", "seed"} and fp.body["aspect_ratio"] == "widescreen_16_9"
    assert not errors("flux", "freepik", fp.body)


def test_flux_ultra_is_not_sent_to_freepik(tmp_path: Path) -> None:
    with pytest.raises(FilmError) as e:
        film(tmp_path, image=["flux"], video=[], options={"flux": {"model": "flux-pro-1.1-ultra"}})
    (d,) = e.value.diagnostics  # refused where the model is chosen, before any template runs
    assert (d.code, d.pointer) == ("C535", "/targets/options/flux/model")
    assert "flux-pro-1.1-ultra" in d.message and "freepik" in d.message and "provider: bfl" in (d.hint or "")


def test_luma_concepts(tmp_path: Path) -> None:
    plan = film(tmp_path, image=["mystic"], video=["luma"], options={"luma": {"resolution": "720p", "loop": False}},
                edit=short_intro)
    by_shot = {j.shot: j.body for j in jobs(plan, "luma")}
    assert by_shot["s01"]["concepts"] == [{"key": "push_in"}]  # s01: slow push-in
    assert by_shot["s04"]["concepts"] == [{"key": "orbit_left"}]
    assert by_shot["s02"]["concepts"] == [{"key": "static"}]  # no camera: it holds still, as in the animatic
    for shot, body in by_shot.items():
        assert body["keyframes"] == {"frame0": {"type": "image", "url": f"@job:{shot}.mystic"}}
        assert body["duration"] in ("5s", "9s") and body["resolution"] == "720p" and body["loop"] is False
        assert body["aspect_ratio"] == "16:9" and not errors("luma", "luma", body)


def test_comfyui_graph(tmp_path: Path) -> None:
    plan = film(tmp_path, image=["comfyui"], video=[], shots={"s02": {"generate": {"comfyui": {
        "width": 1024, "height": 576, "seed": 42, "checkpoint": "juggernaut.safetensors"}}}})
    for j in jobs(plan, "comfyui"):
        graph = j.body["prompt"]
        p = plan.prompt(j.shot, "comfyui")
        [pos], [neg] = nodes_titled(graph, "positive"), nodes_titled(graph, "negative")
        assert pos["class_type"] == neg["class_type"] == "CLIPTextEncode"
        assert pos["inputs"]["text"] == p.text and p.text
        assert neg["inputs"]["text"] == p.negative and p.negative
        [ks] = [n for n in graph.values() if n["class_type"] == "KSampler"]
        assert graph[ks["inputs"]["positive"][0]] is pos and graph[ks["inputs"]["negative"][0]] is neg
        assert sorted(graph) == ["3", "4", "5", "6", "7", "8", "9"] and j.body["client_id"] == "filmc"
        assert graph["9"]["inputs"]["filename_prefix"] == f"filmc/{j.shot}"
        assert ks["inputs"]["denoise"] == 1 and isinstance(ks["inputs"]["seed"], int)
        assert not errors("comfyui", "comfyui", j.body)
    by_shot = {j.shot: j.body["prompt"] for j in jobs(plan, "comfyui")}
    assert by_shot["s01"]["5"]["inputs"] == {"width": 1344, "height": 768, "batch_size": 1}  # SDXL 16:9 bucket
    assert by_shot["s02"]["5"]["inputs"] == {"width": 1024, "height": 576, "batch_size": 1}
    assert by_shot["s02"]["3"]["inputs"]["seed"] == 42
    assert by_shot["s02"]["4"]["inputs"]["ckpt_name"] == "juggernaut.safetensors"
    seeds = {shot: g["3"]["inputs"]["seed"] for shot, g in by_shot.items() if shot != "s02"}
    assert len(set(seeds.values())) == len(seeds)  # per-shot, derived from the shot id
    again = film(tmp_path, image=["comfyui"], video=[])
    assert {j.shot: j.body["prompt"]["3"]["inputs"]["seed"] for j in jobs(again, "comfyui") if j.shot != "s02"} == seeds


def test_runway_and_hailuo(tmp_path: Path) -> None:
    plan = film(tmp_path, image=["flux"], video=["runway", "hailuo"],
                options={"runway": {"seed": 5}, "hailuo": {"prompt_optimizer": True}})
    for j in jobs(plan, "runway"):
        assert j.body["promptImage"] == f"@job:{j.shot}.flux" and j.body["ratio"] == "1280:720"
        assert isinstance(j.body["duration"], int) and j.body["seed"] == 5 and j.body["model"] == "gen4_turbo"
        assert not errors("runway", "runway", j.body)
    for j in jobs(plan, "hailuo"):
        assert j.provider == "minimax" and j.body["first_frame_image"] == f"@job:{j.shot}.flux"
        assert j.body["duration"] in (6, 10) and j.body["resolution"] == "768P" and j.body["prompt_optimizer"] is True
        assert not errors("hailuo", "minimax", j.body)
        fp = render_request(plan, "hailuo", "freepik", j.shot)
        assert set(fp) == {"prompt", "first_frame_image", "prompt_optimizer", "duration"}
        assert not errors("hailuo", "freepik", fp)


def test_extend_segments_chain_last_frames(tmp_path: Path) -> None:
    def long_intro(doc: dict[str, Any]) -> None:
        doc["song"]["duration"] = 45
        doc["song"]["sections"][1]["start"] = 25
        doc["song"]["sections"][2]["start"] = 35
        doc["shots"][0]["extend"] = True

    plan = film(tmp_path, image=["mystic"], video=["kling"], edit=long_intro)
    segs = [j for j in jobs(plan, "kling") if j.shot == "s01"]
    assert [j.job for j in segs] == ["s01.kling", "s01.kling.2", "s01.kling.3"]
    assert [j.body["image"] for j in segs] == ["@job:s01.mystic", "@last-frame:s01.kling", "@last-frame:s01.kling.2"]
    for j in segs:
        assert not errors("kling", "freepik", j.body)
        assert render_request(plan, "kling", "freepik", "s01", j.segment) == j.body


def test_video_without_image_target_omits_the_image(tmp_path: Path) -> None:
    plan = film(tmp_path, image=[], video=["kling", "runway", "luma", "hailuo"], edit=short_intro)
    for j in plan.jobs:
        assert j.depends_on == () and "@job:" not in json.dumps(j.body)
        assert not errors(j.target, j.provider, j.body), j.job
    for t, p in PROVIDERS:
        if t in ("kling", "runway", "luma", "hailuo"):
            assert not errors(t, p, render_request(plan, t, p, "s01"))


def test_schemas_reject_bad_bodies() -> None:
    assert errors("kling", "freepik", {"duration": 5})  # an integer, not "5"
    assert errors("kling", "freepik", {"duration": "5", "prompt": "x" * 2501})
    assert errors("kling", "kling", {"model_name": "kling-v2-1", "prompt": "", "cfg_scale": 0.5})
    assert errors("kling", "kling", {"model_name": "kling-v1-6", "prompt": "", "image": "not an image"})
    assert not errors("kling", "kling", {"model_name": "kling-v1-6", "prompt": "", "image": "@last-frame:s01.kling"})
    assert errors("runway", "runway", {"model": "gen4_turbo", "ratio": "16:9", "duration": 5})
    assert errors("runway", "runway", {"model": "gen4_turbo", "ratio": "1280:720", "duration": "5"})
    assert errors("luma", "luma", {"model": "ray-2", "prompt": "", "duration": 5})
    assert errors("hailuo", "minimax", {"model": "MiniMax-Hailuo-02", "prompt": "", "duration": 10, "resolution": "1080P"})
    assert errors("hailuo", "freepik", {"prompt": "x" * 2001})
    assert errors("mystic", "freepik", {"prompt": "", "aspect_ratio": "16:9"})
    assert errors("mystic", "freepik", {"prompt": "", "negative_prompt": "blur"})
    assert errors("flux", "freepik", {"prompt": "", "steps": 20})
    assert errors("flux", "bfl", {"prompt": "", "width": 1000, "height": 768})
    assert errors("comfyui", "comfyui", {"prompt": {"3": {"inputs": {}}}})
