"""The rule catalogue: each rule is a small function (report, computed) -> findings.

`RULES` is the one registry that validation, tests and the README iterate over. A rule names the
codes it may emit; the codes, severities and messages live in findings.CATALOGUE.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from . import compute, form, values
from .compute import num
from .findings import Finding


@dataclass(frozen=True)
class Rule:
    codes: tuple[str, ...]
    check: Callable[..., Iterable[Finding]]


RULES: list[Rule] = []


def rule(*codes: str):
    def register(fn):
        RULES.append(Rule(codes, fn))
        return fn
    return register


def _at(report, name: str, code: str, **kw) -> Finding:
    sheet, cell = report.locate(name)
    return Finding(code, sheet=sheet, cell=cell, field=name, **kw)


def _blank(report, name: str) -> bool:
    parsed = report.parsed.get(name)
    return parsed is None or parsed.blank


# Header ---------------------------------------------------------------------------------------------

@rule("required-value")
def required_values(report, calc):
    for f in form.HEADER_FIELDS:
        if f.required == "always" and f.name in report.parsed and _blank(report, f.name):
            yield _at(report, f.name, "required-value")


@rule("bin-invalid")
def bin_valid(report, calc):
    digits = report.get("org_bin")
    if digits and not values.bin_is_valid(digits):
        yield _at(report, "org_bin", "bin-invalid", value=report.raw.get("org_bin"))


@rule("phone-invalid")
def phone_valid(report, calc):
    raw = report.raw.get("org_phone")
    if not values.is_blank(raw) and values.normalize_phone(raw) is None:
        yield _at(report, "org_phone", "phone-invalid", value=raw, expected="+7 ___ ___ __ __")


@rule("period-order", "agreement-after-start")
def period_dates(report, calc):
    start, end, agreed = report.get("period_start"), report.get("period_end"), report.get("agreement_date")
    if start and end and end < start:
        yield _at(report, "period_end", "period-order", value=end, expected=start)
    if agreed and start and agreed > start:
        yield _at(report, "agreement_date", "agreement-after-start", value=agreed, expected=start)


# Statistics -----------------------------------------------------------------------------------------

def _stat(report, name) -> float:
    return num(report.get(name)) or 0.0


@rule("gender-sum", "category-sum", "age-sum")
def breakdown_sums(report, calc):
    for g in form.STATS_GROUPS:
        names = (g.total,) + g.parts
        if all(_blank(report, n) for n in names):
            continue
        parts_sum = sum(_stat(report, n) for n in g.parts)
        declared = _stat(report, g.total)
        if abs(parts_sum - declared) > 1e-9:
            yield _at(report, g.total, g.rule, value=parts_sum, expected=declared,
                      params={"parts": g.parts})


@rule("totals-disagree")
def totals_agree(report, calc):
    totals = {g.key: report.get(g.total) for g in form.STATS_GROUPS}
    present = {k: v for k, v in totals.items() if num(v) is not None and not _blank(report,
                                                                                     form.STATS_GROUP[k].total)}
    if len(present) >= 2 and len({num(v) for v in present.values()}) > 1:
        first = next(g.total for g in form.STATS_GROUPS if g.key in present)
        yield _at(report, first, "totals-disagree", value=sorted(set(num(v) for v in present.values())),
                  params={k: totals[k] for k in ("gender", "cat", "age")})


def _participants(report) -> float | None:
    for g in form.STATS_GROUPS:
        if not _blank(report, g.total):
            return num(report.get(g.total))
    return None


@rule("beneficiaries-mismatch")
def beneficiaries(report, calc):
    stats_total = _participants(report)
    fact = num(report.get("impact_direct_beneficiaries_fact"))
    if stats_total is not None and fact is not None and stats_total != fact:
        yield _at(report, "impact_direct_beneficiaries_fact", "beneficiaries-mismatch",
                  value=stats_total, expected=fact)


@rule("elderly-age")
def elderly(report, calc):
    elderly_ = _stat(report, "stats_cat_elderly")
    older = _stat(report, "stats_age_46_58") + _stat(report, "stats_age_59_plus")
    if elderly_ > older:
        yield _at(report, "stats_cat_elderly", "elderly-age", value=elderly_, expected=older)


# Impact and budget ----------------------------------------------------------------------------------

@rule("budget-exceeds-grant", "budget-unaccounted")
def budget(report, calc):
    grant = num(report.get("grant_amount"))
    facts = [num(report.get(f"impact_{k}_fact")) for k in form.MONEY_IMPACT]
    if grant is None or all(f is None for f in facts):
        return
    spent = calc["calc_budget_total"]
    where = report.locate("impact_purchases_fact")
    comp = form.COMPUTED_BY_NAME["calc_budget_total"]
    sheet = where[0]
    if spent > grant + 0.005:
        yield Finding("budget-exceeds-grant", sheet=sheet, cell=comp.cell, field=comp.name, value=spent,
                      expected=grant, params={"diff": spent - grant})
    elif spent < grant - 0.005:
        yield Finding("budget-unaccounted", sheet=sheet, cell=comp.cell, field=comp.name, value=spent,
                      expected=grant, params={"diff": grant - spent})


@rule("impact-not-met")
def impact_met(report, calc):
    for row in form.IMPACT_ROWS:
        plan, fact = num(report.get(row.plan)), num(report.get(row.fact))
        if plan is not None and fact is not None and fact < plan:
            yield _at(report, row.fact, "impact-not-met", value=fact, expected=plan)


@rule("partners-count")
def partners_count(report, calc):
    declared = num(report.get("impact_partners_fact"))
    rows = len(report.tables.get("partner", []))
    if _blank(report, "impact_partners_fact") and rows == 0:
        return
    if (declared or 0) != rows:
        yield _at(report, "impact_partners_fact", "partners-count", value=declared, expected=rows)


@rule("subgrant-total")
def subgrant_total(report, calc):
    purchases = num(report.get("impact_purchases_fact"))
    total = calc["calc_subgrant_total"]
    if purchases is not None and total > purchases + 0.005:
        comp = form.SUBGRANT_TOTAL
        yield Finding("subgrant-total", sheet=report.table_sheet.get("subgrant"), cell=comp.cell,
                      field=comp.name, value=total, expected=purchases)


# Indicators -----------------------------------------------------------------------------------------

def _row_at(report, row, name, code, **kw) -> Finding:
    return Finding(code, sheet=report.table_sheet.get("ind"), cell=row.cells.get(name), field=name,
                   row=row.index, **kw)


def _indicator(row) -> str:
    return str(row.values.get("ind_indicator") or row.values.get("ind_activity") or "")


def _blank_in_row(row, name) -> bool:
    parsed = row.parsed.get(name)
    return parsed is None or parsed.blank


@rule("plan-missing", "fact-missing", "fact-is-threshold", "indicator-not-met", "percent-out-of-range")
def indicator_lines(report, calc):
    statuses = calc["calc_ind_status"]
    for row in report.tables.get("ind", []):
        has_line = not _blank_in_row(row, "ind_indicator") or not _blank_in_row(row, "ind_plan") \
            or not _blank_in_row(row, "ind_fact")
        if not has_line:
            continue
        p = {"indicator": _indicator(row)}
        if _blank_in_row(row, "ind_plan"):
            yield _row_at(report, row, "ind_plan", "plan-missing", params=p)
        if _blank_in_row(row, "ind_fact"):
            yield _row_at(report, row, "ind_fact", "fact-missing", params=p)
        fact = row.parsed.get("ind_fact")
        if fact is not None and fact.note == "threshold":
            yield _row_at(report, row, "ind_fact", "fact-is-threshold", value=row.raw.get("ind_fact"),
                          expected=fact.value, params=p)
        if statuses.get(row.index) == "not_met":
            op = compute.effective_operator(row)
            shown = {"eq": "", "ge": "≥ ", "le": "≤ "}[op]
            yield _row_at(report, row, "ind_fact", "indicator-not-met", value=row.values.get("ind_fact"),
                          expected=f"{shown}{_show(row.values.get('ind_plan'))}", params=p)
        if row.values.get("ind_unit") == "percent":
            for name in ("ind_plan", "ind_fact"):
                x = num(row.values.get(name))
                if x is not None and not 0 <= x <= 100:
                    yield _row_at(report, row, name, "percent-out-of-range", value=x, expected="0–100")


def _show(x):
    from .findings import show
    return show(x)


@rule("date-order", "date-outside-period")
def indicator_dates(report, calc):
    start, end = report.get("period_start"), report.get("period_end")
    for row in report.tables.get("ind", []):
        d1, d2 = row.values.get("ind_date_start"), row.values.get("ind_date_end")
        if d1 and d2 and d2 < d1:
            yield _row_at(report, row, "ind_date_end", "date-order", value=d2, expected=d1)
        if start and end:
            for name, d in (("ind_date_start", d1), ("ind_date_end", d2)):
                if d and not start <= d <= end:
                    yield _row_at(report, row, name, "date-outside-period", value=d,
                                  expected=f"{_show(start)} – {_show(end)}")


@rule("long-result-missing")
def long_results(report, calc):
    seen: dict[str, list] = {}
    for row in report.tables.get("ind", []):
        task = row.values.get("ind_task")
        if task:
            seen.setdefault(task, []).append(row)
    for task, rows in seen.items():
        if all(_blank_in_row(r, "ind_long_result") for r in rows):
            yield _row_at(report, rows[0], "ind_long_result", "long-result-missing",
                          params={"task": task if len(task) <= 80 else task[:77] + "…"})


# Phrases people write when they mean "there was no deviation".
_NO_DEVIATION = re.compile(
    r"ауытқу(лар)?\s*(орын\s*алған\s*жоқ|болған\s*жоқ|жоқ|болмады)|"
    r"отклонени[йея]\s*(нет|не\s*было|не\s*имеется|отсутству)|без\s*отклонений|^\s*(нет|жоқ|-|—)\s*\.?\s*$",
    re.IGNORECASE)


@rule("deviation-unexplained")
def deviation(report, calc):
    missed = sum(1 for s in calc["calc_ind_status"].values() if s == "not_met")
    missed += sum(1 for row in form.IMPACT_ROWS
                  if num(report.get(row.plan)) is not None and num(report.get(row.fact)) is not None
                  and num(report.get(row.fact)) < num(report.get(row.plan)))
    if not missed:
        return
    note = report.get("deviation_note")
    if not note or _NO_DEVIATION.search(str(note)):
        yield _at(report, "deviation_note", "deviation-unexplained", value=note,
                  params={"count": missed})


# Narratives -----------------------------------------------------------------------------------------

@rule("narrative-missing")
def narratives(report, calc):
    final = report.is_final()
    for f in form.NARRATIVES:
        if f.required != "final" or not _blank(report, f.name) or f.name not in report.parsed:
            continue
        if final:
            yield _at(report, f.name, "narrative-missing")
        elif f.name not in form.INTERIM_OPTIONAL:
            yield _at(report, f.name, "narrative-missing", severity="info")


@rule("success-story-length", "success-story-contact")
def success_story(report, calc):
    story = report.get("text_success_story")
    if story:
        n = values.count_sentences(str(story))
        if not 5 <= n <= 8:
            yield _at(report, "text_success_story", "success-story-length", value=n, expected="5–8")
    if (story or report.is_final()) and (_blank(report, "text_story_person")
                                         or _blank(report, "text_story_contact")):
        name = "text_story_person" if _blank(report, "text_story_person") else "text_story_contact"
        yield _at(report, name, "success-story-contact")


_NARRATIVE_KINDS = {
    "people": form.Text("қатысушылар саны", "число участников", "participants"),
    "grants": form.Text("шағын гранттар кестесіндегі жолдар саны", "число строк в таблице малых грантов",
                        "rows of the sub-grant table"),
    "money": form.Text("гранттың жалпы сомасы", "общая сумма гранта", "the grant amount"),
    "direct": form.Text("тікелей бенефициарлар (факт)", "прямые бенефициары (факт)", "direct beneficiaries (fact)"),
    "indirect": form.Text("жанама бенефициарлар (факт)", "косвенные бенефициары (факт)",
                          "indirect beneficiaries (fact)"),
}


def _whole(x):
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _table_figures(report) -> dict:
    """The report's own figure of each kind a narrative may state (None where the report has none)."""
    people = _participants(report)
    if people is None:
        people = num(report.get("impact_direct_beneficiaries_fact"))
    rows = len(report.tables.get("subgrant", []))
    return {"people": people, "grants": float(rows) if "subgrant" in report.tables else None,
            "money": num(report.get("grant_amount")),
            "direct": num(report.get("impact_direct_beneficiaries_fact")),
            "indirect": num(report.get("impact_indirect_beneficiaries_fact"))}


