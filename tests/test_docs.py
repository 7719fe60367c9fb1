"""The README stays in step with the code: every finding code and every safety limit is documented,
and the quickstart's commands are the real ones."""
from __future__ import annotations

import re

import builders
from toolkit import package
from toolkit.findings import CATALOGUE

README = (builders.ROOT / "README.md").read_text(encoding="utf-8")


def test_every_code_is_in_the_readme():
    missing = [code for code in CATALOGUE if f"`{code}`" not in README]
    assert not missing, f"add to README's rule table: {missing}"


def test_every_limit_is_in_the_readme():
    limits = [n for n in package.__all__ if n.startswith("MAX_")]
    assert limits
    missing = [n for n in limits if n not in README]
    assert not missing, f"document these limits in README's Security section: {missing}"


def test_quickstart_commands_exist():
    assert "bash tests/run.sh" in README
    assert (builders.ROOT / "tests" / "run.sh").exists()
    ci = (builders.ROOT / ".ci" / "run").read_text()
    assert "bash tests/run.sh" in ci
    assert re.search(r"esep merge workbook_templates/examples -o register\.xlsx", README)
