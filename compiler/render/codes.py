"""Diagnostic codes of the edit (R: render), in the form of compiler.codes.CODES (`filmc explain`)."""

from __future__ import annotations

RENDER_CODES: dict[str, tuple[str, str]] = {
    "R101": ("unreadable take or image", "ffmpeg cannot read the shot's take (or first-frame image): the file is "
             "corrupt, truncated, or not a video or image. Re-download or re-generate it, or remove `take:` so the "
             "shot falls back to its image or a slate."),
    "R102": ("take without a picture", "The take has no video stream (an audio file, say)."),
    "R103": ("unusable LUT", "A grade's `lut` must be a 3D .cube file (with a LUT_3D_SIZE line)."),
    "R110": ("shot shorter than a frame", "At the render's frame rate the shot lasts less than one frame. "
             "Lengthen it, or render at a higher --fps."),
    "R111": ("dissolves overlap", "The dissolve into a shot and the dissolve out of it together last longer than "
             "the shot (after rounding to frames)."),
    "R201": ("take not found", "The shot's take does not exist (yet): the render uses its first-frame image "
             "(takes/<shot>.png, or takes/<shot>.<image target>.png) or a slate instead. A warning."),
    "R202": ("take shorter than its shot", "The take ends before the shot does (trim, speed and dissolve handles "
             "included): its last frame is held. A warning."),
    "R301": ("no audio for beat detection", "`filmc beats` needs song.audio."),
    "R302": ("song audio is not a file", "`filmc beats` reads song.audio only when it is a regular file: a pipe "
             "(FIFO), socket or device would block the read, a folder has no audio."),
    "R303": ("cannot decode the song", "ffmpeg could not decode song.audio for beat detection (or librosa, the "
             "beats extra, is not installed)."),
    "R304": ("no steady beat", "`filmc beats` found too few onsets, or no tempo whose grid lands on them (silence, "
             "speech, a free-tempo piece). Set song.bpm and beat_offset by hand, or list song.beats."),
}