@rule("narrative-number")
def narrative_numbers(report, calc):
    """A count a narrative states (people who took part, sub-grants, tenge, beneficiaries) that the tables
    contradict: info, or a warning when the narrative calls it a total."""
    from . import narrative

    figures = _table_figures(report)
    for f in form.NARRATIVES:
        text = report.get(f.name)
        if not text:
            continue
        seen = set()
        for st in narrative.stated(str(text)):
            table = figures.get(st.kind)
            if table is None:
                continue
            if st.kind == "people" and not st.participate:
                continue            # "reached 2 000 people", "1 000 residents": not a count of participants
            if st.kind == "grants" and not re.search(narrative.SUBGRANT_CONTEXT, str(text), re.I):
                continue            # a text that never speaks of sub-grants: its grants are not the table's
            total = st.total and st.kind != "money"
            if st.kind == "money":
                st = narrative.Stated(st.kind, st.value, st.bound, False, st.participate, st.clause)
            key = (st.kind, st.value, st.bound)
            if key in seen or not narrative.contradicts(st, table):
                continue
            seen.add(key)
            clause = st.clause if len(st.clause) <= 160 else st.clause[:157] + "…"
            yield _at(report, f.name, "narrative-number", severity="warning" if total else "info",
                      value=_whole(st.value), expected=_whole(table),
                      params={"kind": _NARRATIVE_KINDS[st.kind], "sentence": clause})


