"""Diagnostic codes of the edit (R1xx, R2xx: render), in the form of compiler.codes.CODES (`filmc explain`)."""

from __future__ import annotations

RENDER_CODES: dict[str, tuple[str, str]] = {
    "R101": ("unreadable take or image", "ffmpeg cannot read the shot's take (or first-frame image): the file is "
             "corrupt, truncated, or not a video or image. Re-download or re-generate it, or remove `take:` so the "
             "shot falls back to its image or a slate."),
    "R102": ("take without a picture", "The take has no video stream (an audio file, say)."),
    "R103": ("unusable LUT", "A grade's `lut` must be a 3D .cube file (with a LUT_3D_SIZE line)."),
    "R104": ("take or image that does not decode", "ffmpeg reads the file's header but cannot decode its picture: "
             "damaged image data, or an image larger than ffmpeg accepts (about 16000 x 16000 pixels). Re-export "
             "the file (scaled down if it is huge), or remove `take:` so the shot uses a slate."),
    "R105": ("render failed on a take or image", "ffmpeg stopped while decoding the shot's take or image (the file "
             "changed, or is damaged past the part the pre-render check decodes). Re-export or re-generate it."),
    "R106": ("segment of an extended shot without a take", "The shot's take is segment 1 of an extended shot (made by "
             "`filmc run`), and a later segment has no good take yet: the edit plays the segments that exist, end to "
             "end, and holds the last frame. A warning. `filmc run` makes the missing segment (from the last frame of "
             "the one before)."),
    "R107": ("a later segment selected", "`filmc select` was given a take of segment 2, 3, ... of an extended shot. "
             "Such a take is part of the shot, not a take of its own: select segment 1's take, and `filmc render` "
             "plays the later segments after it (the ones `filmc run` made from it, else the newest)."),
    "R110": ("shot shorter than a frame", "At the render's frame rate the shot lasts less than one frame. "
             "Lengthen it, or render at a higher --fps."),
    "R111": ("dissolves overlap", "The dissolve into a shot and the dissolve out of it together last longer than "
             "the shot (after rounding to frames)."),
    "R201": ("take not found", "The shot's take does not exist (yet): the render uses its first-frame image "
             "(takes/<shot>.png, or takes/<shot>.<image target>.png) or a slate instead. A warning."),
    "R202": ("take shorter than its shot", "The take ends before the shot does (trim, speed and dissolve handles "
             "included): its last frame is held. A warning."),
    "R203": ("take cut short", "The take's header promises enough video, but the file holds fewer frames than the "
             "shot needs: it was cut short (an interrupted download or copy) or is damaged. Its last good frame is "
             "held. A warning."),
    "R204": ("first-frame image outside the film", "takes/<shot>.png (or takes/<shot>.<image target>.png) is a link "
             "to a file outside the film's folder: it is not used without --allow-outside-paths. A warning."),
    "R205": ("first-frame image not a regular file", "takes/<shot>.png is a named pipe, socket or device: it is not "
             "used. A warning."),
}
