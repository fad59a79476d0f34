"""The fakes accept exactly what filmc compiles: every job of the example film (build/jobs/*.jsonl from a real
`filmc build`) and every provider's body for every shot, with the image placeholders filled the way each provider
takes images; the same bodies with the placeholders still in are refused."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from compiler.expand import compile_shot, expand_production
from compiler.jobs.providers.genai import wire_body
from compiler.loading import resolve_film
from tests.fakes import FAKES, media
from tests.fakes.base import FakeServer, placeholders
from tests.fakes_selftest import new_client

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "lighthouse-keeper"
TARGETS = sorted((ROOT / "targets").glob("*/target.yaml"))
PROVIDERS = [(p.parent.name, name) for p in TARGETS
             for name in (yaml.safe_load(p.read_text(encoding="utf-8")).get("providers") or {})]
ALL = [p.parent.name for p in TARGETS]
PNG64 = base64.b64encode(media.png()).decode("ascii")
IMAGE_FOR = {  # how each provider takes a first frame (see each fake's docstring)
    "freepik": PNG64,  # base64 or URL
    "kling": PNG64,  # base64 without a data: prefix
    "runway": f"data:image/png;base64,{PNG64}",  # HTTPS URL or data URI
    "minimax": f"data:image/png;base64,{PNG64}",  # URL or data URL
    "luma": "https://example.com/frames/first.png",  # a hosted URL only
    "comfyui": "filmc-first.png",  # LoadImage names a file uploaded first (POST /upload/image, as the provider does)
    "fal": f"data:image/png;base64,{PNG64}",  # URL or data URI (checked on Seedance apps)
    "replicate": f"data:image/png;base64,{PNG64}",  # URL or data URI (checked on Seedance models)
    "gemini": f"data:image/png;base64,{PNG64}",  # a data URL, sent inline as {bytesBase64Encoded, mimeType}
}
WIRE = {"gemini": wire_body}  # bodies an adapter rewrites before they leave (the generate_videos call -> its request)


def uploaded(fake: FakeServer, client) -> None:
    """ComfyUI: the first frame in the server's input folder, under the name the bodies are filled with."""
    if fake.provider == "comfyui":
        r = client.post(fake.origin + "/upload/image", files={"image": (IMAGE_FOR["comfyui"], media.png(), "image/png")},
                        data={"type": "input", "overwrite": "true"})
        assert r.json()["name"] == IMAGE_FOR["comfyui"]


def headers(fake: FakeServer) -> dict[str, str]:
    return {"freepik": {"x-freepik-api-key": fake.key}, "bfl": {"x-key": fake.key},
            "kling": {"Authorization": f"Bearer {getattr(fake, 'token', lambda: '')()}"},
            "runway": {"Authorization": f"Bearer {fake.key}", "X-Runway-Version": "2024-11-06"},
            "fal": {"Authorization": f"Key {fake.key}"},
            "gemini": {"x-goog-api-key": fake.key},
            "comfyui": {}}.get(fake.provider, {"Authorization": f"Bearer {fake.key}"})


def fill(value: Any, image: str) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, image) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, image) for v in value]
    if isinstance(value, str) and value.startswith(("@job:", "@last-frame:")):
        return image
    return value


def accepted(fake: FakeServer, resp) -> bool:
    if not resp.is_success:
        return False
    body = resp.json()
    return not (isinstance(body, dict) and (body.get("base_resp") or {}).get("status_code", 0) != 0)


CALLED_BY_ADAPTER = {"gemini-image"}  # the body is the call's data; the adapter's SDK client speaks the wire format


def through_adapter(fake: FakeServer, target: str, body: Any) -> bool:
    """Send a body the way `filmc run` does: the provider's real adapter (and its SDK client) against the fake."""
    from compiler.jobs.providers import make_provider
    from compiler.jobs.providers.base import ProviderError
    from compiler.targets import builtin_targets

    spec = builtin_targets()[target].providers[fake.provider].spec
    try:
        asyncio.run(make_provider(fake.provider, spec, fake.env()).create(None, "POST", "", body))  # type: ignore[arg-type]
    except ProviderError:
        return False
    return True


def send(fake: FakeServer, client, method: str, url: str, body: Any):
    parts = urlsplit(url)
    if fake.provider in WIRE and not placeholders(body):
        body = WIRE[fake.provider](body)
    return client.request(method, fake.origin + parts.path + (f"?{parts.query}" if parts.query else ""), json=body)


@pytest.fixture(scope="module")
def plan():
    return expand_production(resolve_film(EXAMPLE), targets=ALL)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> list[dict[str, Any]]:
    from tests.conftest import run_cli

    film = tmp_path_factory.mktemp("film") / "lighthouse-keeper"
    shutil.copytree(EXAMPLE, film, ignore=shutil.ignore_patterns("build", "*.py"))
    run = run_cli(["build", str(film)])
    assert run.exit_code == 0, run.stderr
    jobs = []
    for path in sorted((film / "build" / "jobs").glob("*.jsonl")):
        jobs += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return jobs


def test_every_built_job_is_accepted(built):
    assert built and {j["provider"] for j in built} <= set(FAKES)
    for provider in sorted({j["provider"] for j in built}):
        mine = [j for j in built if j["provider"] == provider]
        with FAKES[provider](steps=0) as fake, new_client(headers=headers(fake)) as c:
            uploaded(fake, c)
            for job in mine:
                body = fill(job["body"], IMAGE_FOR.get(provider, PNG64))
                r = send(fake, c, job["method"], job["url"], body)
                assert accepted(fake, r), (job["job"], r.status_code, r.text[:500])
            assert fake.create_count == len(mine)
            for job in mine:
                assert fake.creates_for(fill(job["body"], IMAGE_FOR.get(provider, PNG64))) >= 1


def test_unfilled_placeholders_are_refused(built):
    waiting = [j for j in built if placeholders(j["body"])]
    assert waiting  # the video jobs wait for their first frame
    for provider in sorted({j["provider"] for j in waiting}):
        with FAKES[provider]() as fake, new_client(headers=headers(fake)) as c:
            for job in [j for j in waiting if j["provider"] == provider][:3]:
                r = send(fake, c, job["method"], job["url"], job["body"])
                assert not accepted(fake, r), job["job"]
            assert fake.create_count == 0


@pytest.mark.parametrize(("target", "provider"), PROVIDERS, ids=[f"{t}.{p}" for t, p in PROVIDERS])
def test_every_provider_body_is_accepted(plan, target: str, provider: str):
    with FAKES[provider](steps=0) as fake, new_client(headers=headers(fake)) as c:
        uploaded(fake, c)
        n = 0
        for shot in plan.shots:
            jobs = compile_shot(plan.prod, target, shot.id, provider=provider,
                                options=plan.contexts[(shot.id, target)]["options"]).jobs
            for job in jobs:
                method, url, body = job.method, job.url, fill(job.body, IMAGE_FOR.get(provider, PNG64))
                if provider in CALLED_BY_ADAPTER:
                    assert through_adapter(fake, target, body), job.job
                    n += 1
                    continue
                r = send(fake, c, method, url, body)
                assert accepted(fake, r), (job.job, r.status_code, r.text[:500])
                n += 1
        assert n and fake.create_count == n