# Formula cells --------------------------------------------------------------------------------------

@rule("formula-overwritten", "cached-value-stale", "layout-changed")
def formula_cells(report, calc):
    emptied = []
    shown_by_sheet = _sheet_calc(report)
    for fc in report.formulas:
        recomputed = calc.get(fc.name)
        if isinstance(recomputed, dict):
            recomputed = recomputed.get(fc.row)
        expected = _as_shown(fc.name, recomputed, report.lang)
        cached = fc.cached
        if not fc.has_formula:
            if values.is_blank(cached) and not fc.error:
                emptied.append(fc)
            else:
                yield Finding("formula-overwritten", sheet=fc.sheet, cell=fc.cell, field=fc.name, row=fc.row,
                              value=fc.error or cached, expected=expected)
            continue
        # The saved result against what the formula computes from these cells: a blank or an error
        # where it computes a number is stale too, and so is a number where it computes nothing.
        # (Where the formula and esep read a cell differently, formula-differs names that cell.)
        sheet_value = shown_by_sheet.get(fc.name)
        if isinstance(sheet_value, dict):
            sheet_value = sheet_value.get(fc.row)
        by_formula = _as_shown(fc.name, sheet_value, report.lang)
        if not fc.calculated:
            continue    # no result stored at all: every spreadsheet computes it on opening
        if not fc.error and report.layout not in (None, form.CURRENT_LAYOUT) and _same(cached, expected):
            continue    # an older template's formulas mirrored esep's own recomputation (1.0.0 did)
        if fc.error or not _same(cached, by_formula):
            yield Finding("cached-value-stale", sheet=fc.sheet, cell=fc.cell, field=fc.name, row=fc.row,
                          value=fc.error or cached, expected=by_formula)
    if emptied:
        yield Finding("layout-changed", sheet=emptied[0].sheet, cell=emptied[0].cell, field=emptied[0].name,
                      params={"reason": _emptied(len(emptied))})


