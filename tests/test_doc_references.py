"""Every page the docs cite is in the project (a design file outside it is no reference)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CITED = re.compile(r"[A-Za-z0-9_./-]+\.md\b")


def test_every_cited_page_exists() -> None:
    missing = []
    for page in PAGES:
        for cited in CITED.findall(page.read_text(encoding="utf-8")):
            candidates = (page.parent / cited, ROOT / cited, ROOT / "docs" / cited)
            if not any(candidate.is_file() for candidate in candidates):
                missing.append(f"{page.relative_to(ROOT)} cites {cited}")
    assert missing == []


def test_every_corral_verb_the_docs_and_config_name_exists() -> None:
    from corral.core.cli._commands import COMMANDS

    verbs = {entry.name for entry in COMMANDS}
    texts = [*PAGES, *sorted((ROOT / "config").glob("*.conf")), *sorted(ROOT.glob("core/**/*.py"))]
    unknown = [f"{text.relative_to(ROOT)}: corral {verb}" for text in texts
               for verb in re.findall(r"`{1,2}corral ([a-z][a-z-]*)", text.read_text("utf-8"))
               if verb not in verbs]
    assert unknown == []
