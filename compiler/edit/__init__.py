"""render: the edit. Production -> EditPlan -> one ffmpeg filter graph -> film.mp4 (or an animatic),
plus build/edit/ (render.sh, the graph, lyrics.srt) and editor timelines (OTIO, FCP7 XML)."""

from __future__ import annotations

from .plan import EditPlan, plan_edit
from .render import Rendered, default_output, edit_outputs, edit_warnings, render_plan
from .run import RenderError

__all__ = ["EditPlan", "RenderError", "Rendered", "default_output", "edit_outputs", "edit_warnings", "plan_edit",
           "render_plan"]
