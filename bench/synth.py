"""Synthetic films of N shots, for benchmarks (`python bench/synth.py 2000 > film.yaml`)."""

from __future__ import annotations

import sys

CAMERAS = ["static", "slow push-in", "pan-left", "tracking", "orbit-right", "fast dolly-out", "crane-up"]
SIZES = ["EWS", "WS", "MWS", "MS", "MCU", "CU", "ECU"]
ANGLES = ["eye-level", "low", "high", "dutch", "overhead"]


def synth_film(n_shots: int, shots_per_section: int = 10, shot_seconds: float = 4.0) -> str:
    n_sections = max(1, (n_shots + shots_per_section - 1) // shots_per_section)
    out = [
        "version: 1",
        f'film: {{title: "Synthetic {n_shots}", aspect: "16:9", fps: 24}}',
        "song:",
        f"  duration: {n_shots * shot_seconds:g}",
        "  bpm: 120",
        "  sections:",
    ]
    for k in range(n_sections):
        start = k * shots_per_section * shot_seconds
        out.append(f"    - id: sec{k:04d}")
        out.append(f"      tag: {'Verse' if k % 2 else 'Chorus'}")
        out.append(f"      start: {start:g}")
        out.append(f"      world: {'day' if k % 3 else 'night'}")
        out.append("      lyrics: |")
        out.append(f"        a line of section {k} about the sea")
        out.append(f"        another line of section {k} about the shore")
    out += [
        "concept:",
        "  style: [cinematic, realistic, 35mm film]",
        "  palette: cold blues",
        "  lighting: low sun",
        "  avoid: [text, watermark, extra fingers]",
        "  worlds:",
        "    day: {palette: pale sand and grey sea, lighting: overcast}",
        "    night: {palette: deep blue, lighting: moonlight}",
        "characters:",
        "  keeper:",
        "    name: Ines",
        "    description: a woman in her sixties with cropped silver hair and a weathered face",
        "    wardrobe: {default: a grey wool coat, night: a yellow oilskin}",
        "  boy:",
        "    description: a boy of ten with a shaved head and a scar on his chin",
        "    wardrobe: a red hoodie",
        "locations:",
        "  cliff: {slug: EXT. CLIFF - DAY, description: a grassy cliff above a grey sea}",
        "  shack: {slug: INT. SHACK - NIGHT, description: a cramped shack full of radios}",
        "targets: {image: [mystic, flux], video: [kling, runway]}",
        "shots:",
    ]
    for i in range(n_shots):
        sec = i // shots_per_section
        out.append(f"  - id: s{i:05d}")
        out.append(f"    section: sec{sec:04d}")
        if i % 3 == 0:
            out.append(f"    duration: {shot_seconds:g}")
        out.append(f"    size: {SIZES[i % len(SIZES)]}")
        out.append(f"    angle: {ANGLES[i % len(ANGLES)]}")
        out.append(f"    camera: {CAMERAS[i % len(CAMERAS)]}")
        out.append(f"    location: {'cliff' if i % 2 else 'shack'}")
        out.append("    time: dusk, light rain")
        if i % 4 == 3:
            out.append(f"    subject: waves breaking on rocks, shot {i}")
        else:
            who = "keeper" if i % 2 else "boy"
            out.append(f"    cast: [{{id: {who}, action: looking out to sea {i}, expression: calm, motion: turns slowly to face wave {i}}}]")
        out.append(f"    background_motion: gulls wheel overhead, {i} of them")
        out.append("    mood: [quiet, tense]")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(synth_film(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
