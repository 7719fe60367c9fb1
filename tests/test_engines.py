"""Issue #10, one meaning per cell in every engine: LibreOffice and Gnumeric recalculate the template's
formulas, and what they show is what esep computes, or esep names the line.

* The shipped templates and examples: the cached formula results written by esep equal what LibreOffice
  and Gnumeric compute from their cells, cell by cell (every formula cell of the layout, empty rows too).
* Seeded random reports typed the messy way (threshold phrases, text numbers with spaces, commas and
  no-break spaces, dashes, blanks, invisible characters, zero plans, very large and fractional values,
  hand-typed conditions) are written with esep's template writer, recalculated by both programs, and every
  formula cell is compared with
  (a) `compute.spreadsheet` (esep's model of the formulas) - exactly, everywhere: this is what makes the
      cached results and the formula-differs rule trustworthy;
  (b) esep's own recomputation (`compute.compute`, the register's numbers) - a difference is allowed only
      on a line (table row, or a single formula's inputs) where esep reports a warning or an error at an
      input cell the formula reads. Zero silent disagreements.
Each program is started once per batch (soffice) or per file (ssconvert, ~0.2 s).
"""
from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import pytest

import builders
import gnumeric
import libreoffice
from toolkit import compute, form, package, rules, validation
from toolkit.reader import range_cells
from toolkit.template import write_template

pytestmark = [pytest.mark.slow]

needs_lo = pytest.mark.skipif(not libreoffice.soffice_available(), reason="LibreOffice (soffice) is not installed")
needs_gn = pytest.mark.skipif(not gnumeric.available(), reason="Gnumeric (ssconvert) is not installed")
ENGINES = [pytest.param("libreoffice", marks=[needs_lo, pytest.mark.libreoffice]),
           pytest.param("gnumeric", marks=[needs_gn, pytest.mark.gnumeric])]

SEEDS = range(int(__import__("os").environ.get("ESEP_MESSY_SEEDS", "12")))   # messy reports, kk and ru alternately


def _recalc(engine: str, sources, out_dir) -> list[Path]:
    if engine == "libreoffice":
        return libreoffice.recalc_many(sources, out_dir)
    return gnumeric.recalc_many(sources, out_dir)


def formula_values(path, lang: str) -> dict[tuple[str, int | None], object]:
    """(formula name, table row or None) -> the value its cell holds, for every formula cell of the layout.
    Error results come back as their text ("#NUM!"); empty results as ""."""
    out = {}
    with package.open_package(path) as pkg:
        for comp in form.COMPUTED:
            title = form.sheet_title(comp.sheet, lang)
            grid, errors = pkg.values(title), pkg.error_cells(title)
            table = form.TABLE_OF.get(comp.name)
            cells = range_cells(f"{comp.cell}:{comp.last}" if comp.last else comp.cell)
            for i, cell in enumerate(cells):
                r, c = package.parse_a1(cell)
                v = grid[r][c] if r < len(grid) and c < len(grid[r]) else ""
                out[comp.name, i + 1 if table else None] = errors.get(cell, v)
    return out


def _norm(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v.strip() if isinstance(v, str) else ("" if v is None else v)


def _eq(a, b) -> bool:
    """Same shown result; numbers equal to 13 significant digits (xlsx stores 15-17 of them, and the
    programs round the last one differently)."""
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-300)
    return a == b


def _shown(calc: dict, lang: str) -> dict:
    out = {}
    for comp in form.COMPUTED:
        table = form.TABLE_OF.get(comp.name)
        if table is None:
            out[comp.name, None] = rules._as_shown(comp.name, calc.get(comp.name), lang)
        else:
            per_row = calc.get(comp.name) or {}
            for i in range(1, table.capacity + 1):
                out[comp.name, i] = rules._as_shown(comp.name, per_row.get(i), lang)
    return out


# The shipped workbooks ---------------------------------------------------------------------------------

SHIPPED = [(builders.TEMPLATES / "final_report_kk.xlsx", "kk"), (builders.TEMPLATES / "final_report_ru.xlsx", "ru")]
sys.path.insert(0, str(builders.TEMPLATES))
import make_examples  # noqa: E402

SHIPPED += [(make_examples.EXAMPLES / make_examples.load(p)["file"], make_examples.load(p)["lang"])
            for p in make_examples.data_files()]


