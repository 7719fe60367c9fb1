"""The words users see: every message in three languages, Kazakh and Russian wholly in their language,
Russian numbers agreed, Kazakh case endings right, and one word per concept in every output.

These tests run over the whole catalogue, so they hold for codes added later too: a new entry with an
English word in its Kazakh text, or «1 ошибок», fails here.
"""
from __future__ import annotations

import re
import string

import pytest

from toolkit import checked, findings, form, register, vocabulary
from toolkit.findings import CATALOGUE, TYPE_WORDS, UNREADABLE_REASONS, Finding

LANGS = ("kk", "ru")
# Names of programs, keys and file formats people see on their screen: allowed in any language.
PROPER = {"esep", "excel", "libreoffice", "gnumeric", "xlsx", "xlsm", "xls", "xlsb", "ods", "ctrl", "end",
          "alt", "enter", "csv", "html", "xml", "zip", "sha", "pdf", "docx", "url", "copy", "info", "example"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
COMMAND = re.compile(r"esep [a-z-]+")
_GRAMMAR = re.compile(r"\{(\w+)(?:#|>)[^{}]+\}")

# Sample values: numbers and Cyrillic text only, so any Latin word left in a rendered message came from
# the message itself, not from a placeholder.
SAMPLE_TEXT = {"indicator": "Пресс-релиз", "task": "1-міндет", "agreement": "94", "bin": "240540000015",
               "current": "есеп_2.xlsx", "older": "есеп_1.xlsx"}


def placeholders(template: str) -> set[str]:
    plain = _GRAMMAR.sub(r"{\1}", template)
    return {f for _, f, _, _ in string.Formatter().parse(plain) if f}


def sample_findings(code: str, n: int = 21):
    """One Finding per variant of `code` with every placeholder filled (every reason, every type)."""
    keys = set().union(*(placeholders(getattr(CATALOGUE[code], lang)) for lang in ("kk", "ru", "en")))
    base = dict(value=n, expected=n + 4, row=25, cell="M30", field="stats_gender_total")
    params = {}
    for k in keys - {"value", "expected", "row", "cell", "sheet", "label", "line", "hint"}:
        if k in SAMPLE_TEXT:
            params[k] = SAMPLE_TEXT[k]
        elif k == "parts":
            params[k] = ("stats_male", "stats_female")
        elif k == "options":
            params[k] = form.Text("бірінші, екінші", "первый, второй", "first, second")
        else:
            params[k] = n
    variants = [params]
    if "reason" in keys:
        variants = [{**params, "reason": r} for r in UNREADABLE_REASONS] + [
            {**params, "reason": form.Text("кесте табылмады", "таблица не найдена", "table not found")}]
    if "type" in keys:
        variants = [{**v, "type": t} for v in variants for t in TYPE_WORDS]
    out = []
    for v in variants:
        f = Finding(code, **base, params=v)
        f.sheet = form.sheet_title("stats", "kk")
        out.append(f)
    return out


def test_every_entry_has_kazakh_russian_and_english():
    for code, c in CATALOGUE.items():
        for lang in ("kk", "ru", "en"):
            assert getattr(c, lang).strip(), (code, lang)
        # The same placeholders in every language: kk and ru say the same thing.
        assert placeholders(c.kk) - {"hint"} == placeholders(c.ru) - {"hint"}, code
    for key, texts in UNREADABLE_REASONS.items():
        assert len(texts) == 3 and all(t.strip() for t in texts), key
    for key, texts in TYPE_WORDS.items():
        assert len(texts) == 6 and all(t.strip() for t in texts), key


def _latin_words(text: str, lang: str) -> list[str]:
    """Latin words of 3+ letters outside placeholders, program names, keys and formats."""
    found = []
    # An esep command named for the operator («esep upgrade») is a code, like a finding's code.
    for w in LATIN_WORD.findall(COMMAND.sub("", PLACEHOLDER.sub("", text))):
        if w.casefold() in PROPER:
            continue
        found.append(w)
    return found


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", list(CATALOGUE))
def test_rendered_messages_are_wholly_in_their_language(code, lang):
    for f in sample_findings(code):
        text = f.message(lang)
        assert "{" not in text and "}" not in text, (code, text)
        # Codes and sample values never contain Latin words; file names are allowed by PROPER.
        text = text.replace("есеп_2.xlsx", "").replace("есеп_1.xlsx", "")
        assert not _latin_words(text, lang), (code, lang, text)


@pytest.mark.parametrize("lang", LANGS)
def test_vocabulary_and_form_texts_are_wholly_in_their_language(lang):
    texts = []
    for name in dir(vocabulary):
        obj = getattr(vocabulary, name)
        if isinstance(obj, form.Text):
            texts.append(obj)
        elif isinstance(obj, dict):
            texts += [t for t in obj.values() if isinstance(t, form.Text)]
    texts += [x.label for x in form.iter_named() if not x.name.startswith("meta_")]
    texts += [f.hint for f in form.ALL_FIELDS if f.hint]
    texts += [t.note for t in form.TABLES if t.note]
    texts += [o.label for lst in form.LISTS for o in lst.options]
    texts += [t for _, t in form.GUIDE] + list(form.TEMPLATE_TEXTS.values()) + list(form.SHEET_HEADINGS.values())
    texts += [s.title for s in form.SHEETS if not s.title.en.startswith("_")]
    texts += [p.title for p in form.PROMPTS.values()] + [p.message for p in form.PROMPTS.values()]
    texts += [p.error for p in form.PROMPTS.values() if p.error]
    texts += list(checked.UI.values())
    texts += [c.label for _, _, cols, _ in register.SHEETS for c in cols] + [t for _, t in register.SUMMARY_COLUMNS]
    bad = [(t.get(lang), _latin_words(t.get(lang), lang)) for t in texts if _latin_words(t.get(lang), lang)]
    assert not bad, bad


# Russian numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, word", [(1, "ошибка"), (2, "ошибки"), (5, "ошибок"), (11, "ошибок"),
                                     (21, "ошибка"), (1071, "ошибка"), (12, "ошибок"), (22, "ошибки"),
                                     (111, "ошибок"), (0, "ошибок")])
