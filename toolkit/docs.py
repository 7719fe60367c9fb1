"""docs/contract.md: the named-cells contract, generated from the form (toolkit/form.py).

    python3 -m toolkit.docs            # (re)write docs/contract.md
    python3 -m toolkit.docs --check    # exit 1 when docs/contract.md is not what the form says

Other people's tools fill and read report workbooks through these names alone, so the document lists
every defined name of the current template (inputs, formulas, _meta) with its type, sheet, cell or
range, Kazakh and Russian label, whether it is required, its drop-down list and the codes of that
list, and where each earlier template version esep still reads keeps it. Everything comes from
form.py: a field added there is in the document the next time it is generated. The output depends
on nothing but the form (no dates, no paths), so it can be checked for staleness byte for byte.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import form

CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "contract.md"
COMMAND = "python3 -m toolkit.docs"

_REQUIRED = {
    "always": "yes",
    "final": "in a final report",
    "": "no",
}


def _how(c: form.Computed) -> str:
    """What a formula cell computes, from its kind and arguments (as compute.py does)."""
    a = [f"`{x}`" for x in c.args]
    if c.kind == "sum":
        return " + ".join(a)
    if c.kind == "diff":
        return f"{a[0]} − {a[1]}"
    if c.kind == "percent":
        return f"{a[0]} / {a[1]} × 100"
    if c.kind == "status":
        return f"{a[0]} against {a[1]} by {a[2]} (a status code)" if len(a) == 3 else "status of " + ", ".join(a)
    if c.kind == "ref":
        return f"= {a[0]}"
    if c.kind == "column_sum":
        return f"total of column {a[0]}"
    return f"{c.kind} of " + ", ".join(a)


def _cell(text) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") if text not in (None, "") else "—"


def _row(*cells) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _ref(item) -> str:
    return f"{item.cell}:{item.last}" if item.last else item.cell


def _required(f: form.Field) -> str:
    words = _REQUIRED[f.required]
    if f.required == "final" and f.name in form.INTERIM_OPTIONAL:
        words += " (interim: optional)"
    elif f.required == "final" and f.name in {n.name for n in form.NARRATIVES}:
        words += " (interim: noted if blank)"
    return words


def _older(name: str) -> list[str]:
    """Where each earlier version esep reads keeps `name`: "same", its cell or range, or "—"."""
    current = form.CURRENT_LAYOUT.place(name)
    out = []
    for version, layout in _earlier_layouts():
        place = layout.place(name)
        if place is None:
            out.append(f"not in {version}")
        elif place == current:
            out.append("same")
        else:
            sheet, first, last = place
            out.append(f"{sheet} {first}:{last}" if last else f"{sheet} {first}")
    return out


def _earlier_layouts():
    return sorted(((v, lay) for v, lay in form.LAYOUTS.items() if v != form.TEMPLATE_VERSION),
                  key=lambda item: tuple(int(p) for p in item[0].split(".") if p.isdigit()))


def contract() -> str:
    """The whole document (Markdown)."""
    earlier = [v for v, _ in _earlier_layouts()]
    lines = [
        f"# The named-cells contract of template `{form.TEMPLATE_ID}` {form.TEMPLATE_VERSION}",
        "",
        f"Generated from [`toolkit/form.py`](../toolkit/form.py) by `{COMMAND}`; do not edit by hand "
        "(a test fails when this file is stale).",
        "",
        "Every input cell, every input column of a table and every formula cell of the template has a "
        "workbook-scope defined name, listed here. Other tools fill and read report workbooks through these "
        "names alone; a name changes only with a template version. A table's columns are equally long "
        "ranges: row *i* of the table is the *i*-th cell of each column's range. Drop-down cells read their "
        "options through the names `lst_<list>`; esep stores and exports the option **codes**, and reads "
        "any of a code's labels (Kazakh, Russian, English, any case) as that code.",
        "",
        "Sheets are named in the workbook's language (`meta_lang`); `sheet` below is the sheet's key.",
        "",
        "Required: *yes* — an error when blank; *in a final report* — an error when blank in a final "
        "report (`report_type` = `final`).",
        "",
        f"A long text (a `longtext` name over a range of one column, e.g. `text_activities`) is typed over "
        f"up to {form.NARRATIVE_ROWS} cells, about {form.NARRATIVE_CELL_CHARS} characters each so that "
        "it prints whole; esep reads it as one text: the non-blank cells, as typed, joined by line breaks.",
    ]
    if earlier:
        lines += ["", "esep also reads template version" + ("s " if len(earlier) > 1 else " ")
                  + ", ".join(earlier) + "; the last column" + ("s say" if len(earlier) > 1 else " says")
                  + " where such a workbook keeps the name (*same*: the same sheet and cells)."]

    lines += ["", "## Sheets", "", _row("key", "kk", "ru", "state"), _row("---", "---", "---", "---")]
    for s in form.SHEETS:
        lines.append(_row(f"`{s.key}`", s.title.kk, s.title.ru, s.state))

    inputs = list(form.ALL_FIELDS) + list(form.META_FIELDS)
    for sheet in form.SHEETS:
        fields = [f for f in inputs if f.sheet == sheet.key]
        if not fields:
            continue
        lines += ["", f"## Inputs: {sheet.title.kk} / {sheet.title.ru} (`{sheet.key}`)", ""]
        for table in form.TABLES:
            if table.sheet == sheet.key:
                lines += [f"Table «{table.label.kk}» / «{table.label.ru}»: rows {table.first_row}–"
                          f"{table.last_row} ({table.capacity} rows), column headings in row {table.header_row}.", ""]
        head = ("name", "type", "sheet", "cell or range", "label kk", "label ru", "required", "list")
        lines += [_row(*head, *earlier), _row(*(["---"] * (len(head) + len(earlier))))]
        for f in fields:
            options = f"[`{form.LIST[f.options].name}`](#list-{f.options})" if f.type == "choice" else ""
            lines.append(_row(f"`{f.name}`", f.type, f.sheet, _ref(f), f.label.kk, f.label.ru, _required(f),
                              options, *_older(f.name)))

    lines += ["", "## Formula cells", "",
              "Written as formulas by the template; esep recomputes every one of them from the inputs and "
              "never trusts the cached result.", ""]
    head = ("name", "sheet", "cell or range", "label kk", "label ru", "computed as")
    lines += [_row(*head, *earlier), _row(*(["---"] * (len(head) + len(earlier))))]
    for c in form.COMPUTED:
        lines.append(_row(f"`{c.name}`", c.sheet, _ref(c), c.label.kk, c.label.ru, _how(c), *_older(c.name)))

    lines += ["", "## Drop-down lists", ""]
    for lst in form.LISTS:
        used = ", ".join(f"`{f.name}`" for f in form.ALL_FIELDS if f.type == "choice" and f.options == lst.key)
        lines += [f'<a id="list-{lst.key}"></a>', "", f"### `{lst.name}`" + (f" ({used})" if used else ""), "",
                  _row("code", "kk", "ru", "en"), _row("---", "---", "---", "---")]
        lines += [_row(f"`{o.code}`", o.label.kk, o.label.ru, o.label.en) for o in lst.options]
        lines.append("")

    lines += ["## Indicator statuses (`calc_ind_status`)", "", _row("code", "kk", "ru", "en"),
              _row("---", "---", "---", "---")]
    lines += [_row(f"`{code}`", t.kk, t.ru, t.en) for code, t in form.STATUSES.items()]

    lines += ["", "## Types", "", _row("type", "what the cell holds"), _row("---", "---")]
    lines += [_row(f"`{t}`", meaning) for t, meaning in form.TYPES.items()]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = contract()
    if argv == ["--check"]:
        current = CONTRACT.read_text(encoding="utf-8") if CONTRACT.exists() else ""
        if current != text:
            print(f"{CONTRACT} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    CONTRACT.parent.mkdir(exist_ok=True)
    CONTRACT.write_text(text, encoding="utf-8", newline="\n")
    print(CONTRACT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