@pytest.mark.parametrize("engine", ENGINES)
def test_shipped_cached_results_are_what_the_engine_computes(engine, tmp_path):
    paths = [p for p, _ in SHIPPED]
    recalculated = _recalc(engine, paths, tmp_path)
    for (path, lang), again in zip(SHIPPED, recalculated):
        cached, computed = formula_values(path, lang), formula_values(again, lang)
        assert len(cached) > 300
        wrong = {k: (cached[k], computed[k]) for k in cached if not _eq(cached[k], computed[k])}
        assert not wrong, (path.name, engine, dict(list(wrong.items())[:10]))


# Messy reports ------------------------------------------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"


def _measure(rng: random.Random, lang: str):
    return rng.choice([
        lambda: rng.randint(0, 500),
        lambda: 0,
        lambda: round(rng.uniform(0, 100), rng.choice([1, 2, 3])),
        lambda: rng.choice([1e12, 123456789012, 999999999999.5, 1e-7]),
        lambda: str(rng.randint(1, 99)),                                   # "12" typed as text
        lambda: f"{rng.randint(1, 9)} {rng.randint(100, 999)}",              # "1 076"
        lambda: f"{rng.randint(1, 9)}{NBSP}{rng.randint(100, 999)}",         # no-break space
        lambda: f"{rng.randint(1, 9)}{NNBSP}{rng.randint(100, 999)}",
        lambda: f"{rng.randint(1, 99)},{rng.randint(1, 9)}",                 # "84,5"
        lambda: f"{rng.randint(1, 99)} %",
        lambda: rng.choice(["80%-дан кем емес", "не менее 80%", "кемінде 12", "20 000-нан кем емес",
                            "не более 5", "≥ 20", "от 10"]),
        lambda: None,
        lambda: rng.choice([" ", "  ", NBSP, "\t"]),                       # looks blank
        lambda: rng.choice(["-", "–", "жоқ", "нет данных"]),
        lambda: -rng.randint(1, 50),
    ])()


def _count(rng: random.Random):
    return rng.choice([
        lambda: rng.randint(0, 3000),
        lambda: 0,
        lambda: None,
        lambda: rng.choice(["-", "–", "—", " - ", " "]),
        lambda: f"{rng.randint(1, 9)} {rng.randint(100, 999)}",
        lambda: str(rng.randint(1, 500)),
        lambda: f"{rng.randint(1, 9)}{NBSP}{rng.randint(100, 999)}",
        lambda: rng.choice([NBSP, "\t"]),
        lambda: 10 ** rng.randint(9, 14),
        lambda: rng.choice([12.5, 0.5]),
        lambda: rng.choice(["көп", "много"]),
    ])()


def _amount(rng: random.Random):
    return rng.choice([
        lambda: rng.randint(0, 10_000_000),
        lambda: rng.randint(0, 10_000_000) + rng.choice([0.5, 0.25, 0.01]),
        lambda: None,
        lambda: f"{rng.randint(1, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        lambda: f"{rng.randint(1, 9)}{NBSP}{rng.randint(100, 999)}{NBSP}{rng.randint(100, 999)}",
        lambda: f"{rng.randint(100, 999)} тг",
        lambda: "-",
        lambda: 10 ** 14,
    ])()


def _operator(rng: random.Random, lang: str):
    labels = [o.label.get(lang) for o in form.LIST["operator"].options]
    return rng.choice(labels + labels + [None, "не более", "  НЕ  БОЛЕЕ ", f"аспайды{NBSP}(≤)", "≤", ">=",
                                         "кем емес", "шамамен"])


def messy_report(seed: int) -> tuple[str, dict]:
    rng = random.Random(seed)
    lang = ("kk", "ru")[seed % 2]
    singles = builders.clean_singles()
    singles["region"] = form.option_label("region", "zhetysu", lang)
    singles["report_type"] = form.option_label("report_type", "final", lang)
    for f in form.IMPACT_FIELDS + form.STATS_FIELDS:
        if rng.random() < 0.5:
            singles[f.name] = _amount(rng) if f.type == "amount" else _count(rng)
    if rng.random() < 0.5:
        singles["grant_amount"] = _amount(rng)
    ind = []
    for i in range(rng.randint(8, 40)):
        ind.append({"ind_indicator": f"Көрсеткіш {i + 1}", "ind_unit": rng.choice(["адам", "%", "іс-шара"]),
                    "ind_operator": _operator(rng, lang), "ind_plan": _measure(rng, lang),
                    "ind_fact": _measure(rng, lang), "ind_participants": _count(rng)})
    subgrants = [{"subgrant_recipient": f"Топ {i}", "subgrant_amount": _amount(rng)}
                 for i in range(rng.randint(0, 6))]
    tables = {"ind": ind, "subgrant": subgrants, "partner": builders.clean_tables()["partner"]}
    for row in ind:
        for k in list(row):
            if row[k] is None:
                del row[k]
    singles = {k: v for k, v in singles.items() if v is not None}
    return lang, {"singles": singles, "tables": tables}