def _emptied(n: int) -> form.Text:
    from .vocabulary import count, group_digits
    return form.Text(f"формула ұяшықтары тазаланған: {group_digits(n)}",
                     f"очищено ячеек с формулами: {group_digits(n)}",
                     f"{count(n, 'formula cell/formula cells', 'en')} emptied")


def _as_shown(name: str, value, lang: str | None):
    """A recomputed value as the template's formula would show it."""
    if name == "calc_ind_status":
        return form.STATUSES[value].get(lang or "kk") if value else ""
    if value is None:
        return ""
    return value


def _same(cached, expected) -> bool:
    if values.is_blank(cached) or values.is_blank(expected):
        return values.is_blank(cached) and values.is_blank(expected)
    if isinstance(expected, str) or isinstance(cached, str):
        return str(cached).strip() == str(expected).strip()
    a, b = num(cached), num(expected)
    if a is None or b is None:
        return a is b
    return abs(a - b) <= max(0.01, abs(b) * 1e-9)


# Cells the template's formulas read differently -------------------------------------------------------

_T = form.Text
_DIFFERS = {   # why: (what the cell holds, what to do)
    "text": (_T("сан емес, мәтін", "это текст, а не число", "text, not a number"),
             _T("Ұяшыққа тек санды жазыңыз: бос орынсыз, бірліксіз және мәтін пішімінсіз.",
                "Введите в ячейку только число: без пробелов, единиц и текстового формата.",
                "Type only the number into the cell: no spaces, units or text format.")),
    "threshold": (_T("шарты бар мәтін", "текст с условием", "text with a condition"),
                  _T("«Жоспар» ұяшығына тек санды жазыңыз, ал шартты («кем емес», «аспайды») «Жоспар шарты» "
                     "бағанынан таңдаңыз.",
                     "Введите в «План» только число, а условие («не менее», «не более») выберите в столбце "
                     "«Условие плана».",
                     "Type only the number in Plan and choose the condition in Plan condition.")),
    "blank": (_T("бос көрінеді, бірақ ішінде көрінбейтін таңбалар бар",
                 "выглядит пустой, но содержит невидимые символы",
                 "looks blank but holds invisible characters"),
              _T("Ұяшықты Delete пернесімен тазартыңыз немесе санды жазыңыз.",
                 "Очистите ячейку клавишей Delete или введите число.",
                 "Clear the cell with Delete or type the number.")),
    "operator": (_T("тізімнен таңдалмай, қолмен жазылған", "введено вручную, а не выбрано из списка",
                    "typed by hand instead of chosen from the list"),
                 _T("Шартты ұяшықтың ашылмалы тізімінен таңдаңыз.",
                    "Выберите условие из раскрывающегося списка ячейки.",
                    "Choose the condition from the cell's drop-down list.")),
}