def test_russian_plural(n, word):
    assert vocabulary.plural_ru(n, "ошибка", "ошибки", "ошибок") == word


def test_counts_are_grouped_and_agreed():
    forms = "участник/участника/участников"
    assert [vocabulary.count(n, forms, "ru") for n in (1, 2, 5, 11, 21, 1071)] == [
        "1 участник", "2 участника", "5 участников", "11 участников", "21 участник", "1 071 участник"]
    assert vocabulary.count(1071, "қатысушы", "kk") == "1 071 қатысушы"
    assert vocabulary.count(1, "participant/participants", "en") == "1 participant"


# A number followed by a noun (and maybe an adjective) in the genitive plural although the number ends in
# 1 or 2–4: the mistakes «1 именованных ячеек», «3 предложений», «1 071 участников».
_NUMBER_WORDS = re.compile(r"(?<![\d.,])(\d{1,3}(?: \d{3})+|\d+)(?![\d.,]\d) ((?:[а-яё]+ых )?[а-яё]+)")
_GENITIVE_PLURAL = re.compile(r"(ов|ей|ий|ек|ок|ых|ств)$")


def _disagreements(text: str) -> list[str]:
    bad = []
    for number, words in _NUMBER_WORDS.findall(text):
        n = int(number.replace(" ", ""))
        if vocabulary.plural_ru(n, "one", "few", "many") == "many":
            continue
        if any(_GENITIVE_PLURAL.search(w) for w in words.split()):
            bad.append(f"{number} {words}")
    return bad


@pytest.mark.parametrize("n", [1, 2, 5, 11, 21, 1071])
@pytest.mark.parametrize("code", list(CATALOGUE))
def test_russian_messages_agree_with_their_numbers(code, n):
    for f in sample_findings(code, n):
        text = f.message("ru")
        assert not _disagreements(text), (code, n, text)


def test_the_agreement_check_catches_the_known_mistakes():
    assert _disagreements("нет 1 именованных ячеек") and _disagreements("1 071 участников")
    assert _disagreements("В истории успеха 3 предложений") and not _disagreements("5 предложений")
    assert not _disagreements("21 участник, 2 ошибки, 1 071 тенге, 10.07.2024 года")


