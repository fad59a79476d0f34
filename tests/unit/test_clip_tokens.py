"""CLIP windows for ComfyUI/SDXL and the word budget of Midjourney: the token estimate against known
tokenizer counts, the packing of phrases into windows, and what the compiled prompts and requests carry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.expand import clip_tokens as ct

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "prompts" / "film.yaml"

# Token counts of the real CLIP BPE tokenizer (bpe_simple_vocab_16e6, start and end tokens not counted).
KNOWN = [
    ("a cat", 2),
    ("lighthouse", 1),
    ("weatherbeaten", 2),
    ("unhurried", 3),
    ("a tall, lean man in his late sixties with a slight stoop", 14),
    ("navy cable-knit fisherman's sweater", 7),
    ("35mm film grain", 5),
    ("brass barometer, deep-set window streaming with rain", 11),
    ("cinematic, realistic, quiet and intimate", 7),
    ("lowres, blurry, jpeg artifacts, deformed hands, extra fingers", 15),
    ("bleached bone white, wet sand grey and kelp brown", 12),
    ("a wiry woman in her fifties with a grey-streaked black bob cut level with her jaw", 21),
    ("overcast dusk then black night, the lamp beam as the only hard light", 14),
    ("thinning white hair combed straight back, a close-trimmed white beard, heavy white eyebrows over deep-set "
     "pale grey eyes, a wind-burnt face creased at the eyes, a crooked nose once broken", 43),
]


@pytest.mark.parametrize(("text", "real"), KNOWN)
def test_the_estimate_is_never_under_the_tokenizer(text: str, real: int) -> None:
    assert real <= ct.count(text) <= 2 * real + 2


def test_the_estimate_is_within_half_again_on_average() -> None:
    ratio = sum(ct.count(t) for t, _ in KNOWN) / sum(n for _, n in KNOWN)
    assert 1.0 <= ratio <= 1.5


def test_weights_cost_only_their_words() -> None:
    assert ct.count("(close-up shot:1.2)") == ct.count("close-up shot")
    assert ct.count("((lamp))") == ct.count("lamp")


def test_pack_keeps_order_and_windows() -> None:
    phrases = [f"phrase number {i} with several words in it" for i in range(30)]
    chunks, dropped = ct.pack(phrases, tokens=75, chunks=2)
    assert len(chunks) == 2 and all(ct.count(c) <= 75 for c in chunks)
    kept = ", ".join(chunks).split(", ")
    assert kept == phrases[:len(kept)] and dropped == phrases[len(kept):]


def test_a_long_phrase_is_cut_after_its_commas_and_reads_back_whole() -> None:
    desc = KNOWN[-1][0] + "; broad shoulders gone bony, large scarred hands with swollen knuckles, long legs"
    chunks, dropped = ct.pack(["(medium shot:1.2)", desc * 1], tokens=30, chunks=6)
    assert dropped == [] and all(ct.count(c) <= 30 for c in chunks)
    assert ", ".join(chunks) == "(medium shot:1.2), " + desc.replace(";", ",")


def test_fit_words() -> None:
    assert ct.fit_words(["one two", "three four five", "six"], 3) == (["one two", "six"], ["three four five"])


@pytest.fixture(scope="module")
def corpus_plan():
    from compiler.expand import expand_production
    from compiler.loading import resolve_film

    return expand_production(resolve_film(CORPUS), targets=["comfyui", "midjourney"])


def test_comfyui_windows_and_request_graph(corpus_plan) -> None:
    multi = [p for p in corpus_plan.prompts if p.target == "comfyui" and " BREAK " in p.text]
    assert multi, "the corpus has shots that need more than one window"
    for p in corpus_plan.prompts:
        if p.target != "comfyui":
            continue
        windows = p.text.split(" BREAK ")
        assert all(ct.count(w) <= 75 for w in windows) and len(windows) <= 8
        assert ct.count(p.negative or "") <= 75
        graph = next(j for j in corpus_plan.jobs if j.shot == p.shot and j.target == "comfyui").body["prompt"]
        texts = {n["_meta"]["title"]: n["inputs"].get("text") for n in graph.values()}
        assert [texts["positive"], *(texts[f"positive {k}"] for k in range(2, len(windows) + 1))] == windows
        concats = [k for k, n in graph.items() if n["class_type"] == "ConditioningConcat"]
        assert len(concats) == len(windows) - 1
        ks = next(n for n in graph.values() if n["class_type"] == "KSampler")
        assert ks["inputs"]["positive"] == ([max(concats, key=int), 0] if concats else ["6", 0])


def test_comfyui_leads_with_framing_and_who(corpus_plan) -> None:
    p = corpus_plan.prompt("p03", "comfyui")
    first = p.text.split(" BREAK ")[0]
    assert first.startswith("(eye-level medium-wide shot:1.2), (wiry woman, unlocking")  # by appearance, not role


def test_midjourney_is_short_and_carries_its_parameters(corpus_plan) -> None:
    for p in corpus_plan.prompts:
        if p.target != "midjourney":
            continue
        text, _, params = p.text.partition(" --")
        assert len(text.split()) <= 60
        assert "--ar 16:9" in p.text and ";" not in p.text
    p = corpus_plan.prompt("p03", "midjourney")
    assert p.text.startswith("a wiry woman in her fifties")
    assert re.search(r" --no text, watermark", p.text)


def test_lint_names_what_was_left_out(corpus_plan) -> None:
    from compiler.expand.lint import lint_plan

    found = [d for d in lint_plan(corpus_plan) if d.code == "P421"]
    assert found and all(d.severity == "warning" for d in found)
    assert any("midjourney" in d.message for d in found)


def test_a_workflow_without_window_nodes_gets_the_rest_appended_and_a_warning(tmp_path: Path) -> None:
    import json

    import yaml

    from compiler.expand import expand_production
    from compiler.expand.lint import lint_plan
    from compiler.loading import resolve_film

    film = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    film["targets"]["options"] = {"comfyui": {"workflow": "wf.json"}}
    (tmp_path / "film.yaml").write_text(yaml.safe_dump(film, sort_keys=False), encoding="utf-8")
    graph = {"1": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": {"title": "positive"}},
             "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": {"title": "negative"}}}
    (tmp_path / "wf.json").write_text(json.dumps(graph), encoding="utf-8")
    plan = expand_production(resolve_film(tmp_path / "film.yaml"), targets=["comfyui"], select="p03")
    p = plan.prompt("p03", "comfyui")
    assert " BREAK " in p.text
    sent = plan.jobs[0].body["prompt"]["1"]["inputs"]["text"]
    assert "BREAK" not in sent and sent == p.text.replace(" BREAK ", ", ")
    assert [d.code for d in lint_plan(plan) if d.code == "P422"] == ["P422"]
    graph["3"] = {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": {"title": "positive 2"}}
    (tmp_path / "wf.json").write_text(json.dumps(graph), encoding="utf-8")
    plan = expand_production(resolve_film(tmp_path / "film.yaml"), targets=["comfyui"], select="p03")
    windows = plan.prompt("p03", "comfyui").text.split(" BREAK ")
    body = plan.jobs[0].body["prompt"]
    assert body["1"]["inputs"]["text"] == windows[0] and body["3"]["inputs"]["text"] == ", ".join(windows[1:])
