"""Quality checks of a take after generation, with ffmpeg: one full decode, bounded in time.

One ffmpeg run decodes every frame of the first picture stream to nothing, through `blackframe` (frames
that are at least 98 % near-black pixels) and, for video, `freezedetect` (stretches without change).
From its log and its progress report come the findings, each with a C5xx code (`filmc explain C511`):

    C510 not a regular file (missing, a folder, a FIFO: refused before ffmpeg opens it)
    C511 does not decode fully (unreadable, no picture, decoding errors, fewer frames than its header says)
    C512 shorter than needed          C513 aspect ratio not as asked     C514 lower resolution than asked
    C515 black                        C516 frozen                        C517 audio missing / unexpected
    C518 the check could not finish (ffmpeg did not end within the time allowed, or could not run)
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..plurals import plural

__all__ = ["BLACK_SHARE", "FROZEN_SHARE", "Expect", "Finding", "QCResult", "check_take", "expect_for_job"]

BLACK_SHARE = 0.9  # a take is black when this share of its frames is black
FROZEN_SHARE = 0.8  # a video is frozen when it does not change for this share of its length
FILTERS_IMAGE = "blackframe=amount=98:threshold=24"
FILTERS_VIDEO = FILTERS_IMAGE + ",freezedetect=n=-60dB:d=0.5"

_LEVEL = re.compile(r"^(?:\[[^\]]*@ 0x[0-9a-f]+\] )*\[(\w+)\] ?")
_DURATION = re.compile(r"^\s*Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #0:\d+.*?: (Video|Audio): (.*)$")
_SIZE = re.compile(r", (\d+)x(\d+)(?=[ ,\[]|$)")
_DAR = re.compile(r"DAR (\d+):(\d+)")
_FPS = re.compile(r", (\d+(?:\.\d+)?) (?:fps|tbr)")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")
_BLACK = re.compile(r"^frame:(\d+) pblack:\d+")
_FREEZE = re.compile(r"lavfi\.freezedetect\.freeze_(start|end): (\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Expect:
    """What a take should be. None: not checked."""

    kind: str = "video"  # image | video
    min_duration: float | None = None  # seconds the shot needs
    aspect: str | None = None  # "16:9"
    resolution: tuple[int, int] | None = None  # (width, height) asked
    audio: bool | None = None  # True: must have sound; False: must be silent
    aspect_tolerance: float = 0.03  # relative
    duration_tolerance: float = 0.1  # seconds


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: str = "error"  # error: the take is not usable as is; warning: usable, worth a look

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class QCResult:
    path: str
    ok: bool  # no error finding
    findings: tuple[Finding, ...] = ()
    frames: int | None = None  # frames decoded
    duration: float | None = None  # seconds decoded
    width: int | None = None
    height: int | None = None
    audio: bool | None = None  # has an audio stream

    def event(self) -> dict[str, Any]:
        """The fields of a ledger `qc` event."""
        return {"path": self.path, "ok": self.ok, "findings": [f.as_dict() for f in self.findings],
                "frames": self.frames, "duration": self.duration, "width": self.width, "height": self.height,
                "audio": self.audio}


def expect_for_job(job: Mapping[str, Any], kind: str, *, aspect: str | None = None,
                   needed: float | None = None, audio: bool | None = None) -> Expect:
    """Expectations for a runner take: a video lasts what the shot needs (else the generation length asked)."""
    length = needed if needed is not None else job.get("duration")
    return Expect(kind=kind, min_duration=float(length) if kind == "video" and length else None, aspect=aspect,
                  audio=audio)


@dataclass
class _Log:
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    dar: float | None = None
    fps: float | None = None
    video: bool = False
    audio: bool = False
    opened: bool = False
    errors: list[str] = field(default_factory=list)
    black: set[int] = field(default_factory=set)
    freezes: list[tuple[str, float]] = field(default_factory=list)


def _parse(stderr: str) -> _Log:
    log = _Log()
    header = True
    for raw in stderr.splitlines():
        m = _LEVEL.match(raw)
        level, line = (m[1], raw[m.end():]) if m else ("info", raw)
        if level in ("error", "fatal"):
            log.errors.append(line.strip().rstrip("."))
            continue
        if line.startswith("Input #0"):
            log.opened = True
        elif line.startswith(("Stream mapping:", "Output #")):
            header = False
        elif header and (d := _DURATION.match(line)):
            log.duration = int(d[1]) * 3600 + int(d[2]) * 60 + float(d[3])
        elif header and (s := _STREAM.match(line)):
            if s[1] == "Audio":
                log.audio = True
            elif not log.video and "(attached pic)" not in s[2]:
                log.video = True
                if size := _SIZE.search(s[2]):
                    log.width, log.height = int(size[1]), int(size[2])
                if (dar := _DAR.search(s[2])) and int(dar[2]):
                    log.dar = int(dar[1]) / int(dar[2])
                if fps := _FPS.search(s[2]):
                    log.fps = float(fps[1])
        elif header and log.video and (r := _ROTATION.search(line)) and abs(float(r[1])) % 180 == 90:
            if log.width and log.height:
                log.width, log.height = log.height, log.width
            log.dar = 1 / log.dar if log.dar else None
        elif b := _BLACK.match(line):
            log.black.add(int(b[1]))
        elif f := _FREEZE.search(line):
            log.freezes.append((f[1], float(f[2])))
    return log


def _progress(stdout: str) -> tuple[int | None, float | None]:
    frames = seconds = None
    for line in stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "frame" and value.strip().isdigit():
            frames = int(value)
        elif key == "out_time_us" and value.strip().lstrip("-").isdigit():
            seconds = max(int(value), 0) / 1e6
    return frames, seconds


def _frozen(freezes: list[tuple[str, float]], end: float) -> float:
    total, start = 0.0, None
    for kind, t in freezes:
        if kind == "start":
            start = t
        elif start is not None:
            total += t - start
            start = None
    if start is not None:  # still frozen at the last frame
        total += max(end - start, 0.0)
    return total


def _ratio(text: str) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*", text)
    return float(m[1]) / float(m[2]) if m and float(m[1]) > 0 and float(m[2]) > 0 else None


def _not_regular(path: Path) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "not found"
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    if stat.S_ISREG(st.st_mode):
        return "is empty" if st.st_size == 0 else None
    kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")
    return f"is {kind}, not a regular file"


def check_take(path: str | Path, expect: Expect, *, display: str | None = None, timeout: float = 300.0) -> QCResult:
    """Check one take file against what was asked; never raises for a bad file, never runs past `timeout`."""
    from ..probe import ProbeError, ffmpeg_exe

    path = Path(path)
    name = display or str(path)
    problem = _not_regular(path)
    if problem:
        code = "C511" if problem == "is empty" else "C510"
        return QCResult(name, False, (Finding(code, f"{name}: {problem}"),))
    cmd = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info", "-progress", "pipe:1",
           "-i", "file:" + str(path.absolute()), "-map", "0:v:0?", "-an", "-sn", "-dn",
           "-vf", FILTERS_IMAGE if expect.kind == "image" else FILTERS_VIDEO, "-f", "null", "-"]
    try:
        proc = subprocess.run([ffmpeg_exe(), *cmd], capture_output=True, text=True, errors="replace",
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return QCResult(name, False, (Finding("C518", f"{name}: the check did not finish within {timeout:g} s"),))
    except (OSError, ProbeError) as e:
        return QCResult(name, False, (Finding("C518", f"{name}: could not run ffmpeg: {e}"),))
    log = _parse(proc.stderr)
    frames, seconds = _progress(proc.stdout)
    base: dict[str, Any] = dict(frames=frames, duration=seconds, width=log.width, height=log.height,
                                audio=log.audio if log.opened else None)
    if not log.opened or not log.video:
        why = (log.errors[0] if log.errors else "not a media file") if not log.opened else "it has no picture"
        return QCResult(name, False, (Finding("C511", f"{name}: ffmpeg cannot read it: {why}"),), **base)
    found = _findings(name, expect, log, frames or 0, seconds)
    return QCResult(name, not any(f.severity == "error" for f in found), tuple(found), **base)


def _findings(name: str, expect: Expect, log: _Log, frames: int, seconds: float | None) -> list[Finding]:
    out: list[Finding] = []
    fps = log.fps or 24.0
    decoded = seconds if seconds is not None else frames / fps
    if frames == 0:
        out.append(Finding("C511", f"{name}: no frame decodes" + (f" ({log.errors[0]})" if log.errors else "")))
        return out
    video = expect.kind == "video"
    short_of_header = video and log.duration is not None and decoded + max(0.1, 2 / fps) < log.duration
    if log.errors or short_of_header:
        what = (f"decodes to {plural(frames, 'frame')} ({decoded:.2f} s) of the {log.duration:.2f} s its header announces"
                if short_of_header else f"decodes with errors ({plural(frames, 'frame')})")
        detail = f": {log.errors[0]}" if log.errors else ""
        out.append(Finding("C511", f"{name}: {what}{detail}; the file is truncated or damaged"))
    if video and expect.min_duration is not None and decoded + expect.duration_tolerance < expect.min_duration:
        out.append(Finding("C512", f"{name}: lasts {decoded:.2f} s, the shot needs {expect.min_duration:.2f} s"))
    asked = _ratio(expect.aspect) if expect.aspect else (
        expect.resolution[0] / expect.resolution[1] if expect.resolution else None)
    have = log.dar or (log.width / log.height if log.width and log.height else None)
    if asked and have and abs(have / asked - 1) > expect.aspect_tolerance:
        if expect.aspect:
            wanted = expect.aspect
        else:
            assert expect.resolution is not None  # `asked` came from it
            wanted = f"{expect.resolution[0]}x{expect.resolution[1]}"
        out.append(Finding("C513", f"{name}: is {log.width}x{log.height} (aspect {have:.3f}), asked {wanted} "
                           f"(aspect {asked:.3f})"))
    if expect.resolution and log.width and log.height:
        w, h = expect.resolution
        if log.width < w * 0.98 or log.height < h * 0.98:
            out.append(Finding("C514", f"{name}: is {log.width}x{log.height}, smaller than the {w}x{h} asked: it "
                               "will be scaled up", "warning"))
    black = len(log.black) >= BLACK_SHARE * frames
    if black:
        out.append(Finding("C515", f"{name}: is black ({len(log.black)} of {plural(frames, 'frame')})"))
    if video and not black and frames > 1:
        still = _frozen(log.freezes, decoded)
        if still >= FROZEN_SHARE * decoded:
            out.append(Finding("C516", f"{name}: does not move for {still:.2f} of its {decoded:.2f} s"))
    if expect.audio is True and not log.audio:
        out.append(Finding("C517", f"{name}: has no audio, and sound was asked"))
    elif expect.audio is False and log.audio:
        out.append(Finding("C517", f"{name}: has an audio track, and none was asked", "warning"))
    return out