def test_russian_count_messages_read_right():
    def story(n):
        return Finding("success-story-length", value=n).message("ru")

    assert story(1).startswith("В истории успеха 1 предложение,")
    assert story(3).startswith("В истории успеха 3 предложения,")
    assert story(11).startswith("В истории успеха 11 предложений,")
    assert story(21).startswith("В истории успеха 21 предложение,")
    rows = Finding("partners-count", value=4, expected=1071).message("ru")
    assert "в таблице партнёров 1 071 строка." in rows
    missed = Finding("deviation-unexplained", value="Ауытқу жоқ", params={"count": 21}).message("ru")
    assert missed.startswith("План не выполнен по 21 показателю,")
    assert "ячеек: 1 (" in Finding("names-missing", field="org_bin", params={"count": 1}).message("ru")
    people = Finding("beneficiaries-mismatch", value=1071.0, expected=1076).message("ru")
    assert people.startswith("В статистике 1 071 участник, а прямых бенефициаров (факт) — 1 076.")


# Kazakh case endings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, case, text", [
    (25, "abl", "25-тен"), (10, "abl", "10-нан"), (1076, "dat", "1 076-ға"), (1, "dat", "1-ге"),
    (40, "loc", "40-та"), (3, "dat", "3-ке"), (1000, "abl", "1 000-нан"), (20, "dat", "20-ға"),
    (50, "gen", "50-дің"), (6, "acc", "6-ны"), (100, "loc", "100-де"), (2, "gen", "2-нің"),
])
def test_kazakh_case_endings(n, case, text):
    assert vocabulary.kk_case(n, case) == text


# Locations -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ("kk", "ru", "en"))
def test_table_lines_are_named_by_their_number_and_cell(lang):
    """A message about a table line shows «№ 25 (M30)», never «25-жол» / «Строка 25» alone."""
    for code, c in CATALOGUE.items():
        text = getattr(c, lang)
        assert "{row}" not in text, (code, lang, "use {line}: «№ 25 (M30)»")
    f = Finding("plan-missing", sheet="Индикаторлар", cell="M30", row=25, field="ind_plan",
                params={"indicator": "Пресс-релиз"})
    assert "№ 25 (M30)" in f.message(lang)


# One word per concept ------------------------------------------------------------------------------------

# Words that must not stand for these concepts anywhere users look (the collisions).
NOT_THESE = {
    # «шарт» is the grant agreement: never «келісім» beside it.
    "kk": [r"қабылданды", r"жарамды", r"\bнәтижелер", r"\bескерту(лер)?\b", r"\bкелісім\b"],
    # «реестр» is the merged register only («сводный реестр»); the roster is a «перечень».
    "ru": [r"\bпринят\b", r"\bпредупр", r"\bинфо\b", r"сведений", r"требует исправлений", r"\bсубгрант",
           r"(?<!сводный )(?<!сводном )(?<!сводного )\bреестр"],
    "en": [r"ACCEPTED", r"\bvalid\b"],
}


def _user_texts():
    """Every output's own words: catalogue, reasons, the validation sheet, the register, the terminal."""
    yield from ((c.code, c) for c in CATALOGUE.values())
    yield from ((k, form.Text(*t)) for k, t in UNREADABLE_REASONS.items())
    yield from checked.UI.items()
    for key, title, cols, _ in register.SHEETS:
        yield key, title
        # Columns named after the form's own fields carry the form's words (the project's results).
        yield from ((f"{key}.{c.key}", c.label) for c in cols
                    if c.key not in form.FIELD and c.key not in form.COMPUTED_BY_NAME)
    yield from register.SUMMARY_COLUMNS
    yield from ((f"status.{k}", t) for k, t in register.REPORT_STATUS.items())
    from toolkit import roster
    yield from ((f"roster.{k}", t) for k, t in roster.PROBLEMS.items())
    yield "roster.sheet", roster.ROSTER_SHEET
    yield "roster.next", roster.NEXT_STEP
    from toolkit.web import texts as page          # the self-check page (no web dependency to import)
    yield from ((f"page.{k}", t) for k, t in page.T.items())


