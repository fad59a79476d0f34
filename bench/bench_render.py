"""Benchmark: the animatic of a 3-minute, 40-shot film at 1280x720, 24 fps.

Prints wall times, side by side:
  floor    ffmpeg encoding a plain colour source of the same length and size, with the same
           encoder settings (and the same song encoded), measured in the same run
  filmc    `filmc render --animatic` (slates, fades, dissolves, title cards, the song)
  moviepy  MoviePy assembling the same slates, fades and dissolves (if installed; bench only)

    python bench/bench_render.py [--shots 40] [--seconds 180] [--size 1280x720] [--fps 24] [--repeat 1]

Targets: filmc within 1.5x the floor; at least 3x faster than MoviePy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from compiler.probe import ffmpeg_exe  # noqa: E402

SECTIONS = ("intro", "verse1", "chorus1", "verse2", "chorus2", "bridge", "chorus3", "outro")
MOVES = ("static", "slow push-in", "pan-left", "tracking", "handheld", "crane-up", "pull-out", "tilt-down")


def synth_film(shots: int, seconds: float, size: tuple[int, int], fps: float) -> str:
    n_sec = min(len(SECTIONS), shots)
    step = seconds / n_sec
    lines = ["version: 1",
             f'film: {{title: "Bench Film", resolution: [{size[0]}, {size[1]}], fps: {fps:g}}}',
             "song:", "  audio: song.wav", "  sections:"]
    for i in range(n_sec):
        lines.append(f"    - id: {SECTIONS[i]}")
        lines.append(f"      start: {i * step:.3f}")
        lines.append(f"      lyrics: \"a line sung in {SECTIONS[i]}\\nanother line of {SECTIONS[i]}\"")
    lines.append("shots:")
    per = [shots // n_sec + (1 if i < shots % n_sec else 0) for i in range(n_sec)]
    k = 0
    for i, count in enumerate(per):
        for j in range(count):
            k += 1
            tr = ""
            if k == 1:
                tr = ", transition: {in: fade, duration: 1}"
            elif j == 0 and i % 2 == 0:
                tr = ", transition: {in: dissolve, duration: 0.5}"
            elif k == shots:
                tr = ", transition: {out: fade, duration: 1}"
            lines.append(f"  - {{id: s{k:02d}, section: {SECTIONS[i]}, size: MS, angle: eye-level, "
                         f"camera: {MOVES[k % len(MOVES)]}, subject: 'shot {k}: the keeper climbs the stair "
                         f"with a lamp in his hand'{tr}}}")
    lines += ["edit:", "  cards:",
              "    - {text: 'For every keeper of every light.', at: start, duration: 3}",
              "    - {text: 'The end.', at: end, duration: 3}",
              "  subtitles: none", "  output: {crf: 20}"]
    return "\n".join(lines) + "\n"


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-moviepy", action="store_true")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.lower().split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-render-"))
    ff = ffmpeg_exe()
    subprocess.run([ff, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=220:sample_rate=48000:duration={args.seconds}", "-ac", "2",
                    str(tmp / "song.wav")], check=True)
    (tmp / "film.yaml").write_text(synth_film(args.shots, args.seconds, (w, h), args.fps))

    from compiler.edit import plan_edit, render_plan
    from compiler.edit.graph import Paths, build_graph
    from compiler.loading import resolve_film

    prod = resolve_film(tmp)
    plan = plan_edit(prod, animatic=True)
    encode = build_graph(plan, Paths(media=str, text=str, font="f", bold="f")).encode
    # the floor: a colour source of the same length and size, the same encoder settings, the same song
    floor_args = [ff, "-hide_banner", "-loglevel", "error", "-y",
                  "-f", "lavfi", "-i", f"color=c=0x2e4a62:s={w}x{h}:r={plan.rate}:d={plan.duration}",
                  "-i", str(tmp / "song.wav"), "-filter_complex",
                  f"[0:v]format=yuv420p[vout];[1:a]apad=whole_dur={plan.duration}[aout]",
                  *encode, "-t", f"{plan.duration}", "-f", "mp4", str(tmp / "floor.mp4")]
    floor = min(timed(lambda: subprocess.run(floor_args, check=True)) for _ in range(args.repeat))

    def ours() -> None:
        p = plan_edit(resolve_film(tmp), animatic=True)
        render_plan(p, tmp / "animatic.mp4")

    filmc = min(timed(ours) for _ in range(args.repeat))
    print(f"film: {args.shots} shots, {plan.duration:.1f} s (title cards included), {w}x{h} at {args.fps:g} fps; "
          f"encoder: {' '.join(encode[4:12])}")
    print(f"floor   ffmpeg, plain colour source        {floor:7.2f} s")
    print(f"filmc   render --animatic                  {filmc:7.2f} s   ratio {filmc / floor:5.2f}x  (target <= 1.5x)")
    if args.no_moviepy:
        return
    try:
        import moviepy  # noqa: F401
    except ImportError:
        print("moviepy not installed: pip install moviepy")
        return
    mp = timed(lambda: moviepy_animatic(plan, tmp / "song.wav", tmp / "moviepy.mp4"))
    print(f"moviepy same slates, fades and dissolves  {mp:7.2f} s   filmc is {mp / filmc:5.1f}x faster  "
          "(target >= 3x)")


def moviepy_animatic(plan, song: Path, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The same animatic with MoviePy 2: a colour clip and text per slate and card, fades, crossfades, the song."""
    from moviepy import AudioFileClip, ColorClip, CompositeVideoClip, TextClip, concatenate_videoclips, vfx

    from compiler.edit.text import font_file

    font = str(font_file())
    w, h = plan.width, plan.height
    clips = []
    for c in plan.clips:
        dur = c.frames / plan.fps
        rgb = tuple(int(c.color[2:][i:i + 2], 16) for i in (0, 2, 4))
        bg = ColorClip((w, h), color=rgb, duration=dur)
        if c.kind == "card":
            txt = TextClip(font=font, text=c.text, font_size=int(h * 0.06), color="white", duration=dur)
            layers = [bg, txt.with_position("center")]
        else:
            st = c.slate
            layers = [bg,
                      TextClip(font=font, text=st.title, font_size=int(h * 0.11), color="white",
                               duration=dur).with_position((int(h * 0.06), int(h * 0.06))),
                      TextClip(font=font, text=st.meta + "\n" + st.framing + "\n" + st.body, font_size=int(h * 0.042),
                               color="white", duration=dur).with_position((int(h * 0.06), int(h * 0.25)))]
        clip = CompositeVideoClip(layers, size=(w, h)).with_duration(dur)
        effects = []
        if c.fade_in:
            effects.append(vfx.FadeIn(c.fade_in / plan.fps))
        if c.fade_out:
            effects.append(vfx.FadeOut(c.fade_out / plan.fps))
        if c.dissolve_in:
            effects.append(vfx.CrossFadeIn(c.dissolve_in / plan.fps))
        clips.append(clip.with_effects(effects) if effects else clip)
    # crossfades: overlap each dissolving clip with the one before by its dissolve length
    padding = [0] + [-(c.dissolve_in / plan.fps) for c in plan.clips[1:]]
    video = concatenate_videoclips(clips, method="compose", padding=0) if not any(padding) else \
        _overlap(clips, padding, w, h)
    audio = AudioFileClip(str(song)).with_start(plan.audio.delay)
    from moviepy import CompositeAudioClip

    video = video.with_audio(CompositeAudioClip([audio]).with_duration(video.duration))
    video.write_videofile(str(out), fps=plan.fps, codec="libx264", preset="veryfast", audio_codec="aac",
                          audio_bitrate="192k", ffmpeg_params=["-crf", str(plan.crf), "-pix_fmt", "yuv420p"],
                          logger=None)


def _overlap(clips, padding, w, h):  # type: ignore[no-untyped-def]
    from moviepy import CompositeVideoClip

    t = 0.0
    placed = []
    for clip, pad in zip(clips, padding):
        t += pad
        placed.append(clip.with_start(t))
        t += clip.duration
    return CompositeVideoClip(placed, size=(w, h))


if __name__ == "__main__":
    main()
