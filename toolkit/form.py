"""The report form, declared once.

Everything else derives from this module: the template writer lays out these fields, the reader finds
them through their defined names (or, failing that, through the cells computed here), the rules check
them and the register turns them into columns. Adding a field is one edit here.

The form follows Annex 7 to the grant agreement; its named cells are published in docs/contract.md,
generated from this module (python3 -m toolkit.docs). Kazakh labels are
the seed's wording; Russian labels are working translations kept here so that official wording can
replace them without touching logic. No I/O happens here; the form checks itself on import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from .a1 import col_letters

TEMPLATE_ID = "kz-grant-final-report"
TEMPLATE_VERSION = "1.1.0"   # the version esep writes; LAYOUTS lists every version it reads
LANGS = ("kk", "ru")


# Building blocks ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    """A user-visible text in Kazakh and Russian (English for the command line and the JSON report)."""
    kk: str
    ru: str
    en: str = ""

    def get(self, lang: str) -> str:
        if lang == "en":
            return self.en or self.ru
        return getattr(self, lang)


@dataclass(frozen=True)
class Option:
    code: str          # stable ASCII value stored in the register and JSON
    label: Text        # what the drop-down shows


@dataclass(frozen=True)
class OptionList:
    key: str                       # defined name of the list range is "lst_<key>"
    options: tuple[Option, ...]

    @property
    def name(self) -> str:
        return f"lst_{self.key}"

    def labels(self, lang: str) -> list[str]:
        return [o.label.get(lang) for o in self.options]


@dataclass(frozen=True)
class Field:
    """One input: a single cell, or one column of a table."""
    name: str                      # the workbook-scope defined name: the public contract
    label: Text
    type: str                      # see TYPES
    required: str = ""             # "" optional, "always", or "final" (required in a final report)
    options: str = ""              # OptionList key for type "choice"
    hint: Text | None = None       # input message shown by Excel's data validation
    width: float = 14              # column width (tables) in characters
    # Filled in by the layout below:
    sheet: str = ""                # sheet key
    cell: str = ""                 # A1 of a single cell, or first cell of a table column
    last: str = ""                 # last cell of a table column ("" for single cells)


TYPES = {
    "text": "short text",
    "longtext": "long text (narratives)",
    "date": "a date",
    "amount": "whole tenge, >= 0",
    "count": "whole number >= 0; blank or '-' means 0",
    "measure": "a number; a threshold phrase is read as its number and flagged",
    "number": "a number >= 0",
    "choice": "one of a drop-down list",
    "bin": "12-digit BIN with a valid check digit",
    "phone": "Kazakhstan phone number",
    "email": "e-mail address",
}


@dataclass(frozen=True)
class Computed:
    """A formula cell of the template. The template writes `kind` as an Excel formula; the tool
    recomputes the same `kind` in Python and never trusts the cached result."""
    name: str                      # defined name (calc_*), so the reader can find it
    label: Text
    kind: str                      # "sum", "diff", "percent", "status", "ref", "column_sum"
    args: tuple[str, ...]          # field or computed names, in the order the kind expects
    sheet: str = ""
    cell: str = ""
    last: str = ""                 # for table columns


@dataclass(frozen=True)
class Table:
    key: str                       # "ind", "partner", "subgrant"
    label: Text
    sheet: str
    header_row: int                # 1-based row of column labels
    first_row: int                 # first input row
    capacity: int                  # number of input rows
    columns: tuple[Field, ...]
    computed: tuple[Computed, ...] = ()
    note: Text | None = None

    @property
    def last_row(self) -> int:
        return self.first_row + self.capacity - 1


@dataclass(frozen=True)
class ImpactRow:
    key: str
    label: Text
    unit: Text

    @property
    def plan(self) -> str:
        return f"impact_{self.key}_plan"

    @property
    def fact(self) -> str:
        return f"impact_{self.key}_fact"


@dataclass(frozen=True)
class StatsGroup:
    key: str                       # "gender", "cat", "age"
    label: Text
    total: str                     # field name of the typed total
    parts: tuple[str, ...]         # field names of the breakdown
    rule: str                      # finding code when the parts do not add up


@dataclass(frozen=True)
class Sheet:
    key: str
    title: Text
    state: str = "visible"         # "visible", "hidden", "veryHidden"

    def name(self, lang: str) -> str:
        return self.title.get(lang)


# Sheets ---------------------------------------------------------------------------------------------

SHEETS: tuple[Sheet, ...] = (
    Sheet("guide", Text("Нұсқаулық", "Инструкция", "Guide")),
    Sheet("header", Text("Жалпы мәліметтер", "Общие сведения", "Header")),
    Sheet("indicators", Text("Индикаторлар", "Индикаторы", "Indicators")),
    Sheet("impact", Text("Әлеуметтік-экономикалық әсер", "Социально-экономический эффект", "Impact")),
    Sheet("stats", Text("Статистика", "Статистика", "Statistics")),
    Sheet("partners", Text("Серіктестер", "Партнёры", "Partners")),
    Sheet("subgrants", Text("Шағын гранттар", "Малые гранты", "Small grants")),
    Sheet("narratives", Text("Сипаттамалар", "Описания", "Narratives")),
    Sheet("lists", Text("_lists", "_lists", "_lists"), state="hidden"),
    Sheet("meta", Text("_meta", "_meta", "_meta"), state="veryHidden"),
)
SHEET = {s.key: s for s in SHEETS}
VALIDATION_SHEET = Text("Тексеру", "Проверка", "Validation")


# Drop-down lists ------------------------------------------------------------------------------------

def _options(*items: tuple[str, str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(code, Text(kk, ru, en)) for code, kk, ru, en in items)


LISTS: tuple[OptionList, ...] = (
    OptionList("report_type", _options(
        ("interim", "аралық", "промежуточный", "interim"),
        ("final", "қорытынды", "итоговый", "final"),
    )),
    OptionList("region", _options(
        ("abai", "Абай облысы", "область Абай", "Abai region"),
        ("akmola", "Ақмола облысы", "Акмолинская область", "Akmola region"),
        ("aktobe", "Ақтөбе облысы", "Актюбинская область", "Aktobe region"),
        ("almaty_region", "Алматы облысы", "Алматинская область", "Almaty region"),
        ("atyrau", "Атырау облысы", "Атырауская область", "Atyrau region"),
        ("west_kazakhstan", "Батыс Қазақстан облысы", "Западно-Казахстанская область",
         "West Kazakhstan region"),
        ("zhambyl", "Жамбыл облысы", "Жамбылская область", "Zhambyl region"),
        ("zhetysu", "Жетісу облысы", "область Жетісу", "Zhetysu region"),
        ("karaganda", "Қарағанды облысы", "Карагандинская область", "Karaganda region"),
        ("kostanay", "Қостанай облысы", "Костанайская область", "Kostanay region"),
        ("kyzylorda", "Қызылорда облысы", "Кызылординская область", "Kyzylorda region"),
        ("mangystau", "Маңғыстау облысы", "Мангистауская область", "Mangystau region"),
        ("pavlodar", "Павлодар облысы", "Павлодарская область", "Pavlodar region"),
        ("north_kazakhstan", "Солтүстік Қазақстан облысы", "Северо-Казахстанская область",
         "North Kazakhstan region"),
        ("turkistan", "Түркістан облысы", "Туркестанская область", "Turkistan region"),
        ("ulytau", "Ұлытау облысы", "область Ұлытау", "Ulytau region"),
        ("east_kazakhstan", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область",
         "East Kazakhstan region"),
        ("astana", "Астана қаласы", "город Астана", "Astana city"),
        ("almaty", "Алматы қаласы", "город Алматы", "Almaty city"),
        ("shymkent", "Шымкент қаласы", "город Шымкент", "Shymkent city"),
        ("national", "республикалық деңгей", "республиканский уровень", "national level"),
    )),
    OptionList("unit", _options(
        ("person", "адам", "человек", "persons"),
        ("piece", "дана", "штук", "pieces"),
        ("event", "іс-шара", "мероприятие", "events"),
        ("percent", "%", "%", "%"),
        ("tenge", "теңге", "тенге", "tenge"),
        ("organization", "ұйым", "организация", "organizations"),
    )),
    # Labels deliberately do not start with "=": Excel would take such a text as a formula. Codes are
    # words for the same reason: "=" or ">=" in a CSV or JSON cell is taken for a formula.
    OptionList("operator", _options(
        ("eq", "дәл (=)", "ровно (=)", "exactly (=)"),
        ("ge", "кемінде (≥)", "не менее (≥)", "at least (≥)"),
        ("le", "көп дегенде (≤)", "не более (≤)", "at most (≤)"),
    )),
    OptionList("subgrant_type", _options(
        ("ngo", "ҮЕҰ", "НПО", "NGO"),
        ("initiative_group", "бастамашыл топ", "инициативная группа", "initiative group"),
        ("individual", "жеке тұлға", "физическое лицо", "individual"),
    )),
)
LIST = {lst.key: lst for lst in LISTS}

# Indicator status values (computed): code -> label
STATUSES = {
    "met": Text("орындалды", "выполнено", "met"),
    "exceeded": Text("асыра орындалды", "перевыполнено", "exceeded"),
    "not_met": Text("орындалмады", "не выполнено", "not met"),
    "no_fact": Text("факт жоқ", "нет факта", "no fact"),
}


# Header ---------------------------------------------------------------------------------------------

def F(name, kk, ru, en, type="text", required="", options="", hint=None, width=14) -> Field:
    return Field(name, Text(kk, ru, en), type, required, options, hint, width)


_HEADER_FIELDS: tuple[Field, ...] = (
    F("report_type", "Есеп түрі (аралық / қорытынды)", "Вид отчёта (промежуточный / итоговый)",
      "Report type (interim / final)", "choice", "always", "report_type"),
    F("agreement_no", "Шарттың нөмірі", "Номер договора", "Agreement number"),
    F("agreement_date", "Шарттың күні", "Дата договора", "Agreement date", "date"),
    F("org_name", "Үкіметтік емес ұйымның толық атауы", "Полное наименование неправительственной организации",
      "NGO full name", required="always"),
    F("org_bin", "БСН", "БИН", "BIN", "bin", "always",
      hint=Text("12 цифр", "12 цифр", "12 digits")),
    F("org_head", "Үкіметтік емес ұйым басшысының тегі, аты, әкесінің аты (болған жағдайда)",
      "Фамилия, имя, отчество (при наличии) руководителя неправительственной организации",
      "Head of the NGO", required="always"),
    F("org_address", "Заңды мекенжайы", "Юридический адрес", "Legal address", required="always"),
    F("org_phone", "Байланыс телефоны", "Контактный телефон", "Phone", "phone",
      hint=Text("мысалы, +7 701 234 56 78 немесе 8 701 234 56 78",
                "например, +7 701 234 56 78 или 8 701 234 56 78", "e.g. +7 701 234 56 78")),
    F("org_email", "Электрондық пошта", "Электронная почта", "E-mail", "email"),
    F("region", "Өңір", "Регион", "Region", "choice", "always", "region"),
    F("project_name", "Әлеуметтік жобаның атауы (бағыты)",
      "Наименование (направление) социального проекта", "Project name", required="always"),
    F("project_goal", "Жобаның мақсаты", "Цель проекта", "Project goal", "longtext", "always"),
    F("project_result", "Жобаны іске асырудан қол жеткізілген нәтиже", "Достигнутый результат",
      "Result achieved", "longtext", "always"),
    F("period_start", "Іске асыру кезеңінің басталу күні", "Дата начала реализации",
      "Start of the project period", "date", "always"),
    F("period_end", "Іске асыру кезеңінің аяқталу күні", "Дата окончания реализации",
      "End of the project period", "date", "always"),
    F("grant_amount", "Грантты іске асыруға бөлінген қаражаттың жалпы сомасы, теңге",
      "Общая сумма выделенных средств на реализацию гранта, тенге", "Total funds allocated, tenge",
      "amount", "always"),
    F("report_date", "Есеп күні", "Дата отчёта", "Report date", "date"),
)


# Activities and indicators --------------------------------------------------------------------------

IND_COLUMNS: tuple[Field, ...] = (
    F("ind_task", "Міндет", "Задача", "Task", width=16),
    F("ind_activity", "Міндет шеңберіндегі іс-шаралар", "Мероприятия в рамках задачи", "Activity",
      width=18),
    F("ind_date_start", "Өткізілу күні (басы)", "Дата проведения (начало)", "Start date", "date",
      width=10),
    F("ind_date_end", "Өткізілу күні (соңы)", "Дата проведения (окончание)", "End date", "date",
      width=10),
    F("ind_place", "Өткізілу орны", "Место проведения", "Place", width=12),
    F("ind_participants", "Қатысушылардың саны", "Количество участников", "Participants", "count",
      width=9),
    F("ind_short_result", "Қол жеткізілген қысқа мерзімді нәтижелер",
      "Достигнутые краткосрочные результаты", "Short-term results", width=18),
    F("ind_indicator", "Сандық және сапалық көрсеткіштер", "Количественные и качественные показатели",
      "Indicator", width=20),
    F("ind_unit", "Өлшем бірлігі", "Единица измерения", "Unit", "choice", options="unit", width=11),
    F("ind_operator", "Жоспар талабы", "Условие плана", "Plan condition", "choice",
      options="operator", width=10),
    F("ind_plan", "Жоспар", "План", "Plan", "measure", width=9),
    F("ind_fact", "Факт", "Факт", "Fact", "measure", width=9),
    F("ind_long_result", "Ұзақ мерзімді нәтижелері/әсері (міндеттерге)",
      "Долгосрочные результаты/влияние (по задачам)", "Long-term results (per task)", width=18),
)

IND_COMPUTED: tuple[Computed, ...] = (
    Computed("calc_ind_percent", Text("Орындалуы, %", "Выполнение, %", "Achievement, %"), "percent",
             ("ind_fact", "ind_plan")),
    Computed("calc_ind_status", Text("Мәртебесі", "Статус", "Status"), "status",
             ("ind_fact", "ind_plan", "ind_operator")),
)

_INDICATORS = Table(
    "ind", Text("Іс-шаралар және индикаторлар", "Мероприятия и индикаторы",
                "Activities and indicators"),
    sheet="indicators", header_row=5, first_row=6, capacity=150,
    columns=IND_COLUMNS, computed=IND_COMPUTED,
    note=Text(
        "Бір жол – бір көрсеткіш. Міндет пен іс-шара бос болса – жоғарыдағы жолдағыдай. "
        "Іс-шара деректері (күндер, орны, қатысушылар, нәтиже) оның бірінші жолында бір рет жазылады. "
        "«4/1» сияқты жоспар – екі жол.",
        "Одна строка – один показатель. Пустые задача и мероприятие – как в строке выше. "
        "Данные мероприятия (даты, место, участники, результат) пишутся один раз, в его первой строке. "
        "План вида «4/1» – две строки.",
        "One row per indicator line; blank task/activity means same as above."),
)

_DEVIATION_NOTE = F(
    "deviation_note",
    "Жоспарланған нәтижелердің алынған нәтижелерге сәйкестігі / жоспардан ауытқудың негіздемесі",
    "Соответствие полученных результатов запланированным / обоснование отклонения от плана",
    "Justification of deviations from plan", "longtext")


# Socio-economic impact ------------------------------------------------------------------------------

_PERSON = Text("адам", "человек", "persons")
_TENGE = Text("теңге", "тенге", "tenge")
IMPACT_ROWS: tuple[ImpactRow, ...] = (
    ImpactRow("direct_beneficiaries", Text("Тікелей бенефициарлардың саны",
              "Количество прямых бенефициаров", "Direct beneficiaries"), _PERSON),
    ImpactRow("indirect_beneficiaries", Text(
        "Жанама бенефициарлардың саны (БАҚ-та жарықтандыру есебінен)",
        "Количество косвенных бенефициаров (за счёт освещения в СМИ)", "Indirect beneficiaries"),
        _PERSON),
    ImpactRow("staff", Text("Штаттық қызметкерлердің саны", "Количество штатных сотрудников",
              "Staff"), _PERSON),
    ImpactRow("specialists", Text("Тартылған мамандардың саны", "Количество привлечённых специалистов",
              "Specialists engaged"), _PERSON),
    ImpactRow("ngos", Text("Қамтылған ҮЕҰ саны", "Количество охваченных НПО", "NGOs involved"),
              Text("ұйым", "организация", "organizations")),
    ImpactRow("payroll", Text("Гранттың жалпы сомасынан еңбекақы төлеу қоры",
              "Фонд оплаты труда из общей суммы гранта", "Payroll"), _TENGE),
    ImpactRow("taxes", Text("Салықтар (тек штаттық қызметкерлердің ӘС, ӘА, МӘМС)",
              "Налоги (только СН, СО, ОСМС штатных сотрудников)", "Taxes"), _TENGE),
    ImpactRow("purchases", Text("Экономикаға қосқан үлесі (тауарлар мен қызметтерді сатып алу)",
              "Вклад в экономику (закупка товаров и услуг)", "Purchases of goods and services"),
              _TENGE),
    ImpactRow("partners", Text(
        "Әлеуметтік жоба серіктестерінің саны (заңды және/немесе жеке тұлғалар)",
        "Количество партнёров социального проекта (юридические и/или физические лица)",
        "Project partners"), Text("ұйым/адам", "организация/человек", "organizations/persons")),
)
MONEY_IMPACT = ("payroll", "taxes", "purchases")


def _impact_fields() -> tuple[Field, ...]:
    out = []
    for row in IMPACT_ROWS:
        kind = "amount" if row.key in MONEY_IMPACT else "count"
        out.append(Field(row.plan, Text(row.label.kk + " – жоспар", row.label.ru + " – план",
                                        row.label.en + " – plan"), kind))
        out.append(Field(row.fact, Text(row.label.kk + " – факт", row.label.ru + " – факт",
                                        row.label.en + " – fact"), kind))
    return tuple(out)


_IMPACT_FIELDS = _impact_fields()
_IMPACT_COMPUTED: tuple[Computed, ...] = tuple(
    Computed(f"calc_impact_{row.key}_percent", Text("Орындалуы, %", "Выполнение, %", "Achievement, %"),
             "percent", (row.fact, row.plan)) for row in IMPACT_ROWS
) + (
    Computed("calc_budget_total", Text("Еңбекақы + салықтар + сатып алу (факт), теңге",
                                       "ФОТ + налоги + закупки (факт), тенге",
                                       "Payroll + taxes + purchases (fact)"),
             "sum", ("impact_payroll_fact", "impact_taxes_fact", "impact_purchases_fact")),
    Computed("calc_budget_grant", Text("Бөлінген қаражаттың жалпы сомасы, теңге",
                                       "Общая сумма выделенных средств, тенге", "Total funds allocated"),
             "ref", ("grant_amount",)),
    Computed("calc_budget_diff", Text("Айырмасы (грант − шығыстар), теңге",
                                      "Разница (грант − расходы), тенге",
                                      "Difference (grant − spending)"),
             "diff", ("calc_budget_grant", "calc_budget_total")),
)


# Participant statistics -----------------------------------------------------------------------------

_STATS_FIELDS: tuple[Field, ...] = (
    F("stats_gender_total", "Жобаға қатысушылардың саны барлығы", "Всего участников проекта",
      "Participants, total", "count"),
    F("stats_male", "Ерлер", "Мужчины", "Men", "count"),
    F("stats_female", "Әйелдер", "Женщины", "Women", "count"),
    F("stats_cat_total", "Жобаға қатысушылардың саны барлығы", "Всего участников проекта",
      "Participants, total", "count"),
    F("stats_cat_children", "Балалар (оның ішінде мүгедектігі бар балалар)",
      "Дети (в том числе дети с инвалидностью)", "Children", "count"),
    F("stats_cat_youth", "Жастар", "Молодёжь", "Youth", "count"),
    F("stats_cat_civil_servants", "Мемлекеттік қызметкерлер", "Государственные служащие",
      "Civil servants", "count"),
    F("stats_cat_budget_workers", "Бюджеттік ұйымдар жұмысшылары", "Работники бюджетных организаций",
      "Public-sector workers", "count"),
    F("stats_cat_disabled", "Мүгедектігі бар тұлғалар", "Лица с инвалидностью",
      "Persons with disabilities", "count"),
    F("stats_cat_elderly", "Егде жастағы адамдар (50 жастан жоғары)", "Пожилые люди (старше 50 лет)",
      "Elderly (over 50)", "count"),
    F("stats_cat_unemployed", "Жұмыссыздар", "Безработные", "Unemployed", "count"),
    F("stats_cat_ngo", "Қоғамдық ұйымдардың өкілдері", "Представители общественных организаций",
      "NGO representatives", "count"),
    F("stats_cat_business", "Бизнес-сектор өкілдері", "Представители бизнес-сектора",
      "Business representatives", "count"),
    F("stats_cat_other", "Басқа санаттар", "Другие категории", "Other categories", "count"),
    F("stats_age_total", "Жобаға қатысушылардың саны барлығы", "Всего участников проекта",
      "Participants, total", "count"),
    F("stats_age_13_16", "13-16 жас", "13-16 лет", "Age 13-16", "count"),
    F("stats_age_17_22", "17-22 жас", "17-22 лет", "Age 17-22", "count"),
    F("stats_age_23_27", "23-27 жас", "23-27 лет", "Age 23-27", "count"),
    F("stats_age_28_32", "28-32 жас", "28-32 лет", "Age 28-32", "count"),
    F("stats_age_33_45", "33-45 жас", "33-45 лет", "Age 33-45", "count"),
    F("stats_age_46_58", "46-58 жас", "46-58 лет", "Age 46-58", "count"),
    F("stats_age_59_plus", "59 жас және одан жоғары", "59 лет и старше", "Age 59+", "count"),
)

STATS_GROUPS: tuple[StatsGroup, ...] = (
    StatsGroup("gender", Text("Гендерлік көрсеткіш", "Гендерный показатель", "Gender"),
               "stats_gender_total", ("stats_male", "stats_female"), "gender-sum"),
    StatsGroup("cat", Text("Санаттар бойынша әлеуметтік дәрежесі", "Социальный статус по категориям",
                           "Social categories"),
               "stats_cat_total", tuple(f.name for f in _STATS_FIELDS
                                        if f.name.startswith("stats_cat_") and f.name != "stats_cat_total"),
               "category-sum"),
    StatsGroup("age", Text("Жас көрсеткіші", "Возрастной показатель", "Age"),
               "stats_age_total", tuple(f.name for f in _STATS_FIELDS
                                        if f.name.startswith("stats_age_") and f.name != "stats_age_total"),
               "age-sum"),
)

_STATS_COMPUTED: tuple[Computed, ...] = tuple(
    c for g in STATS_GROUPS for c in (
        Computed(f"calc_stats_{g.key}_sum", Text("Бөлінісінің қосындысы", "Сумма по разбивке",
                                                  "Sum of the breakdown"), "sum", g.parts),
        Computed(f"calc_stats_{g.key}_diff", Text("Айырмасы (қосынды − барлығы)",
                                                   "Разница (сумма − всего)", "Difference (sum − total)"),
                 "diff", (f"calc_stats_{g.key}_sum", g.total)),
    )
)


# Partners and sub-grants ----------------------------------------------------------------------------

_PARTNERS = Table(
    "partner", Text("Әлеуметтік жобаның серіктестері", "Партнёры социального проекта", "Partners"),
    sheet="partners", header_row=4, first_row=5, capacity=30,
    columns=(
        F("partner_name", "Ұйымның атауы / Серіктестің ТАӘ", "Наименование организации / ФИО партнёра",
          "Partner", width=40),
        F("partner_role", "Жобадағы рөлі", "Роль в проекте", "Role in the project", width=40),
        F("partner_contacts", "Ұйымның, серіктестің байланыстары", "Контакты организации, партнёра",
          "Contacts", width=30),
        F("partner_note", "Ескерту", "Примечание", "Note", width=30),
    ),
    note=Text(
        "Жобаны іске асыруға тікелей қатысатын, қызметі жобаның нәтижелеріне әсер етуі мүмкін ұйымдар. "
        "Серіктестерге логистика, тамақтану, жол жүру және т.б. бойынша қызмет көрсететін жеткізушілер "
        "кірмейді.",
        "Организации, непосредственно участвующие в реализации проекта и влияющие на его результаты. "
        "Поставщики услуг логистики, питания, проезда и т.п. партнёрами не являются.",
        "Suppliers of logistics, catering or travel are not partners."),
)

_SUBGRANTS = Table(
    "subgrant", Text("Шағын гранттар", "Малые гранты", "Small grants"),
    sheet="subgrants", header_row=4, first_row=5, capacity=50,
    columns=(
        F("subgrant_recipient", "Жеңімпаз атанған өтінім беруші", "Получатель малого гранта", "Recipient",
          width=40),
        F("subgrant_type", "Түрі", "Тип получателя", "Recipient type", "choice", options="subgrant_type",
          width=20),
        F("subgrant_locality", "Жоба жүзеге асырылатын елді мекен", "Населённый пункт реализации",
          "Locality", width=30),
        F("subgrant_amount", "Сомасы, теңге", "Сумма, тенге", "Amount, tenge", "amount", width=16),
    ),
    computed=(),
    note=Text("Міндетті емес: жоба шағын гранттар берген жағдайда толтырылады.",
              "Необязательно: заполняется, если проект выдавал малые гранты.",
              "Optional: fill in when the project gave small grants."),
)
_SUBGRANT_TOTAL = Computed("calc_subgrant_total", Text("Барлығы, теңге", "Итого, тенге", "Total, tenge"),
                          "column_sum", ("subgrant_amount",))

_TABLES: tuple[Table, ...] = (_INDICATORS, _PARTNERS, _SUBGRANTS)


# Narratives -----------------------------------------------------------------------------------------

_NARRATIVES: tuple[Field, ...] = (
    F("text_activities", "1. Әлеуметтік жоба шеңберіндегі іс-шараларды сипаттаңыз",
      "1. Опишите мероприятия в рамках социального проекта", "1. Activities", "longtext", "final"),
    F("text_goal", "2. Мақсатқа жету (фактілер мен дәлелдер)",
      "2. Достижение цели (факты и доказательства)", "2. Achieving the goal", "longtext", "final"),
    F("text_change", "3. Әлеуметтік және басқа да өзгерістерді өлшеу (жобаға дейін / кейін)",
      "3. Измерение социальных и иных изменений (до / после проекта)", "3. Measured change",
      "longtext", "final"),
    F("text_success_story", "3.1. «Жетістік тарихы» (5–8 сөйлем, бір қызмет алушы туралы)",
      "3.1. «История успеха» (5–8 предложений об одном благополучателе)", "3.1. Success story",
      "longtext", "final"),
    F("text_story_person", "3.1. Жетістік тарихының кейіпкері (аты-жөні)",
      "3.1. Герой истории успеха (ФИО)", "3.1. Success story: beneficiary name"),
    F("text_story_contact", "3.1. Жетістік тарихы кейіпкерінің байланысы", "3.1. Контакт героя истории успеха",
      "3.1. Success story: beneficiary contact"),
    F("text_results", "5.1. Нысаналы топтар алған нақты нәтижелер",
      "5.1. Конкретные результаты, полученные целевыми группами", "5.1. Results for target groups",
      "longtext", "final"),
    F("text_long_term", "5.2. Проблемаға ұзақ мерзімді әсері (оң / теріс)",
      "5.2. Долгосрочное влияние на проблему (положительное / отрицательное)", "5.2. Long-term effect",
      "longtext", "final"),
    F("text_sustainability", "5.3. Жобаның тұрақтылығы", "5.3. Устойчивость проекта", "5.3. Sustainability",
      "longtext", "final"),
    F("text_socio_economic", "5.4. Әлеуметтік-экономикалық әсері", "5.4. Социально-экономический эффект",
      "5.4. Socio-economic effect", "longtext", "final"),
    F("text_partners", "6. Серіктестердің, билік органдарының үлесін талдау",
      "6. Анализ вклада партнёров и органов власти", "6. Contribution of partners", "longtext",
      "final"),
)
# Narratives that an interim report may leave blank (spec section 8).
INTERIM_OPTIONAL = frozenset({"text_change", "text_success_story", "text_long_term",
                              "text_sustainability"})

# The signature block at the end of the report, as in the official form (template 1.1.0 on). Optional:
# the paper is signed by hand; a blank name means the head given in the header.
_SIGNATURE_FIELDS: tuple[Field, ...] = (
    F("sign_position", "Басшының лауазымы", "Должность руководителя", "Head's position",
      hint=Text("мысалы: төраға, директор", "например: председатель, директор",
                "e.g. chair, director")),
    F("sign_name", "Қол қоюшы басшының тегі, аты, әкесінің аты",
      "Фамилия, имя, отчество подписывающего руководителя", "Name of the head who signs",
      hint=Text("бос болса, «Жалпы мәліметтер» парағындағы басшы алынады",
                "если пусто, берётся руководитель с листа «Общие сведения»",
                "blank means the head named in the header")),
    F("sign_date", "Қол қойылған күні", "Дата подписания", "Date signed", "date"),
)

_META_FIELDS: tuple[Field, ...] = (
    F("meta_template_id", "template_id", "template_id", "template_id"),
    F("meta_template_version", "template_version", "template_version", "template_version"),
    F("meta_lang", "lang", "lang", "lang"),
    # The operator's self-check page (esep template --check-url); blank until set.
    F("meta_check_url", "check_url", "check_url", "check_url"),
)


# Template texts (template.py lays these out; no layout here) ----------------------------------------

FORM_TITLE = Text("Әлеуметтік жобаны іске асыру нәтижелері бойынша қорытынды есеп",
                  "Итоговый отчёт о результатах реализации социального проекта",
                  "Final report on the results of a social project")

# Row-1 titles of the sheets that have no table label of their own.
SHEET_HEADINGS = {
    "guide": FORM_TITLE,
    "header": FORM_TITLE,
    "impact": Text("Әлеуметтік жобаның әлеуметтік-экономикалық әсері",
                   "Социально-экономический эффект социального проекта", "Socio-economic impact"),
    # Section 4 of the official form; the other sections are on the narratives sheet (1–3, 5, 6).
    "stats": Text("4. Әлеуметтік жобаға қатысушылар бөлінісінде статистикалық ақпарат",
                  "4. Статистическая информация в разрезе участников социального проекта",
                  "4. Participant statistics"),
    "narratives": Text("Әлеуметтік жобаны іске асыру нәтижелерінің сипаттамасы",
                       "Описание результатов реализации социального проекта", "Narratives"),
}

# Column headings and small labels of the template.
TEMPLATE_TEXTS = {
    "number": Text("№", "№", "No."),
    "header_label": Text("Көрсеткіш", "Показатель", "Item"),
    "header_value": Text("Мәні", "Значение", "Value"),
    "header_hint": Text("Түсініктеме", "Пояснение", "Notes"),
    "required": Text("міндетті", "обязательно", "required"),
    "required_final": Text("қорытынды есепте міндетті", "обязательно в итоговом отчёте",
                           "required in a final report"),
    "impact_indicator": Text("Индикатор", "Индикатор", "Indicator"),
    "impact_unit": Text("Өлшем бірлігі", "Единица измерения", "Unit"),
    "impact_plan": Text("Жоспарланған деңгейі", "Плановый уровень", "Planned"),
    "impact_fact": Text("Нақты деңгейі", "Фактический уровень", "Actual"),
    "budget_title": Text("Шығыстарды грант сомасымен салыстыру (факт)",
                         "Сравнение расходов с суммой гранта (факт)", "Spending against the grant (fact)"),
    "narrative_section": Text("Бөлім", "Раздел", "Section"),
    "narrative_text": Text("Мәтін", "Текст", "Text"),
    "narrative_note": Text(
        "Ұзын мәтінді бірнеше ұяшыққа жазыңыз: бір ұяшыққа {chars} таңбадан аспасын (әйтпесе басып "
        "шығарғанда кесіледі), жалғасы – төмендегі ұяшыққа. Ұяшықтар бір мәтін болып оқылады.",
        "Длинный текст пишите в несколько ячеек: не более {chars} знаков в ячейке (иначе при печати он "
        "обрежется), продолжение – в ячейке ниже. Ячейки читаются как один текст.",
        "Write a long text over several cells, at most {chars} characters each (more is cut when printed); "
        "the cells are read as one text."),
    "deviation_pointer": Text("Жоспардан ауытқудың негіздемесін «{sheet}» парағына жазыңыз.",
                              "Обоснование отклонений от плана пишите на листе «{sheet}».",
                              "Write the justification of deviations on the «{sheet}» sheet."),
    "signature_title": Text("Үкіметтік емес ұйымның басшысы", "Руководитель неправительственной организации",
                            "Head of the NGO"),
    "signature": Text("Қолы", "Подпись", "Signature"),
    "seal": Text("М.О. (болған жағдайда)", "М.П. (при наличии)", "Seal (if any)"),
}


# Texts of the official document (`esep document`): what the paper says around the workbook's values.
DOCUMENT_TEXTS = {
    "annex": Text("Мемлекеттік грант беру туралы {date} № {number} шартқа 7-қосымша",
                  "Приложение 7 к договору о предоставлении государственного гранта от {date} № {number}",
                  "Annex 7 to the state grant agreement of {date} No. {number}"),
    "title_final": Text("Әлеуметтік жобаны іске асыру нәтижелері бойынша қорытынды есеп",
                        "Итоговый отчёт о результатах реализации социального проекта",
                        "Final report on the results of a social project"),
    "title_interim": Text("Әлеуметтік жобаны іске асыру нәтижелері бойынша аралық есеп",
                          "Промежуточный отчёт о результатах реализации социального проекта",
                          "Interim report on the results of a social project"),
    "header": Text("Жалпы мәліметтер", "Общие сведения", "General information"),
    "dates": Text("Өткізілу күні", "Дата проведения", "Dates"),
    "budget": Text("Шығыстарды грант сомасымен салыстыру (факт)", "Сравнение расходов с суммой гранта (факт)",
                   "Spending against the grant (fact)"),
    "signature_line": Text("(қолы)", "(подпись)", "(signature)"),
    "date_line": Text("Күні", "Дата", "Date"),
    "none": Text("жоқ", "нет", "none"),
    "source": Text("{file} файлынан esep {version} жасады; сандар esep-пен қайта есептелген.",
                   "Составлено esep {version} из файла {file}; числа пересчитаны esep.",
                   "Made by esep {version} from {file}; figures recomputed by esep."),
}


@dataclass(frozen=True)
class Prompt:
    """Data-validation texts for one field type: input title (<= 32 characters), input message and
    error message (<= 255 characters each)."""
    title: Text
    message: Text
    error: Text | None = None


PROMPTS = {
    "text": Prompt(Text("Мәтін", "Текст", "Text"),
                   Text("Мәтінді енгізіңіз.", "Введите текст.", "Type the text.")),
    "longtext": Prompt(Text("Мәтін", "Текст", "Text"),
                       Text("Толық мәтін жазыңыз. Ұяшық ішінде жаңа жол: Alt+Enter.",
                            "Напишите полный текст. Новая строка внутри ячейки: Alt+Enter.",
                            "Write the full text. New line inside the cell: Alt+Enter.")),
    "date": Prompt(Text("Күні", "Дата", "Date"),
                   Text("Күнді КК.АА.ЖЖЖЖ түрінде енгізіңіз, мысалы 27.05.2024.",
                        "Введите дату в виде ДД.ММ.ГГГГ, например 27.05.2024.",
                        "Type the date as DD.MM.YYYY, e.g. 27.05.2024."),
                   Text("2000–2100 жылдар аралығындағы күн керек (КК.АА.ЖЖЖЖ).",
                        "Нужна дата между 2000 и 2100 годами (ДД.ММ.ГГГГ).",
                        "A date between 2000 and 2100 is expected (DD.MM.YYYY).")),
    "amount": Prompt(Text("Сома, теңге", "Сумма, тенге", "Amount, tenge"),
                     Text("Теңгемен сома, 0 немесе одан көп, тек сан: 7000000.",
                          "Сумма в тенге, 0 или больше, только число: 7000000.",
                          "Amount in tenge, 0 or more, a number only: 7000000."),
                     Text("Сома 0 немесе одан көп сан болуы керек.",
                          "Сумма должна быть числом не меньше 0.",
                          "The amount must be a number of at least 0.")),
    "count": Prompt(Text("Бүтін сан", "Целое число", "Whole number"),
                    Text("Бүтін сан, 0 немесе одан көп. Бос ұяшық немесе «-» 0 деп саналады.",
                         "Целое число, 0 или больше. Пустая ячейка или «-» означает 0.",
                         "A whole number, 0 or more. A blank cell or '-' counts as 0."),
                    Text("Бүтін сан (0 немесе одан көп) күтіледі; «-» немесе бос ұяшық 0 деп саналады.",
                         "Ожидается целое число (0 или больше); «-» или пустая ячейка означает 0.",
                         "A whole number (0 or more) is expected; '-' or a blank cell counts as 0.")),
    "measure": Prompt(Text("Сан", "Число", "Number"),
                      Text("Нақты санды жазыңыз (% үшін 0–100). «кемінде 20» сияқты шекті мән "
                           "қабылданады, бірақ тексеруде белгіленеді.",
                           "Введите число (для % от 0 до 100). Порог вида «не менее 20» принимается, "
                           "но отмечается при проверке.",
                           "Type the number (0–100 for %). A threshold like 'at least 20' is accepted "
                           "but flagged by the check."),
                      Text("Сан күтіледі (% үшін 0–100). Мәтін қалдырылады, бірақ тексеруде белгіленеді.",
                           "Ожидается число (для % от 0 до 100). Текст останется, но будет отмечен "
                           "при проверке.",
                           "A number is expected (0–100 for %). Text is kept but flagged by the check.")),
    "number": Prompt(Text("Сан", "Число", "Number"),
                     Text("Сан, 0 немесе одан көп.", "Число, 0 или больше.", "A number, 0 or more."),
                     Text("0 немесе одан көп сан керек.", "Нужно число не меньше 0.",
                          "A number of at least 0 is expected.")),
    "choice": Prompt(Text("Тізімнен таңдаңыз", "Выберите из списка", "Pick from the list"),
                     Text("Мәнді ашылмалы тізімнен таңдаңыз.",
                          "Выберите значение из раскрывающегося списка.",
                          "Pick a value from the drop-down list."),
                     Text("Бұл мән тізімде жоқ. Ашылмалы тізімнен таңдаңыз.",
                          "Этого значения нет в списке. Выберите из раскрывающегося списка.",
                          "This value is not in the list. Pick one from the drop-down.")),
    "bin": Prompt(Text("БСН", "БИН", "BIN"),
                  Text("БСН: 12 цифр, бос орынсыз.", "БИН: 12 цифр без пробелов.",
                       "BIN: 12 digits, no spaces."),
                  Text("БСН 12 цифрдан тұрады.", "БИН состоит из 12 цифр.", "A BIN has 12 digits.")),
    "phone": Prompt(Text("Телефон", "Телефон", "Phone"),
                    Text("Қазақстандық нөмір.", "Казахстанский номер.", "A Kazakhstan number.")),
    "email": Prompt(Text("Электрондық пошта", "Электронная почта", "E-mail"),
                    Text("Мысалы: info@example.kz", "Например: info@example.kz", "E.g. info@example.kz")),
}

# The guide sheet, paragraph by paragraph: (kind, text). Kinds: "title", "heading", "text",
# "sample_input" and "sample_formula" (a colour legend line), "template" ({template_id}, {version}).
GUIDE: tuple[tuple[str, Text], ...] = (
    ("title", FORM_TITLE),
    ("text", Text(
        "Бұл файл – мемлекеттік грант беру туралы шарттың № 7 қосымшасы бойынша әлеуметтік жобаны іске "
        "асыру нәтижелері туралы есеп (аралық немесе қорытынды). Оны грант алған үкіметтік емес ұйым "
        "толтырады.",
        "Этот файл – отчёт о результатах реализации социального проекта по приложению № 7 к договору о "
        "предоставлении государственного гранта (промежуточный или итоговый). Его заполняет "
        "неправительственная организация – получатель гранта.",
        "This file is the report on a social project funded by a state grant (Annex 7 to the agreement).")),
    ("heading", Text("Қалай толтыру керек", "Как заполнять", "How to fill it in")),
    ("text", Text("Тек түсті (сары) ұяшықтарды толтырыңыз; қалған ұяшықтар қорғалған.",
                  "Заполняйте только цветные (жёлтые) ячейки; остальные защищены.",
                  "Fill in the tinted (yellow) cells only; the rest is protected.")),
    ("text", Text("Тізімі бар ұяшықта мәнді ашылмалы тізімнен таңдаңыз.",
                  "В ячейке со списком выберите значение из раскрывающегося списка.",
                  "Where a cell has a drop-down, pick the value from it.")),
    ("text", Text("Сандарды тек сан ретінде жазыңыз (7000000, «7 млн» емес). Сандық ұяшықтағы бос мән "
                  "немесе «-» 0 деп саналады. Күндер: КК.АА.ЖЖЖЖ.",
                  "Числа пишите только числом (7000000, а не «7 млн»). Пустая ячейка или «-» в числовой "
                  "ячейке означает 0. Даты: ДД.ММ.ГГГГ.",
                  "Type numbers as numbers; a blank or '-' counts as 0. Dates: DD.MM.YYYY.")),
    ("text", Text("«Индикаторлар» парағында бір жол – бір көрсеткіш. Міндет немесе іс-шара ұяшығы бос "
                  "болса, ол жоғарыдағы жолдағыдай деп есептеледі.",
                  "На листе «Индикаторы» одна строка – один показатель. Пустые ячейки задачи или "
                  "мероприятия означают «как в строке выше».",
                  "Indicators: one row per indicator line; a blank task or activity means same as above.")),
    ("text", Text("Сұр ұяшықтардағы формулалар өздігінен есептеледі: олардың үстінен жазбаңыз.",
                  "Серые ячейки с формулами считаются сами: не пишите поверх них.",
                  "Grey formula cells update by themselves: do not type over them.")),
    ("heading", Text("Түстер", "Цвета", "Colours")),
    ("sample_input", Text("Толтырылатын ұяшық", "Ячейка для заполнения", "Input cell")),
    ("sample_formula", Text("Формула (өздігінен есептеледі)", "Формула (считается сама)",
                            "Formula (computed)")),
    ("heading", Text("Қалай тексеру және қайда жіберу керек", "Как проверить и куда отправить",
                     "How to check it and where to send it")),
    # The operator's self-check page when the template was made with one, else "send it to the
    # operator" (toolkit.vocabulary.SELF_CHECK / SELF_CHECK_NO_URL).
    ("self_check", Text("{self_check}", "{self_check}", "{self_check}")),
    ("template", Text("Үлгі: {template_id}, нұсқасы {version}", "Шаблон: {template_id}, версия {version}",
                      "Template: {template_id}, version {version}")),
)


# Layout: where every field and formula lives ---------------------------------------------------------
# These cells are the fallback the reader uses when defined names are missing, so they are part of the
# template version: change them only with a version bump.
# The sections above declare fields and formulas without cells (_HEADER_FIELDS, _TABLES, ...); this one
# places them and binds each public constant (HEADER_FIELDS, TABLES, ...) once, with its cells.

HEADER_FIRST_ROW = 4          # header sheet: label in A, input in B, hint in C
IMPACT_FIRST_ROW = 4          # impact sheet: A №, B indicator, C unit, D plan, E fact, F percent
STATS_LAYOUT = {"gender": 4, "cat": 10, "age": 25}   # first row (the total) of each block; A label, B value
NARRATIVE_FIRST_ROW = 4       # narratives sheet: the first label row; labels and texts in B, parts № in A
# A narrative is typed over NARRATIVE_ROWS cells, one under the other, read as one text (the non-blank
# cells joined by line breaks). One cell prints on one page and Excel caps a row at 409 pt, about
# NARRATIVE_CELL_CHARS characters in the page-wide column; longer texts continue in the next cell.
NARRATIVE_ROWS = 6
NARRATIVE_CELL_CHARS = 1500


def _place(f, sheet: str, cell: str, last: str = ""):
    return type(f)(**{**f.__dict__, "sheet": sheet, "cell": cell, "last": last})


def _layout_tables() -> tuple[Table, ...]:
    out = []
    for table in _TABLES:
        cols = []
        comp = []
        # Column A holds the row number; inputs start at B. Computed columns of the indicator table go
        # right after the fact column so the person filling sees plan, fact, %, status together.
        col = 1
        for f in table.columns:
            cols.append(_place(f, table.sheet, f"{col_letters(col)}{table.first_row}",
                               f"{col_letters(col)}{table.last_row}"))
            col += 1
            if f.name == "ind_fact":
                for c in table.computed:
                    comp.append(_place(c, table.sheet, f"{col_letters(col)}{table.first_row}",
                                       f"{col_letters(col)}{table.last_row}"))
                    col += 1
        out.append(Table(**{**table.__dict__, "columns": tuple(cols), "computed": tuple(comp)}))
    return tuple(out)


INDICATORS, PARTNERS, SUBGRANTS = TABLES = _layout_tables()
SUBGRANT_TOTAL = _place(_SUBGRANT_TOTAL, "subgrants",
                        f"{next(f for f in SUBGRANTS.columns if f.name == 'subgrant_amount').cell[0]}"
                        f"{SUBGRANTS.last_row + 1}")

HEADER_FIELDS = tuple(_place(f, "header", f"B{HEADER_FIRST_ROW + i}") for i, f in enumerate(_HEADER_FIELDS))

IMPACT_FIELDS = tuple(
    _place(f, "impact", f"{'D' if f.name.endswith('_plan') else 'E'}{IMPACT_FIRST_ROW + i // 2}")
    for i, f in enumerate(_IMPACT_FIELDS))
_budget_row = IMPACT_FIRST_ROW + len(IMPACT_ROWS) + 1
IMPACT_COMPUTED = tuple(
    _place(c, "impact", f"F{IMPACT_FIRST_ROW + i}") if c.kind == "percent"
    else _place(c, "impact", f"E{_budget_row + ['calc_budget_total', 'calc_budget_grant', 'calc_budget_diff'].index(c.name)}")
    for i, c in enumerate(_IMPACT_COMPUTED))


def _layout_stats():
    fields = {f.name: f for f in _STATS_FIELDS}
    placed, comp = [], []
    by_name = {c.name: c for c in _STATS_COMPUTED}
    for g in STATS_GROUPS:
        row = STATS_LAYOUT[g.key]
        for i, name in enumerate((g.total,) + g.parts):
            placed.append(_place(fields[name], "stats", f"B{row + i}"))
        end = row + 1 + len(g.parts)
        comp.append(_place(by_name[f"calc_stats_{g.key}_sum"], "stats", f"B{end}"))
        comp.append(_place(by_name[f"calc_stats_{g.key}_diff"], "stats", f"B{end + 1}"))
    return tuple(placed), tuple(comp)


STATS_FIELDS, STATS_COMPUTED = _layout_stats()


def _layout_narratives():
    """The narratives sheet, one page-wide column B: each text under its label row (a long text over
    NARRATIVE_ROWS cells), then the signature block: its heading, each field under its label, the
    signature line after the name and the seal after the date."""
    row = NARRATIVE_FIRST_ROW
    texts = []
    for f in (_DEVIATION_NOTE,) + _NARRATIVES:
        n = NARRATIVE_ROWS if f.type == "longtext" else 1
        texts.append(_place(f, "narratives", f"B{row + 1}", f"B{row + n}" if n > 1 else ""))
        row += 1 + n
    heading = row + 1
    row = heading + 1
    signs = []
    for f in _SIGNATURE_FIELDS:
        signs.append(_place(f, "narratives", f"B{row + 1}"))
        row += 2 + (f.name == "sign_name")           # the signature line follows the name
    return texts[0], tuple(texts[1:]), tuple(signs), heading


DEVIATION_NOTE, NARRATIVES, SIGNATURE_FIELDS, SIGNATURE_HEADING_ROW = _layout_narratives()
META_FIELDS = tuple(_place(f, "meta", f"B{i + 1}") for i, f in enumerate(_META_FIELDS))


# Lookups --------------------------------------------------------------------------------------------

SINGLE_FIELDS: tuple[Field, ...] = (HEADER_FIELDS + (DEVIATION_NOTE,) + IMPACT_FIELDS + STATS_FIELDS
                                    + NARRATIVES + SIGNATURE_FIELDS)
TABLE_FIELDS: tuple[Field, ...] = tuple(f for t in TABLES for f in t.columns)
ALL_FIELDS: tuple[Field, ...] = SINGLE_FIELDS + TABLE_FIELDS
COMPUTED: tuple[Computed, ...] = (INDICATORS.computed + IMPACT_COMPUTED + STATS_COMPUTED
                                  + (SUBGRANT_TOTAL,))
FIELD = {f.name: f for f in ALL_FIELDS + META_FIELDS}
COMPUTED_BY_NAME = {c.name: c for c in COMPUTED}
TABLE_OF = {f.name: t for t in TABLES for f in t.columns}
TABLE_OF.update({c.name: t for t in TABLES for c in t.computed})
TABLE = {t.key: t for t in TABLES}
STATS_GROUP = {g.key: g for g in STATS_GROUPS}


def input_names() -> list[str]:
    """Every defined name of an input, in form order (the spec's public contract)."""
    return [f.name for f in ALL_FIELDS]


def iter_named() -> Iterator[Field | Computed]:
    """Every named cell or column of the template: inputs, formulas and _meta."""
    yield from ALL_FIELDS
    yield from COMPUTED
    yield from META_FIELDS


def sheet_title(key: str, lang: str) -> str:
    return SHEET[key].name(lang)


def label(name: str, lang: str) -> str:
    item = FIELD.get(name) or COMPUTED_BY_NAME.get(name)
    return item.label.get(lang) if item else name


def option_lookup(list_key: str) -> dict[str, str]:
    """Every way a user may type an option (code, Kazakh or Russian label, case-insensitive) -> code."""
    table: dict[str, str] = {}
    for o in LIST[list_key].options:
        for text in (o.code, o.label.kk, o.label.ru, o.label.en):
            table[_fold(text)] = o.code
    if list_key == "operator":
        for text, code in (("=", "eq"), (">=", "ge"), ("<=", "le"), ("≥", "ge"), ("≤", "le"), ("=>", "ge"),
                           ("=<", "le"), ("кемінде", "ge"), ("кем емес", "ge"), ("не менее", "ge"),
                           ("аспайды", "le"), ("аспайды (≤)", "le"), ("көп дегенде", "le"), ("не более", "le"),
                           ("дәл", "eq"), ("ровно", "eq")):
            table[_fold(text)] = code
    return table


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def fold(text: str) -> str:
    """Normalise typed text for comparison with drop-down options."""
    return _fold(text)


def option_label(list_key: str, code: str, lang: str) -> str:
    for o in LIST[list_key].options:
        if o.code == code:
            return o.label.get(lang)
    return code


# Template versions --------------------------------------------------------------------------------------
# esep reads every version listed in LAYOUTS, each at its own cells; any other version is refused
# (template-unknown) with the advice to copy the data into the current template (`esep upgrade`).
# A version's layout is frozen once released: the reader falls back to these cells when a workbook's
# defined names are missing or broken, and a field absent from a version is simply not read there.

@dataclass(frozen=True)
class Layout:
    version: str
    places: dict                   # defined name -> (sheet key, first cell, last cell or "")
    titles: dict                   # sheet key -> Text: the sheet titles of that version

    def has(self, name: str) -> bool:
        return name in self.places

    def place(self, name: str) -> tuple[str, str, str] | None:
        return self.places.get(name)

    def sheet_title(self, key: str, lang: str) -> str:
        return self.titles[key].get(lang)


def _frozen(version: str, places: str, titles: dict) -> Layout:
    """A released layout from its listing: "name sheet cell[:last]" triples."""
    words = places.split()
    out = {}
    for name, sheet, ref in zip(words[0::3], words[1::3], words[2::3]):
        first, _, last = ref.partition(":")
        out[name] = (sheet, first, last)
    return Layout(version, out, titles)


_TITLES_1_0_0 = {key: Text(kk, ru, en) for key, kk, ru, en in (
    ("guide", "Нұсқаулық", "Инструкция", "Guide"), ("header", "Жалпы мәліметтер", "Общие сведения", "Header"),
    ("indicators", "Индикаторлар", "Индикаторы", "Indicators"),
    ("impact", "Әлеуметтік-экономикалық әсер", "Социально-экономический эффект", "Impact"),
    ("stats", "Статистика", "Статистика", "Statistics"), ("partners", "Серіктестер", "Партнёры", "Partners"),
    ("subgrants", "Шағын гранттар", "Субгранты", "Sub-grants"), ("narratives", "Сипаттамалар", "Описания", "Narratives"),
    ("lists", "_lists", "_lists", "_lists"), ("meta", "_meta", "_meta", "_meta"))}
LAYOUT_1_0_0 = _frozen("1.0.0", """
    report_type header B4  agreement_no header B5  agreement_date header B6  org_name header B7
    org_bin header B8  org_head header B9  org_address header B10  org_phone header B11
    org_email header B12  region header B13  project_name header B14  project_goal header B15
    project_result header B16  period_start header B17  period_end header B18  grant_amount header B19
    report_date header B20  deviation_note indicators B3  impact_direct_beneficiaries_plan impact D4
    impact_direct_beneficiaries_fact impact E4  impact_indirect_beneficiaries_plan impact D5
    impact_indirect_beneficiaries_fact impact E5  impact_staff_plan impact D6  impact_staff_fact impact E6
    impact_specialists_plan impact D7  impact_specialists_fact impact E7  impact_ngos_plan impact D8
    impact_ngos_fact impact E8  impact_payroll_plan impact D9  impact_payroll_fact impact E9
    impact_taxes_plan impact D10  impact_taxes_fact impact E10  impact_purchases_plan impact D11
    impact_purchases_fact impact E11  impact_partners_plan impact D12  impact_partners_fact impact E12
    stats_gender_total stats B4  stats_male stats B5  stats_female stats B6  stats_cat_total stats B10
    stats_cat_children stats B11  stats_cat_youth stats B12  stats_cat_civil_servants stats B13
    stats_cat_budget_workers stats B14  stats_cat_disabled stats B15  stats_cat_elderly stats B16
    stats_cat_unemployed stats B17  stats_cat_ngo stats B18  stats_cat_business stats B19
    stats_cat_other stats B20  stats_age_total stats B25  stats_age_13_16 stats B26
    stats_age_17_22 stats B27  stats_age_23_27 stats B28  stats_age_28_32 stats B29
    stats_age_33_45 stats B30  stats_age_46_58 stats B31  stats_age_59_plus stats B32
    text_activities narratives B3  text_goal narratives B4  text_change narratives B5
    text_success_story narratives B6  text_story_person narratives B7  text_story_contact narratives B8
    text_results narratives B9  text_long_term narratives B10  text_sustainability narratives B11
    text_socio_economic narratives B12  text_partners narratives B13  ind_task indicators B6:B155
    ind_activity indicators C6:C155  ind_date_start indicators D6:D155  ind_date_end indicators E6:E155
    ind_place indicators F6:F155  ind_participants indicators G6:G155  ind_short_result indicators H6:H155
    ind_indicator indicators I6:I155  ind_unit indicators J6:J155  ind_operator indicators K6:K155
    ind_plan indicators L6:L155  ind_fact indicators M6:M155  ind_long_result indicators P6:P155
    partner_name partners B5:B34  partner_role partners C5:C34  partner_contacts partners D5:D34
    partner_note partners E5:E34  subgrant_recipient subgrants B5:B54  subgrant_type subgrants C5:C54
    subgrant_locality subgrants D5:D54  subgrant_amount subgrants E5:E54
    calc_ind_percent indicators N6:N155  calc_ind_status indicators O6:O155
    calc_impact_direct_beneficiaries_percent impact F4
    calc_impact_indirect_beneficiaries_percent impact F5  calc_impact_staff_percent impact F6
    calc_impact_specialists_percent impact F7  calc_impact_ngos_percent impact F8
    calc_impact_payroll_percent impact F9  calc_impact_taxes_percent impact F10
    calc_impact_purchases_percent impact F11  calc_impact_partners_percent impact F12
    calc_budget_total impact E14  calc_budget_grant impact E15  calc_budget_diff impact E16
    calc_stats_gender_sum stats B7  calc_stats_gender_diff stats B8  calc_stats_cat_sum stats B21
    calc_stats_cat_diff stats B22  calc_stats_age_sum stats B33  calc_stats_age_diff stats B34
    calc_subgrant_total subgrants E55  meta_template_id meta B1  meta_template_version meta B2
    meta_lang meta B3
""", _TITLES_1_0_0)


def _current_layout() -> Layout:
    return Layout(TEMPLATE_VERSION, {x.name: (x.sheet, x.cell, x.last) for x in iter_named()},
                  {s.key: s.title for s in SHEETS})



def spread(f: Field) -> int:
    """How many cells a single field is typed over (1, or NARRATIVE_ROWS for a long narrative)."""
    if not f.last:
        return 1
    return int(f.last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - int(f.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + 1


def join_parts(parts) -> str | None:
    """One text from the cells a narrative is typed over: the non-blank ones, as typed, joined by line
    breaks (None when all are blank)."""
    kept = [p if isinstance(p, str) else str(p) for p in parts if p is not None and str(p).strip()]
    return "\n".join(kept) if kept else None


def split_text(text: str, cells: int, limit: int = NARRATIVE_CELL_CHARS) -> list[str]:
    """A text cut into at most `cells` parts of about `limit` characters, only at line breaks, so that
    join_parts(parts) == text. A paragraph longer than `limit` stays whole; what does not fit in
    `cells` parts goes into the last one."""
    lines = text.split("\n")
    parts: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if "".join(parts[-1]).strip() and size + 1 + len(line) > limit and line.strip():
            parts.append([])
            size = -1
        parts[-1].append(line)
        size += 1 + len(line)
    out = ["\n".join(p) for p in parts]
    if len(out) > cells:
        out = out[:cells - 1] + ["\n".join(out[cells - 1:])]
    return out


# Self-check on import ---------------------------------------------------------------------------------

class FormError(Exception):
    """The form declaration is inconsistent (a bug in this module, caught at import)."""


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


def _check() -> None:
    names = [x.name for x in iter_named()] + [lst.name for lst in LISTS]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise FormError(f"duplicate defined names: {sorted(dupes)}")
    for n in names:
        # Excel refuses names that look like cell references ("abc1", "r1c1") or are "r"/"c".
        if not _NAME_RE.match(n) or re.match(r"^([a-z]{1,3}\d+|r\d*c\d*|[rc])$", n):
            raise FormError(f"bad defined name {n!r}")
    cells = {}
    for x in iter_named():
        if not x.sheet or not x.cell:
            raise FormError(f"{x.name} has no place in the layout")
        key = (x.sheet, x.cell)
        if key in cells:
            raise FormError(f"{x.name} and {cells[key]} share {x.sheet}!{x.cell}")
        cells[key] = x.name
    texts = [x.label for x in iter_named()] + [s.title for s in SHEETS] + [
        o.label for lst in LISTS for o in lst.options] + list(STATUSES.values())
    for t in texts:
        if not t.kk.strip() or not t.ru.strip():
            raise FormError(f"label missing in one language: {t}")
    for lang in LANGS + ("en",):
        titles = [s.name(lang) for s in SHEETS] + [VALIDATION_SHEET.get(lang)]
        if len(set(t.casefold() for t in titles)) != len(titles):
            raise FormError(f"duplicate sheet titles in {lang}")
        for t in titles:
            if not t or len(t) > 31 or _BAD_TITLE.search(t) or t.startswith("'") or t.endswith("'"):
                raise FormError(f"sheet title Excel would refuse: {t!r}")
    for f in ALL_FIELDS:
        if f.type not in TYPES:
            raise FormError(f"{f.name}: unknown type {f.type}")
        if f.type == "choice" and f.options not in LIST:
            raise FormError(f"{f.name}: unknown option list {f.options!r}")
        if f.required not in ("", "always", "final"):
            raise FormError(f"{f.name}: bad required {f.required!r}")
    known = set(FIELD) | set(COMPUTED_BY_NAME)
    for c in COMPUTED:
        for a in c.args:
            if a not in known:
                raise FormError(f"{c.name}: unknown argument {a}")
    for f in SINGLE_FIELDS:
        if f.last and (f.type != "longtext" or f.cell.rstrip("0123456789") != f.last.rstrip("0123456789")
                       or spread(f) < 2):
            raise FormError(f"{f.name}: only a long text may spread over cells of one column")
    for t in TABLES:
        lengths = {(int(re.sub(r'\D', '', f.last)) - int(re.sub(r'\D', '', f.cell))) for f in t.columns}
        if lengths != {t.capacity - 1}:
            raise FormError(f"table {t.key}: columns of unequal length")
    # Excel refuses validation titles over 32 and messages over 255 UTF-16 units.
    if set(PROMPTS) != set(TYPES):
        raise FormError(f"PROMPTS must cover every type: {sorted(set(TYPES) ^ set(PROMPTS))}")
    u16 = lambda s: len(s.encode("utf-16-le")) // 2  # noqa: E731
    for p in PROMPTS.values():
        for lang in LANGS:
            if u16(p.title.get(lang)) > 32 or u16(p.message.get(lang)) > 255 or (
                    p.error and u16(p.error.get(lang)) > 255):
                raise FormError(f"validation text too long for Excel: {p.title.get(lang)!r}")
    for t in [x for _, x in GUIDE] + list(TEMPLATE_TEXTS.values()) + list(SHEET_HEADINGS.values()):
        if not t.kk.strip() or not t.ru.strip():
            raise FormError(f"label missing in one language: {t}")


LAYOUTS: dict[str, Layout] = {"1.0.0": LAYOUT_1_0_0, TEMPLATE_VERSION: _current_layout()}
CURRENT_LAYOUT = LAYOUTS[TEMPLATE_VERSION]


def layout(version: str | None) -> Layout | None:
    """The layout of an accepted template version (blank: the current one), else None."""
    return LAYOUTS.get(str(version or TEMPLATE_VERSION).strip())


_check()