@pytest.mark.parametrize("lang", ("kk", "ru", "en"))
def test_one_word_per_concept(lang):
    bad = []
    for key, text in _user_texts():
        s = text.get(lang) if isinstance(text, form.Text) else getattr(text, lang)
        for pattern in NOT_THESE[lang]:
            if re.search(pattern, s, re.IGNORECASE if lang != "en" else 0):
                bad.append((key, pattern, s))
    assert not bad, bad


def test_outputs_take_their_words_from_the_vocabulary():
    """The same object, not a copy that could drift: statuses, severities, sheet titles."""
    assert register.REPORT_STATUS is vocabulary.STATUS
    assert dict((k, t) for k, t, _, _ in register.SHEETS) == {
        k: vocabulary.SHEETS[k] for k in ("reports", "indicators", "partners", "subgrants", "findings")}
    assert register.SUMMARY_TITLE is vocabulary.SHEETS["summary"]
    for s in findings.SEVERITIES:
        assert checked.UI[s] is vocabulary.SEVERITY[s]
    assert vocabulary.SHEETS["validation"] is form.VALIDATION_SHEET
    severity_col = next(c for c in register.FINDING_COLUMNS if c.key == "severity")
    assert severity_col.label is vocabulary.SEVERITY_HEADING is checked.UI["severity"]


def test_every_status_and_severity_is_in_three_languages_and_distinct():
    for table in (vocabulary.STATUS, vocabulary.STATUS_COUNT, vocabulary.SEVERITY, vocabulary.COUNT_LABEL,
                  vocabulary.SHEETS):
        for lang in ("kk", "ru", "en"):
            words = [t.get(lang) for t in table.values()]
            assert all(words) and len(set(words)) == len(words), (lang, words)


# The form's own words ------------------------------------------------------------------------------------

def test_form_labels_follow_the_official_wording():
    labels = {x.name: x.label for x in form.iter_named()}
    kk = " | ".join(t.kk for t in labels.values())
    ru = " | ".join(t.ru for t in labels.values())
    assert "мүгедек балалар" not in kk and "мүгедектігі бар балалар" in kk
    assert "елді-мекен" not in kk and "елді мекен" in kk
    # «шарт» is the grant agreement everywhere; the plan's condition is a «талап».
    assert "шарт" not in labels["ind_operator"].kk.lower()
    assert "неправительственной организации" in labels["org_name"].ru and "НПО" not in labels["org_head"].ru
    assert "общая сумма выделенных средств" in labels["grant_amount"].ru.lower()
    assert "субгрант" not in ru.lower() and form.SHEET["subgrants"].title.ru == "Малые гранты"
    assert form.TABLE["subgrant"].label.ru == vocabulary.SHEETS["subgrants"].ru


def test_old_operator_label_still_reads():
    """1.0.0 workbooks carry «аспайды (≤)»; 1.1.0 says «көп дегенде (≤)» beside «кемінде (≥)»."""
    lookup = form.option_lookup("operator")
    for typed in ("аспайды (≤)", "көп дегенде (≤)", "аспайды", "не более (≤)"):
        assert lookup[form.fold(typed)] == "le", typed
    assert [o.label.kk for o in form.LIST["operator"].options] == ["дәл (=)", "кемінде (≥)", "көп дегенде (≤)"]


def test_narrative_sections_are_numbered_as_the_official_form():
    """1, 2, 3, 3.1 (the success story), 4 on the statistics sheet, 5.1–5.4, 6: never 3, 3 or 5, 5."""
    numbers = [re.match(r"^(\d+(?:\.\d+)?)\.", f.label.get(lang)).group(1)
               for lang in ("kk", "ru") for f in form.NARRATIVES]
    per_lang = len(form.NARRATIVES)
    assert numbers[:per_lang] == numbers[per_lang:]
    sections = [n for n in numbers[:per_lang]]
    assert sections == ["1", "2", "3", "3.1", "3.1", "3.1", "5.1", "5.2", "5.3", "5.4", "6"]
    assert form.SHEET_HEADINGS["stats"].kk.startswith("4. ") and form.SHEET_HEADINGS["stats"].ru.startswith("4. ")
