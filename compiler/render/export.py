"""export: the edit as an editor timeline (OpenTimelineIO for DaVinci Resolve, FCP7 XML for Premiere).

One video clip per shot, named after the shot id, with its take, its first-frame image or
a slate still (rendered to PNG beside the timeline); title cards as stills too; dissolves
as transitions; the song on an audio track after the title cards; one marker per section.
opentimelineio (and the FCP7 adapter, otio-fcp-adapter) are imported only here.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import FilmcError
from ..fsutil import write_atomic
from ..probe import ProbeError, ffmpeg_exe
from ..resolve import Production
from .interrupt import interruptible
from .plan import Clip, EditPlan
from .slates import card_chain, slate_chain
from .stale import sweep, temp_prefix
from .text import FontMissing, font_file

MARKER_COLORS = ("BLUE", "PURPLE", "GREEN", "ORANGE", "CYAN", "RED", "MAGENTA", "YELLOW")


class ExportError(FilmcError):
    def __init__(self, message: str, log: list[str] | None = None):
        super().__init__(message)
        self.log = log or []


def _stills(plan: EditPlan, clips: list[Clip], folder: Path) -> dict[str, Path]:
    """PNG stills of slates and cards, in one ffmpeg run."""
    if not clips:
        return {}
    try:
        font, bold = str(font_file()), str(font_file(bold=True))
        exe = ffmpeg_exe()
    except (FontMissing, ProbeError) as e:
        raise ExportError(str(e)) from None
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    sweep()
    with interruptible(), tempfile.TemporaryDirectory(prefix=temp_prefix("export")) as work:
        wdir = Path(work)
        (wdir / "text").mkdir()

        def sink(key: str, text: str) -> str:
            p = wdir / "text" / f"{key}.txt"
            p.write_text(text, encoding="utf-8", newline="\n")
            return str(p)

        lines, args = [], []
        for i, clip in enumerate(clips):
            one = replace(clip, start=0, end=1, pre=0, post=0, fade_in=0, fade_out=0)
            key = f"{i + 1:03d}"
            chain = (card_chain(plan, one, sink, font, key) if clip.source == "card"
                     else slate_chain(plan, one, sink, font, bold, key))
            lines.append(",".join([*chain, "format=rgb24"]) + f"[s{i + 1}]")
            path = folder / f"{clip.id}.png"
            args += ["-map", f"[s{i + 1}]", "-frames:v", "1", "-update", "1", "file:" + str(path)]
            out[clip.id] = path
        graph = wdir / "stills.txt"
        graph.write_text(";\n".join(lines) + "\n", encoding="utf-8")
        proc = subprocess.run([exe, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
                               "-/filter_complex", str(graph), *args], capture_output=True, text=True, errors="replace")
        if proc.returncode != 0:
            log = proc.stderr.splitlines()
            raise ExportError(f"ffmpeg could not draw the slates: {log[-1] if log else 'no message'}", log)
    return out


def _meta(clip: Clip, fps: float) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": clip.source, "kind": clip.kind}
    if clip.kind == "shot":
        meta.update(section=clip.section, number=clip.number, song_start=clip.song_start, song_end=clip.song_end)
    else:
        meta["text"] = clip.text
    if clip.fade_in:
        meta["fade_in"] = round(clip.fade_in / fps, 6)
    if clip.fade_out:
        meta["fade_out"] = round(clip.fade_out / fps, 6)
    return meta


def _pieces(clip: Clip, fps: float, frames: list[int] | None) -> list[tuple[Path, int, int, int]]:
    """An extended shot at normal speed as consecutive pieces of its segments' takes: (file, first frame used in
    it, frames on the timeline, frames the file offers, handles included). Empty: one clip, as for any shot."""
    if not clip.segments or clip.media is None or clip.speed != 1.0 or clip.reverse or not frames:
        return []
    files = [clip.media, *clip.segments]
    lo = round(clip.trim_in * fps) + clip.pre  # the shot's first frame on screen, in the segments joined
    hi = lo + clip.nominal
    out: list[tuple[Path, int, int, int]] = []
    at = 0
    for k, (path, n) in enumerate(zip(files, frames)):
        end = at + n if k < len(files) - 1 else max(at + n, hi)  # the last one's last frame is held past its end
        first, last = max(lo, at), min(hi, end)
        if last > first:
            out.append((path, first - at, last - first, max(n, last - at)))
        at = end
    if out:  # the dissolve out of the shot shows `post` frames after the last piece
        path, start, length, avail = out[-1]
        out[-1] = (path, start, length, max(avail, start + length + clip.post + 1))
    return out


def build_timeline(prod: Production, plan: EditPlan, stills: dict[str, Path],
                   segment_frames: dict[str, list[int]] | None = None) -> Any:
    """The timeline; `segment_frames`: per extended shot, the frames of each segment's take (segment 1 first)."""
    import opentimelineio as otio

    fps = plan.fps

    def rt(frames: float) -> Any:
        return otio.opentime.RationalTime(frames, fps)

    def rng(start: float, frames: float) -> Any:
        return otio.opentime.TimeRange(rt(start), rt(frames))

    tl = otio.schema.Timeline(name=plan.title)
    tl.global_start_time = rt(0)
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    clips = plan.clips
    for i, clip in enumerate(clips):
        if clip.dissolve_in:
            prev = clips[i - 1]
            video.append(otio.schema.Transition(
                name=f"dissolve {prev.id} > {clip.id}", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=rt(clip.pre), out_offset=rt(prev.post)))
        pieces = _pieces(clip, fps, segment_frames.get(clip.id) if segment_frames else None)
        if pieces:  # an extended shot: its segments' takes one after another, a clip each
            for k, (path, offset, length, avail) in enumerate(pieces):
                ref = otio.schema.ExternalReference(target_url=Path(os.path.abspath(path)).as_uri(),
                                                    available_range=rng(0, avail))
                ref.name = path.name
                item = otio.schema.Clip(name=clip.id if k == 0 else f"{clip.id} segment {k + 1}",
                                        media_reference=ref, source_range=rng(offset, length))
                item.metadata["filmc"] = _meta(clip, fps) | {"segment": k + 1}
                video.append(item)
            continue
        if clip.source in ("take", "image") and clip.media is not None:
            path = clip.media
            start = round(clip.trim_in * fps) if clip.source == "take" else 0
        else:
            path = stills[clip.id]
            start = 0
        # the media must cover the clip plus the handles its dissolves use
        avail = start + clip.frames + clip.pre + 1
        ref = otio.schema.ExternalReference(target_url=Path(os.path.abspath(path)).as_uri(),
                                            available_range=rng(0, avail))
        ref.name = path.name
        item = otio.schema.Clip(name=clip.id, media_reference=ref, source_range=rng(start + clip.pre, clip.nominal))
        meta = _meta(clip, fps)
        if clip.segments:  # played reversed or at another speed: the segments are listed, not laid out
            meta["segments"] = list(clip.segments_rel)
        if clip.source == "take" and (clip.speed != 1.0 or clip.reverse):
            meta.update(speed=clip.speed, reverse=clip.reverse)
            item.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=-clip.speed if clip.reverse
                                                           else clip.speed))
        item.metadata["filmc"] = meta
        video.append(item)
    # make the track exactly as long as the film (clips are frame-exact, this only guards rounding)
    tracks_len = sum(c.nominal for c in clips)
    if tracks_len < plan.frames:
        video.append(otio.schema.Gap(source_range=rng(0, plan.frames - tracks_len)))
    tl.tracks.append(video)

    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    if plan.audio.path is not None:
        lead = round(prod.preroll * fps)
        if lead:
            audio.append(otio.schema.Gap(source_range=rng(0, lead)))
        song_frames = round(prod.song_duration * fps)
        ref = otio.schema.ExternalReference(target_url=Path(os.path.abspath(plan.audio.path)).as_uri(),
                                            available_range=rng(0, song_frames))
        ref.name = plan.audio.path.name
        audio.append(otio.schema.Clip(name="song", media_reference=ref, source_range=rng(0, song_frames)))
    tl.tracks.append(audio)

    for i, sec in enumerate(prod.sections):
        name = sec.section.id + (f" [{sec.section.tag}]" if sec.section.tag else "")
        marker = otio.schema.Marker(name=name, marked_range=rng(round((prod.preroll + sec.start) * fps),
                                                                   round((sec.end - sec.start) * fps)),
                                    color=getattr(otio.schema.MarkerColor, MARKER_COLORS[i % len(MARKER_COLORS)]))
        marker.metadata["filmc"] = {"section": sec.section.id, "tag": sec.section.tag, "world": sec.section.world}
        tl.tracks.markers.append(marker)
    for ov in plan.overlays:
        if ov.kind == "card":
            m = otio.schema.Marker(name=f"card: {ov.text}", marked_range=rng(round(ov.start * fps),
                                                                              round((ov.end - ov.start) * fps)),
                                   color=otio.schema.MarkerColor.WHITE)
            tl.tracks.markers.append(m)
    tl.metadata["filmc"] = {"fps": fps, "width": plan.width, "height": plan.height,
                            "subtitles": plan.subtitles}
    return tl


