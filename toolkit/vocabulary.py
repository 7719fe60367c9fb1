"""The words esep uses, defined once per language (kk / ru, en for the command line and JSON).

Every output — the terminal, the checked copy's validation sheet, the register, the template's guide,
the documents and the self-check page — takes its words for the same concept from here, so a report
that "passed the check" is called that everywhere, and a finding is never called a "result" (the
project's results are the report's own subject). Official terms follow the report form (Annex 7 to
the grant agreement) and the NGOs' own wording.

Grammar helpers live here too: Russian plural agreement after numbers (`plural_ru`, `count`), and Kazakh
case endings after numbers written as digits (`kk_case`: «1 076-ға», «25-тен»).
"""
from __future__ import annotations

from . import form
from .form import Text

# The concepts -----------------------------------------------------------------------------------------

# A finding: one thing the check says about one place of a workbook. Errors and warnings together are
# «қателер мен ескертпелер» / «ошибки и замечания»; the partners' «Ескерту» / «Примечание» column
# (the form's own wording) is a different word on purpose.
FINDING = Text("ескертпе", "замечание", "finding")
FINDINGS = Text("Қателер мен ескертпелер", "Ошибки и замечания", "Findings")
NO_FINDINGS = Text("Қате де, ескертпе де жоқ.", "Ошибок и замечаний нет.", "No findings.")

# Severity of one finding, as a label (sheet cells, terminal column, register column).
SEVERITY = {
    "error": Text("Қате", "Ошибка", "Error"),
    "warning": Text("Ескертпе", "Замечание", "Warning"),
    "info": Text("Мәлімет үшін", "К сведению", "Note"),
}
SEVERITY_HEADING = Text("Түрі", "Вид", "Severity")

# The same, as a noun agreeing with a number (vocabulary.count): «3 ошибки», «5 замечаний».
SEVERITY_NOUN = {
    "error": Text("қате", "ошибка/ошибки/ошибок", "error/errors"),
    "warning": Text("ескертпе", "замечание/замечания/замечаний", "warning/warnings"),
    "info": Text("хабарлама", "сообщение/сообщения/сообщений", "note/notes"),
}

# Counts, number-first ("Ошибок: 3") so that they agree with any number in Russian.
COUNT_LABEL = {
    "error": Text("Қате", "Ошибок", "Errors"),
    "warning": Text("Ескертпе", "Замечаний", "Warnings"),
    "info": Text("Мәлімет үшін", "К сведению", "Notes"),
}

# Status of a report (a workbook). "valid" means it passed the check — the operator has not accepted
# anything yet, so nothing here says "accepted".
STATUS = {
    "valid": Text("тексеруден өтті", "проверку прошёл", "passed the check"),
    "invalid": Text("түзету қажет", "нужно исправить", "needs corrections"),
    "unreadable": Text("оқылмады", "не прочитан", "unreadable"),
    "superseded": Text("жаңасымен ауыстырылды", "заменён новым", "superseded"),
}
# The same statuses as counts of reports in the register's summary (column headers).
STATUS_COUNT = {
    "valid": Text("Тексеруден өткені", "Прошли проверку", "Passed the check"),
    "invalid": Text("Түзету қажеті", "Нужно исправить", "Need corrections"),
    "unreadable": Text("Оқылмағаны", "Не прочитаны", "Unreadable"),
    "superseded": Text("Жаңасымен ауыстырылғаны", "Заменены новыми", "Superseded"),
}
# Counts as column headers of the register.
COUNT_HEADING = {
    "error": Text("Қателер саны", "Количество ошибок", "Errors"),
    "warning": Text("Ескертпелер саны", "Количество замечаний", "Warnings"),
    "info": Text("Мәлімет үшін хабарламалар саны", "Количество сообщений к сведению", "Notes"),
    "reports": Text("Есептер саны", "Количество отчётов", "Reports"),
}
STATUS_HEADING = Text("Мәртебесі", "Статус", "Status")

