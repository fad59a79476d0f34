"""A film with its own targets (several price entries, USD and EUR, unknown prices) for the job tests."""

from __future__ import annotations

from pathlib import Path

from ..conftest import CASES

MOVES = ", ".join(f"{m}: {m.replace('-', ' ')}" for m in (
    "static push-in pull-out zoom-in zoom-out pan-left pan-right tilt-up tilt-down dolly-in dolly-out truck-left "
    "truck-right tracking crane-up crane-down orbit-left orbit-right handheld").split())

PROVIDER = """
    base_url: https://{name}.example
    submit: {{method: POST, path: /v1/make}}
    poll: {{method: GET, path: "/v1/tasks/{{task_id}}"}}
    auth: {{scheme: header, header: x-key, env: {env}}}
    task_id: {{path: id}}
    status: {{path: status, done: [done], failed: [failed]}}
    result: {{path: url}}
    duration_type: integer"""

CLIPPER = """name: clipper
kind: video
title: Clipper
description: a video target of this film
capabilities:
  durations: [5, 10]
  aspects: {"16:9": "16:9"}
  prompt_max_chars: null
  negative_prompt: false
  reference_images: false
  camera_style: words
  camera: {""" + MOVES + """}
options:
  type: object
  additionalProperties: false
  properties:
    model: {type: string, enum: [fast, best, best-2], default: fast, description: the model}
    resolution: {type: string, enum: [720p, 1080p], default: 720p, description: size}
defaults: {model: fast}
providers:
  acme:""" + PROVIDER.format(name="acme", env="ACME_KEY") + """
  euro:""" + PROVIDER.format(name="euro", env="EURO_KEY") + """
prices:
  - {provider: acme, unit: second, amount: 0.02, currency: USD, date: "2026-01", source: acme list, confidence: V}
  - {provider: acme, unit: generation, amount: 0.30, currency: USD, date: undated, source: acme blog, confidence: V-3p, when: {model: fast, duration: 5}}
  - {provider: acme, unit: second, amount: 0.05, currency: USD, date: "2026-02-03", source: acme list, confidence: V, when: {model: [best, best-2]}}
  - {provider: euro, unit: generation, amount: 0.20, currency: EUR, date: undated, source: euro page, confidence: I, when: {resolution: 1080p}}
"""

STILLS = """name: stills
kind: image
title: Stills
description: an image target of this film
capabilities:
  aspects: {"16:9": "16:9"}
  prompt_max_chars: null
  negative_prompt: false
  reference_images: false
  camera_style: none
options:
  type: object
  additionalProperties: false
  properties:
    model: {type: string, enum: [basic, pro], default: basic, description: the model}
defaults: {}
providers:
  acme:""" + PROVIDER.format(name="acme", env="ACME_KEY").replace("    duration_type: integer", "") + """
prices:
  - {provider: acme, unit: image, amount: 0.04, currency: EUR, date: undated, source: acme list, confidence: V, when: {model: pro}}
"""

REQUESTS = {
    "clipper/request.acme.json.j2": '{"prompt": {{ prompt.text | json }}, "model": {{ options.model | json }}, '
                                    '"duration": {{ duration | json }}}',
    "clipper/request.euro.json.j2": '{"prompt": {{ prompt.text | json }}, "resolution": {{ options.resolution | json }}}',
    "stills/request.acme.json.j2": '{"prompt": {{ prompt.text | json }}{% if "model" in options %}, '
                                   '"model": {{ options.model | json }}{% endif %}}',
}


def user_film(root: Path) -> Path:
    """s01 intro 10 s, s02 4 s, s03 6 s, s04 10 s; keep_rate 0.25; targets stills (image) and clipper (video)."""
    text = (CASES / "base.yaml").read_text()
    text = text.replace('film: {title: Case Film, aspect: "16:9"}', 'film: {title: Case Film, aspect: "16:9", keep_rate: 0.25}')
    text = text.replace("targets: {image: [mystic], video: [kling]}", "targets: {image: [stills], video: [clipper]}")
    text = text.replace("    subject: a radio glowing in the dark\n",
                        "    subject: a radio glowing in the dark\n    generate: {stills: {model: pro}}\n")
    text = text.replace("    size: CU\n", "    size: CU\n    generate: {clipper: {model: best-2}}\n")
    text = text.replace("    camera: orbit-left\n", "    camera: orbit-left\n"
                        "    generate: {clipper: {provider: euro, resolution: 1080p}}\n")
    (root / "film.yaml").write_text(text)
    for name, body in (("clipper", CLIPPER), ("stills", STILLS)):
        folder = root / "targets" / name
        folder.mkdir(parents=True)
        (folder / "target.yaml").write_text(body)
        (folder / "prompt.j2").write_text("{{ shot.subject or 'a person in a shack' }}")
    for rel, body in REQUESTS.items():
        (root / "targets" / rel).write_text(body)
    return root
