"""Rendering one template of a target, with errors that name the template line and the shot."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateNotFound, TemplateSyntaxError
from jinja2.exceptions import SecurityError

from ..diagnostics import Diagnostic
from ..errors import FilmcError
from ..targets import TargetDef
from .sandbox import (
    BUDGET,
    RENDER_MEMORY,
    RENDER_SECONDS,
    TOTAL_SECONDS,
    OutsideFolder,
    TemplateTimeout,
    TemplateTooBig,
    environment,
    forget_loaded,
)

OVER_ALL = "templates of this command took"  # how a T305 of the command's whole budget begins
MAX_OUTPUT = 200_000  # characters: far past any model's prompt limit, far short of filling a disk


class TemplateFailure(FilmcError):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message, diagnostics=(diagnostic,))
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


@cache
def has_template(folder: Path, name: str) -> bool:
    """Whether a target's folder holds this template (looked at once per build, as templates are read)."""
    return (folder / name).is_file()


def fresh_templates() -> None:
    """Forget looked-up templates, so a template edited since the last build is read again; a new time budget."""
    _template.cache_clear()
    has_template.cache_clear()
    forget_loaded()
    BUDGET.reset()
    from . import target_digest  # a long-lived process (filmc board --serve) sees a template edited since

    target_digest.cache_clear()


def _template_place(exc: BaseException, target: TargetDef, fallback: str) -> tuple[str, int]:
    """The innermost template of the target (shown path) and line the exception passed through."""
    root = target.folder.resolve()
    place = (fallback, 0)
    tb = exc.__traceback__
    while tb is not None:
        file = Path(tb.tb_frame.f_code.co_filename)
        if file.suffix == ".j2" and file.is_relative_to(root):
            place = (shown_path(target, file.relative_to(root).as_posix()), tb.tb_lineno)
        tb = tb.tb_next
    return place


def _render(template: Template, context: dict[str, Any], path: str, shot: str) -> str:
    """Render within the budget (time and memory); output over MAX_OUTPUT is refused."""
    BUDGET.start()
    try:
        text = template.render(context)
    finally:
        BUDGET.stop()
    if len(text) > MAX_OUTPUT:
        raise TemplateFailure(Diagnostic("T303", "error", f"template output for shot '{shot}' is {len(text)} "
                                         f"characters, over the limit of {MAX_OUTPUT}", path, 0, 0, ""))
    return text


def shown_path(target: TargetDef, name: str) -> str:
    """How a template is named in messages: built-ins by their place in filmc, a film's own relative to it."""
    if target.builtin:
        return f"<filmc>/targets/{target.name}/{name}"
    return f"targets/{target.name}/{name}"


def render_template(target: TargetDef, name: str, context: dict[str, Any], shot: str) -> str:
    path = shown_path(target, name)
    try:
        return _render(_template(target.folder, name), context, path, shot)
    except TemplateTimeout as e:
        file, line = _template_place(e, target, path)
        what = OVER_ALL if e.total else "the template took"
        rest = "later renders stop the same way and are not listed" if e.total else "this target's other shots that fail are not listed"
        raise TemplateFailure(Diagnostic(
            "T305", "error", f"{what} over {e.seconds:g} s rendering shot '{shot}'; stopped here", file, line,
            1 if line else 0, "", f"a loop or a recursive macro that runs too long? each render gets "
            f"{RENDER_SECONDS:g} s, and all of a command's {TOTAL_SECONDS:g} s; {rest}")) from None
    except TemplateTooBig as e:
        file, line = _template_place(e, target, path)
        raise TemplateFailure(Diagnostic(
            "T306", "error", f"the template used over {RENDER_MEMORY >> 20} MiB rendering shot '{shot}'; stopped here",
            file, line, 1 if line else 0, "", "a loop or a recursive macro that builds too much text? this target's "
            "other shots that fail are not listed")) from None
    except OutsideFolder as e:
        file, line = _template_place(e, target, path)
        if not line:  # the template itself
            raise TemplateFailure(Diagnostic("T303", "error", f"template {name} of target '{target.name}' leads "
                                             "outside the target folder (a symbolic link?)", path, 0, 0, "",
                                             f"make {name} a file inside {shown_path(target, '')}")) from None
        raise TemplateFailure(Diagnostic(
            "T303", "error", f"'{e.name}' refused: it leads outside the target folder (shot '{shot}')", file, line, 1,
            "", "include, import and extend only templates inside the target's own folder")) from None
    except TemplateNotFound as e:
        if e.name != name:  # an include, import or extends of a template that is not there
            file, line = _template_place(e, target, path)
            raise TemplateFailure(Diagnostic(
                "T300", "error", f"template '{e.name}' not found in the target folder (shot '{shot}')", file, line,
                1 if line else 0, "", f"add {e.name} to {shown_path(target, '')}")) from None
        raise TemplateFailure(Diagnostic("T300", "error", f"target '{target.name}' has no template {name}",
                                         shown_path(target, "target.yaml"), 0, 0, "",
                                         f"add {name} to the target's folder")) from None
    except TemplateSyntaxError as e:
        where = shown_path(target, e.name) if e.name else path  # an included template's own error names it
        raise TemplateFailure(Diagnostic("T301", "error", f"template syntax error: {e.message}",
                                         where, e.lineno or 0, 1, "", None)) from None
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
                                         "the template may use only the documented context (docs/prompts.md in filmc's documentation)")) from None