def _how_read(f: form.Field, raw, parsed) -> str | None:
    """Why the template's formulas read this input cell differently from esep, or None when they agree."""
    if f.type == "choice":
        if f.options != "operator" or parsed is None:
            return None
        esep_op = "le" if parsed.value == "le" else "eq"
        return "operator" if esep_op != compute.sheet_operator(raw) else None
    if parsed is None:
        return None
    esep = num(parsed.value)
    if f.type == "count":
        sheet = compute.sheet_count(raw)
    else:
        sheet = compute.sheet_number(raw)
    if parsed.blank and sheet is None and f.type != "count":
        # esep: blank. The formulas: blank only when nothing but plain spaces is there.
        return None if compute.sheet_unspaced(raw) == "" else "blank"
    if esep is None and sheet is None:
        return None
    if esep is not None and sheet is not None and abs(esep - sheet) <= 1e-9 * max(1.0, abs(esep)):
        return None
    if parsed.blank or (f.type == "count" and isinstance(raw, str) and not compute.sheet_unspaced(raw)):
        return "blank"
    if parsed.note == "threshold":
        return "fact-threshold" if f.name == "ind_fact" else "threshold"
    return "text"


def _sheet_calc(report) -> dict:
    """compute.spreadsheet(report), once per report (two rules use it)."""
    found = getattr(report, "_sheet_calc", None)
    if found is None:
        found = compute.spreadsheet(report)
        object.__setattr__(report, "_sheet_calc", found)
    return found