def _segment_frames(plan: EditPlan) -> dict[str, list[int]]:
    """The frames of each segment's take of the extended shots (from the files' headers)."""
    from .media import probe_media

    out: dict[str, list[int]] = {}
    for clip in plan.clips:
        if clip.segments and clip.media is not None:
            lengths = [probe_media(p).duration for p in (clip.media, *clip.segments)]
            if all(d is not None for d in lengths):
                out[clip.id] = [round((d or 0.0) * plan.fps) for d in lengths]
    return out


def export_timeline(prod: Production, plan: EditPlan, output: Path, fmt: str) -> int:
    """Write the timeline as `fmt` (otio | fcp7) to `output`, stills into slates/ beside it; returns clip count."""
    try:
        import opentimelineio as otio
    except ImportError:
        raise ExportError("exporting timelines needs opentimelineio: pip install opentimelineio") from None
    needs_still = [c for c in plan.clips if c.source in ("slate", "card")]
    stills = _stills(plan, needs_still, output.parent / "slates")
    tl = build_timeline(prod, plan, stills, _segment_frames(plan))
    if fmt == "fcp7":
        if "fcp_xml" not in otio.adapters.available_adapter_names():
            raise ExportError("FCP7 XML needs the adapter: pip install otio-fcp-adapter")
        try:
            text = otio.adapters.write_to_string(tl, adapter_name="fcp_xml")
        except ValueError as e:
            if "rate" not in str(e):
                raise
            raise ExportError(f"FCP7 XML needs a standard frame rate (23.976, 24, 25, 29.97, 30, 50, 59.94, 60); "
                              f"this film is at {plan.fps:g} fps") from None
    else:
        text = otio.adapters.write_to_string(tl, adapter_name="otio_json")
    write_atomic(output, text)
    return len(plan.clips)

