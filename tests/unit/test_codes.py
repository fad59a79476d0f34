"""Every diagnostic code filmc can report has an entry for `filmc explain`."""

from __future__ import annotations

import re
from pathlib import Path

from compiler.codes import all_codes

ROOT = Path(__file__).resolve().parents[2]


def test_every_reported_code_is_explained() -> None:
    used = set()
    for src in (ROOT / "compiler").rglob("*.py"):
        used |= set(re.findall(r"""["']([LVTPRD]\d{3})["']""", src.read_text(encoding="utf-8")))
    assert used, "no codes found"
    assert sorted(used - set(all_codes())) == []
