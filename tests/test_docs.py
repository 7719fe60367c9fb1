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


def test_the_contract_in_docs_is_generated_from_the_form():
    from toolkit import docs

    shipped = docs.CONTRACT.read_text(encoding="utf-8") if docs.CONTRACT.exists() else ""
    assert shipped == docs.contract(), f"docs/contract.md is stale: run `{docs.COMMAND}` and commit it"


def test_the_contract_names_everything_the_form_names():
    from toolkit import docs, form

    text = docs.contract()
    for item in form.iter_named():
        ref = f"{item.cell}:{item.last}" if item.last else item.cell
        assert f"| `{item.name}` |" in text and f"| {ref} |" in text, item.name
    for lst in form.LISTS:
        assert f"### `{lst.name}`" in text
        for option in lst.options:
            assert f"| `{option.code}` | {option.label.kk} | {option.label.ru} |" in text
    # A field of a later template version says where the earlier ones keep it.
    assert "| `sign_date` | date | narratives |" in text and "not in 1.0.0" in text


def test_the_readme_links_the_contract():
    assert "(docs/contract.md)" in README


def test_no_project_file_points_outside_the_repository():
    """Only the foreign-corpus tests may name the shared folder beside the project (and skip without it)."""
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=builders.ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    allowed = {"tests/test_foreign.py", "tests/test_package.py"}
    pointing = []
    for name in files:
        path = builders.ROOT / name
        if name in allowed or not path.is_file() or path.suffix in (".xlsx", ".xlsm", ".png", ".pdf", ".docx"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"\.\./shared|/wor[k]/|\bshared/(spec|research|corpus|seed)", text):
            pointing.append(name)
    assert not pointing, f"these files point outside the repository: {pointing}"


def test_the_readme_layout_lists_every_module():
    """A newcomer finds every module in README's Layout, one line each."""
    layout = README[README.index("## Layout"):]
    layout = layout[:layout.index("```", layout.index("```") + 3)]
    modules = sorted(p.relative_to(builders.ROOT).as_posix()
                     for p in list((builders.ROOT / "toolkit").rglob("*.py")) + [builders.ROOT / "cli.py"])
    missing = [m for m in modules if f"\n{m} " not in layout]
    assert not missing, f"add a line for each to README's Layout section: {missing}"