# What the person should do next, by status (the validation sheet's second line, the page).
NEXT_STEP = {
    "valid": Text("қате жоқ, есепті грант операторына жіберуге болады.",
                  "ошибок нет, отчёт можно отправить оператору грантов.",
                  "no errors, the report can be sent to the grant operator."),
    "invalid": Text("қателерді түзетіп, есепті қайта тексеріңіз.",
                    "исправьте ошибки и проверьте отчёт снова.",
                    "fix the errors and check the report again."),
}

NEXT_STEP_WITH_PAGE = Text("қателерді түзетіп, есепті тексеру бетінде қайта тексеріңіз: {url}",
                           "исправьте ошибки и проверьте отчёт снова на странице проверки: {url}",
                           "fix the errors and check the report again on the check page: {url}")

# How an NGO checks a report itself: the operator's self-check page, or the operator.
SELF_CHECK = Text("Толтырылған файлды тексеру бетіне жүктеңіз: {url}. Қателерді түзетіп, есепті шартта "
                  "көрсетілген грант операторына жіберіңіз.",
                  "Загрузите заполненный файл на страницу проверки: {url}. Исправьте ошибки и отправьте "
                  "отчёт оператору грантов, указанному в договоре.",
                  "Upload the filled file to the check page: {url}. Fix the errors and send the report "
                  "to the grant operator named in the agreement.")
SELF_CHECK_NO_URL = Text("Толтырылған файлды шартта көрсетілген грант операторына жіберіңіз: оператор "
                         "оны тексеріп, қателер болса хабарлайды.",
                         "Отправьте заполненный файл оператору грантов, указанному в договоре: оператор "
                         "проверит его и сообщит об ошибках, если они есть.",
                         "Send the filled file to the grant operator named in the agreement: the operator "
                         "checks it and tells you about any errors.")

# Official terms of the grant rules and the report form.
TERMS = {
    "agreement": Text("мемлекеттік грант беру туралы шарт", "договор о предоставлении государственного гранта",
                      "state grant agreement"),
    "agreement_short": Text("шарт", "договор", "agreement"),
    "ngo": Text("үкіметтік емес ұйым", "неправительственная организация", "non-governmental organisation"),
    "grant_total": Text("грантты іске асыруға бөлінген қаражаттың жалпы сомасы",
                        "общая сумма выделенных средств", "total funds allocated"),
    "small_grants": Text("шағын гранттар", "малые гранты", "small grants"),
    "operator": Text("грант операторы", "оператор грантов", "grant operator"),
    "template": Text("есеп үлгісі", "шаблон отчёта", "report template"),
    "checked_copy": Text("тексерілген көшірме", "проверенная копия", "checked copy"),
    "register": Text("жиынтық тізілім", "сводный реестр", "register"),
    # Who must report in a round (esep roster-template, merge --roster): not the register, not a list.
    "roster": Text("тізбе", "перечень", "roster"),
    "list": Text("ашылмалы тізім", "раскрывающийся список", "drop-down list"),
}

# Sheet titles esep writes (the form's own sheets are in form.SHEETS). <= 31 characters, no []:*?/\.
SHEETS = {
    "validation": form.VALIDATION_SHEET,          # defined by the form, which checks every title
    "reports": Text("Есептер", "Отчёты", "Reports"),
    "indicators": Text("Индикаторлар", "Индикаторы", "Indicators"),
    "partners": Text("Серіктестер", "Партнёры", "Partners"),
    "subgrants": Text("Шағын гранттар", "Малые гранты", "Small grants"),
    "findings": FINDINGS,
    "summary": Text("Жиынтық", "Сводка", "Summary"),
}

