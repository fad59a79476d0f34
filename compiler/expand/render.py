"""Rendering one template of a target, with errors that name the template line and the shot."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateNotFound, TemplateSyntaxError
from jinja2.exceptions import SecurityError

from ..diagnostics import Diagnostic
from ..targets import TargetDef
from .sandbox import environment

MAX_OUTPUT = 200_000  # characters: far past any model's prompt limit, far short of filling a disk


class TemplateFailure(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _template_line(exc: BaseException, filename: str) -> int:
    tb = exc.__traceback__
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@cache
def _template(folder: Path, name: str) -> Template:
    """Templates are looked up once per build (`fresh_templates` starts a build)."""
    return environment(folder).get_template(name)


def fresh_templates() -> None:
    """Forget looked-up templates, so a template edited since the last build is read again."""
    _template.cache_clear()


def shown_path(target: TargetDef, name: str) -> str:
    """How a template is named in messages: built-ins by their place in filmc, a film's own relative to it."""
    if target.builtin:
        return f"<filmc>/targets/{target.name}/{name}"
    return f"targets/{target.name}/{name}"


def render_template(target: TargetDef, name: str, context: dict[str, Any], shot: str) -> str:
    path = shown_path(target, name)
    try:
        template = _template(target.folder, name)
        text = template.render(context)
        if len(text) > MAX_OUTPUT:
            raise TemplateFailure(Diagnostic("T303", "error", f"template output for shot '{shot}' is "
                                             f"{len(text)} characters, over the limit of {MAX_OUTPUT}", path, 0, 0, ""))
        return text
    except TemplateNotFound:
        raise TemplateFailure(Diagnostic("T300", "error", f"target '{target.name}' has no template {name}",
                                         shown_path(target, "target.yaml"), 0, 0, "",
                                         f"add {name} to the target's folder")) from None
    except TemplateSyntaxError as e:
        raise TemplateFailure(Diagnostic("T301", "error", f"template syntax error: {e.message}",
                                         path, e.lineno or 0, 1, "", None)) from None
    except SecurityError as e:
        raise TemplateFailure(Diagnostic("T303", "error", f"template not allowed to do this (shot '{shot}'): {e}",
                                         path, _template_line(e, str((target.folder / name).resolve())), 1, "", None)) from None
    except TemplateFailure:
        raise
    except RecursionError:
        raise TemplateFailure(Diagnostic("T303", "error", f"template recursion too deep (shot '{shot}')",
                                         path, 0, 0, "", None)) from None
    except Exception as e:  # noqa: BLE001 - a template's own failure (overflow, bad filter arguments...)
        line = _template_line(e, str((target.folder / name).resolve()))
        msg = getattr(e, "message", None) or str(e)
        raise TemplateFailure(Diagnostic("T301", "error", f"template error while rendering shot '{shot}': {msg}",
                                         path, line, 1 if line else 0, "",
                                         "the template may use only the documented context (filmc targets show NAME)")) from None