def _same_result(a, b) -> bool:
    """Two results of one formula: equal up to floating-point rounding (not _same's cent)."""
    x, y = num(a), num(b)
    if x is None or y is None:
        return _same(a, b)
    return abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))


def _inputs_of(c: form.Computed) -> list[str]:
    """The input fields a formula reads, through the formula cells it reads."""
    out = []
    for a in c.args:
        if a in form.COMPUTED_BY_NAME:
            out.extend(_inputs_of(form.COMPUTED_BY_NAME[a]))
        elif a in form.FIELD:
            out.append(a)
    return out


@rule("formula-differs")
def formula_differs(report, calc):
    """A formula cell whose spreadsheet result differs from esep's: name the input cell that causes it."""
    sheet_calc = _sheet_calc(report)
    lang = report.lang
    named: set = {(f.sheet, f.cell) for f in report.findings if f.severity == "error"}

    def finding(f, raw, parsed, sheet, cell, row):
        why = _how_read(f, raw, parsed)
        # A threshold in a fact is already a warning of its own (fact-is-threshold, same next step).
        if why in (None, "fact-threshold") or (sheet, cell) in named:
            return None
        named.add((sheet, cell))
        what, hint = _DIFFERS[why]
        expected = parsed.value if why != "operator" else form.option_label("operator", parsed.value, lang or "kk")
        if why == "blank":
            expected = 0 if f.type == "count" else None
        return Finding("formula-differs", sheet=sheet, cell=cell, field=f.name, row=row, value=raw,
                       expected=expected, params={"what": what, "hint": hint})

    for c in form.COMPUTED:
        table = form.TABLE_OF.get(c.name)
        if table is None or c.kind == "column_sum":
            if _same_result(_as_shown(c.name, calc.get(c.name), lang), _as_shown(c.name, sheet_calc.get(c.name), lang)):
                continue
            for name in _inputs_of(c):
                f = form.FIELD[name]
                if c.kind == "column_sum":
                    t = form.TABLE_OF[name]
                    for row in report.tables.get(t.key, []):
                        hit = finding(f, row.raw.get(name), row.parsed.get(name), report.table_sheet.get(t.key),
                                      row.cells.get(name), row.index)
                        if hit:
                            yield hit
                elif name in report.parsed:
                    sheet, cell = report.locate(name)
                    hit = finding(f, report.raw.get(name), report.parsed.get(name), sheet, cell, None)
                    if hit:
                        yield hit
            continue
        ours, theirs = calc.get(c.name) or {}, sheet_calc.get(c.name) or {}
        for row in report.tables.get(table.key, []):
            if _same_result(_as_shown(c.name, ours.get(row.index), lang),
                            _as_shown(c.name, theirs.get(row.index), lang)):
                continue
            for name in _inputs_of(c):
                hit = finding(form.FIELD[name], row.raw.get(name), row.parsed.get(name),
                              report.table_sheet.get(table.key), row.cells.get(name), row.index)
                if hit:
                    yield hit


def check(report, calc: dict | None = None) -> list[Finding]:
    """Run every rule on a readable report; returns the rule findings (reading findings stay on the report).
    `calc` is compute.compute(report) when the caller has it already."""
    if calc is None:
        calc = compute.compute(report)
    out: list[Finding] = []
    for r in RULES:
        out.extend(r.check(report, calc))
    return out


def all_codes() -> set[str]:
    return {c for r in RULES for c in r.codes}