# Small words of the terminal and sheets.
WORDS = {
    "file": Text("Файл", "Файл", "File"),
    "files": Text("Файлдар", "Файлов", "Files"),
    "cell": Text("Ұяшық", "Ячейка", "Cell"),
    "sheet": Text("Парақ", "Лист", "Sheet"),
    "line_no": Text("Жол №", "№ строки", "Line No."),
    "code": Text("Код", "Код", "Code"),
    "message": Text("Хабарлама", "Сообщение", "Message"),
    "field": Text("Өріс", "Поле", "Field"),
    "found": Text("Табылған мән", "Найденное значение", "Found"),
    "expected": Text("Күтілген мән", "Ожидаемое значение", "Expected"),
    "count": Text("Саны", "Количество", "Count"),
    "rule": Text("Ереже", "Правило", "Rule"),
    "example": Text("Мысал", "Пример", "Example"),
    # After `esep issue`.
    "issued": Text("Файлдар: {n} · кіру кодтары: {codes}", "Файлов: {n} · коды доступа: {codes}",
                   "Files: {n} · access codes: {codes}"),
    # The merge's progress line on a terminal.
    "progress": Text("Файлдар оқылуда", "Чтение файлов", "Reading files"),
    # After the first few findings of one code in the terminal.
    "more_in_copy": Text("… тағы {what} осындай; толық тізім тексерілген көшірменің «{sheet}» парағында",
                         "… ещё {what} такого же вида; полный список на листе «{sheet}» проверенной копии",
                         "… {what} more like this; the full list is on the «{sheet}» sheet of the checked copy"),
    "more_no_copy": Text("… тағы {what} осындай; толық тізімі тексерілген көшірмеде болады (--no-copy "
                         "қоспай іске қосыңыз)",
                         "… ещё {what} такого же вида; полный список будет в проверенной копии (запустите без "
                         "--no-copy)",
                         "… {what} more like this; run without --no-copy for the full list in the checked copy"),
}

LANGS = ("kk", "ru", "en")


def word(table: dict, key: str, lang: str) -> str:
    return table[key].get(lang)


def counts_line(counts: dict, lang: str) -> str:
    """«Қате: 2 · Ескертпе: 5 · Мәлімет үшін: 1» — the severities of one report, number-first."""
    return " · ".join(f"{COUNT_LABEL[s].get(lang)}: {group_digits(counts.get(s, 0))}"
                      for s in ("error", "warning", "info"))


def merge_line(files: int, by_status: dict, output, lang: str) -> str:
    """The merge summary: «Файлов: 12 · прошли проверку: 9 · …  → register.xlsx»."""
    parts = [f"{WORDS['files'].get(lang)}: {group_digits(files)}"] + [
        f"{_lower_first(STATUS_COUNT[k].get(lang))}: {group_digits(by_status.get(k, 0))}" for k in STATUS_COUNT]
    return " · ".join(parts) + f" → {output}"


# A roster line in the register's Expected sheet: received or not, yes / no, and where its arrival time
# came from (the intake page's receipt or the file's own time).
ROUND = {
    "received": Text("келді", "получен", "received"),
    "missing": Text("келмеді", "не получен", "missing"),
    True: Text("иә", "да", "yes"),
    False: Text("жоқ", "нет", "no"),
    "receipt": Text("қабылдау түбіртегі", "квитанция приёма", "intake receipt"),
    "file-time": Text("файлдың өзгертілген уақыты", "время изменения файла", "file modification time"),
}


ROSTER = {
    "title": Text("Тізбе бойынша", "По перечню", "Roster"),
    "expected": Text("күтілгені", "ожидалось", "expected"),
    "received": Text("тапсырылғаны", "сдано", "received"),
    "missing": Text("тапсырылмағаны", "не сдано", "missing"),
    "late": Text("кешіккені", "с опозданием", "late"),
}


def roster_line(expected: int, received: int, missing: int, late: int, lang: str) -> str:
    """«По списку: ожидалось 20 · сдано 18 · не сдано 2 · с опозданием 1»."""
    numbers = {"expected": expected, "received": received, "missing": missing, "late": late}
    return f"{ROSTER['title'].get(lang)}: " + " · ".join(
        f"{ROSTER[k].get(lang)} {group_digits(n)}" for k, n in numbers.items())


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# Grammar --------------------------------------------------------------------------------------------

def plural_ru(n: int | float, one: str, few: str, many: str) -> str:
    """The Russian noun form agreeing with n: 1 ошибка, 2 ошибки, 5 ошибок, 11 ошибок, 21 ошибка,
    1 071 участник. Fractions take the genitive singular (1,5 ошибки)."""
    if isinstance(n, float) and not n.is_integer():
        return few
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def group_digits(n: int | float) -> str:
    """1071 -> «1 071», as people write numbers in Kazakhstan."""
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if isinstance(n, int):
        return f"{n:,}".replace(",", " ")
    return f"{n:,.2f}".rstrip("0").rstrip(".").replace(",", " ").replace(".", ",")


