"""edit: the cut. Production -> EditPlan -> one ffmpeg filter graph -> film.mp4 (or an animatic), and
build/edit/ (render.sh, the graph, the texts it draws, lyrics.srt) for a render without filmc."""

from __future__ import annotations

from .clips import EditPlan
from .outputs import edit_outputs
from .plan import plan_edit
from .render import Rendered, default_output, edit_warnings, render_plan
from .run import RenderError

__all__ = ["EditPlan", "RenderError", "Rendered", "default_output", "edit_outputs", "edit_warnings", "plan_edit",
           "render_plan"]
