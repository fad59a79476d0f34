"""The errors a creator sees: one base, FilmcError, that the CLI (the only place that exits) prints one way.

A FilmcError carries what the creator is shown and how filmc ends:
- `diagnostics`: located problems (`file:line:col: error[CODE] message` + hint), possibly none;
- its message (str(e)): printed as `filmc: error: <message>` when there are no diagnostics;
- `log`: the tail of a tool's output (ffmpeg's), printed with -v;
- `exit_code`: 1 for problems in the input or the world (a film.yaml error, a missing key, ffmpeg failing),
  2 for a command used wrongly (UsageError). 3 is left for internal errors: any exception that is neither a
  FilmcError nor a stop is a bug in filmc.

Every exception class of the package derives from FilmcError, except private ones (`_Name`) that never
leave the module that raises them, and a stop by a signal (interrupt.Interrupted): a BaseException, as
KeyboardInterrupt is, so that no `except Exception` takes it for a failure. The CLI prints it the same way,
and exits 128 + the signal's number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_SIGNAL = 128  # plus the signal's number


class FilmcError(Exception):
    """An error shown to the creator: located diagnostics (possibly none), a message, a log tail, an exit code."""

    # Class-level defaults: a subclass that also derives from a built-in (OSError) or is a dataclass may not
    # run this __init__, and still reads as an error with no diagnostics, no log and exit code 1.
    diagnostics: tuple[Diagnostic, ...] = ()
    sources: Mapping[str, Sequence[str]] = MappingProxyType({})  # file shown -> its lines (for the caret)
    log: Sequence[str] = ()
    exit_code: int = EXIT_INPUT
    log_name: ClassVar[str] = "ffmpeg"  # whose log `log` is
    line_format: ClassVar[str] = "filmc: error: {message}"  # how the message is printed without diagnostics

    def __init__(self, message: str = "", *, diagnostics: Sequence[Diagnostic] = (),
                 sources: Mapping[str, Sequence[str]] | None = None, log: Sequence[str] = (),
                 exit_code: int | None = None) -> None:
        diags = tuple(diagnostics)
        super().__init__(message or (diags[0].message if diags else ""))
        self.diagnostics = diags
        self.sources = dict(sources or {})
        self.log = tuple(log)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def shown(self) -> str:
        """The line printed for an error without diagnostics."""
        return self.line_format.format(message=self)


class FilmError(FilmcError):
    """Problems in the creator's input, located in their files: exit code 1."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: Mapping[str, Sequence[str]] | None = None):
        super().__init__("" if diagnostics else "invalid input", diagnostics=diagnostics, sources=sources)


class UsageError(FilmcError):
    """A command used wrongly (exit code 2)."""

    exit_code = EXIT_USAGE