def _allowed_lines(result) -> tuple[set, set]:
    """(table rows, single input fields) where esep reports a warning or an error at an input cell."""
    rows, fields = set(), set()
    for f in result.findings:
        if f.severity not in ("warning", "error") or not f.field:
            continue
        if f.row is not None:
            rows.add(f.row)
        else:
            fields.add(f.field)
    return rows, fields


def _named(comp: form.Computed, row, rows_named, fields_named, report) -> bool:
    if row is not None:
        return row in rows_named
    if comp.kind == "column_sum":
        return bool(rows_named & {r.index for r in report.tables.get("subgrant", [])})
    return bool(set(rules._inputs_of(comp)) & fields_named)


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("messy")
    out = []
    for seed in SEEDS:
        lang, data = messy_report(seed)
        path = write_template(folder / f"messy_{seed:02d}_{lang}.xlsx", lang=lang, data=data)
        out.append((path, lang))
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_messy_reports_zero_silent_disagreements(engine, messy, tmp_path):
    recalculated = _recalc(engine, [p for p, _ in messy], tmp_path)
    compared = differing = 0
    for (path, lang), again in zip(messy, recalculated):
        result = validation.check(path)
        report = result.report
        ours = _shown(result.calc, lang)
        model = _shown(compute.spreadsheet(report), lang)
        theirs = formula_values(again, lang)
        rows_named, fields_named = _allowed_lines(result)
        silent, model_wrong = [], []
        for key, value in theirs.items():
            name, row = key
            compared += 1
            if not _eq(value, model[key]):
                model_wrong.append((key, value, model[key]))
            if not _eq(value, ours[key]):
                differing += 1
                if not _named(form.COMPUTED_BY_NAME[name], row, rows_named, fields_named, report):
                    silent.append((key, value, ours[key]))
        assert not model_wrong, (path.name, engine, model_wrong[:10])
        assert not silent, (path.name, engine, silent[:10])
        # The cached results esep wrote are the engine's too.
        cached = formula_values(path, lang)
        assert [k for k, v in cached.items() if not _eq(v, theirs[k])] == [], (path.name, engine)
    assert compared > 3000 and differing > 20     # the messy cases really occurred


def test_messy_reports_are_messy_enough(messy):
    """The generator produces every kind of value the issue lists, and esep warns where it must."""
    codes = set()
    for path, _ in messy:
        codes |= {f.code for f in validation.check(path).findings}
    assert {"formula-differs", "text-number", "dash-as-zero", "type-error"} <= codes


# Structure after a re-save -----------------------------------------------------------------------------

@needs_gn
@pytest.mark.gnumeric
def test_a_gnumeric_resave_is_named(tmp_path):
    """Gnumeric drops the workbook's structure protection and the sheet passwords and shows _lists/_meta;
    a name re-pointed before the re-save is still named after it, and the values come from the layout."""
    def repoint(wb):
        dn = wb.defined_names["ind_fact"]
        dn.attr_text = dn.attr_text.replace("$M$", "$L$")

    (tmp_path / "src").mkdir()
    src = builders.fill(tmp_path / "src" / "r.xlsx", builders.clean_singles(), builders.clean_tables(), edit=repoint)
    before = validation.check(src)
    assert [f.field for f in before.findings if f.code == "name-moved"] == ["ind_fact"]
    assert not [f for f in before.findings if f.code == "workbook-unlocked"]
    again = gnumeric.recalc_many([src], tmp_path / "gn")[0]
    after = validation.check(again)
    assert [f.field for f in after.findings if f.code == "name-moved"] == ["ind_fact"]
    assert [r.values["ind_fact"] for r in after.report.tables["ind"]] == [10, 602, 84, 20]
    unlocked = [f for f in after.findings if f.code == "workbook-unlocked"]
    assert len(unlocked) == 1
    text = unlocked[0].message("ru")
    assert "структуры книги" in text and "_lists, _meta" in text and "без пароля" in text