def count(n: int | float, forms: str, lang: str) -> str:
    """«1 071 участник» / «1 071 қатысушы» / "1 071 participants". `forms` is «one/few/many» in Russian,
    «singular/plural» in English, one form in Kazakh (a noun after a number stays singular)."""
    parts = forms.split("/")
    if lang == "ru" and len(parts) == 3:
        noun = plural_ru(n, *parts)
    elif lang == "en" and len(parts) == 2:
        noun = parts[0] if n == 1 else parts[1]
    else:
        noun = parts[0]
    return f"{group_digits(n)} {noun}".strip()


# The last word of a number as it is read aloud decides a Kazakh ending: 25 «жиырма бес» -> бес.
_KK_UNITS = {1: "бір", 2: "екі", 3: "үш", 4: "төрт", 5: "бес", 6: "алты", 7: "жеті", 8: "сегіз", 9: "тоғыз"}
_KK_TENS = {1: "он", 2: "жиырма", 3: "отыз", 4: "қырық", 5: "елу", 6: "алпыс", 7: "жетпіс", 8: "сексен",
            9: "тоқсан"}
_BACK_VOWELS = set("аоұыя")
_FRONT_VOWELS = set("әеөүіиэ")
_VOICELESS = set("пфкқтсшщхцчһ")
_NASAL = set("мнң")


def _kk_last_word(n: int) -> str:
    n = abs(n)
    if n == 0:
        return "нөл"
    if n % 10:
        return _KK_UNITS[n % 10]
    if n % 100:
        return _KK_TENS[(n % 100) // 10]
    if n % 1000:
        return "жүз"
    if n % 10 ** 6:
        return "мың"
    if n % 10 ** 9:
        return "миллион"
    return "миллиард"


def _kk_back(w: str) -> bool:
    if w == "елу":
        return False
    for ch in reversed(w):
        if ch in _BACK_VOWELS:
            return True
        if ch in _FRONT_VOWELS:
            return False
    return True


# case -> (after a vowel, after a voiced consonant or sonorant, after a voiceless consonant, after
# м/н/ң), back-vowel forms; front forms swap the vowels.
_KK_ENDINGS = {
    "dat": ("ға", "ға", "қа", "ға"),        # барыс септік: 25-ке, 10-ға
    "loc": ("да", "да", "та", "да"),        # жатыс: 25-те, 10-да
    "abl": ("дан", "дан", "тан", "нан"),    # шығыс: 25-тен, 10-нан
    "gen": ("ның", "дың", "тың", "ның"),    # ілік: 25-тің, 10-ның
    "acc": ("ны", "ды", "ты", "ды"),        # табыс: 25-ті, 10-ды
}
_FRONT = str.maketrans({"а": "е", "ы": "і", "ғ": "г", "қ": "к"})


def kk_case(n: int | float, case: str) -> str:
    """A number written as digits with its Kazakh case ending after a hyphen: kk_case(1076, "dat") ->
    «1 076-ға», kk_case(25, "abl") -> «25-тен». Cases: dat, loc, abl, gen, acc."""
    if float(n).is_integer():
        w = _kk_last_word(int(n))
    else:                       # 84,5 is read «сексен төрт бүтін оннан бес»: its last digit decides
        w = _kk_last_word(int(group_digits(n).rstrip("0")[-1]))
    last = w[-1]
    if last in _BACK_VOWELS | _FRONT_VOWELS:
        kind = 0
    elif last in _VOICELESS:
        kind = 2
    elif last in _NASAL:
        kind = 3
    else:
        kind = 1
    if case == "gen" and last in "жз":
        kind = 1
    ending = _KK_ENDINGS[case][kind]
    if not _kk_back(w):
        ending = ending.translate(_FRONT)
    return f"{group_digits(n)}-{ending}"


def line_ref(row: int | None, cell: str | None) -> str:
    """Where a table line is, as people can find it: the № shown in the table's first column and the
    Excel cell («№ 25 (M30)»). Never a bare number that looks like an Excel row."""
    if row is None:
        return cell or ""
    return f"№ {row} ({cell})" if cell else f"№ {row}"
