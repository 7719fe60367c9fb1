"""Findings as data, and the one catalogue of their codes, severities and messages (kk / ru / en).

A finding is what the tool says about one place in one workbook. It carries raw data (code, where,
value found, value expected, parameters); its message is rendered late, in the reader's language,
from the catalogue below. Codes are stable kebab-case strings: other tools filter on them.
"""
from __future__ import annotations

import datetime as _dt
import dataclasses
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    kk: str
    ru: str
    en: str
    title: str          # one English line for documentation (README's rule table)


def _c(code, severity, title, kk, ru, en) -> Code:
    return Code(code, severity, kk, ru, en, title)


# Message templates use {placeholders}: {label} (the field's label in the message language), {value},
# {expected}, {cell}, {sheet}, {row} and rule-specific parameters. Values are formatted the way people
# write them ("1 076", "10.07.2024").
CATALOGUE: dict[str, Code] = {c.code: c for c in (
    _c("file-unreadable", "error", "not a readable .xlsx/.xlsm",
       "Файлды есеп ретінде оқу мүмкін емес: {reason}",
       "Файл нельзя прочитать как отчёт: {reason}",
       "The file cannot be read as a report: {reason}"),
    _c("template-unknown", "error", "not made from the esep template",
       "Файл есеп үлгісінен жасалмаған ({reason}). Есепті esep үлгісіне (final_report_kk.xlsx "
       "немесе final_report_ru.xlsx) толтырып, қайта жіберіңіз.",
       "Файл сделан не из шаблона отчёта ({reason}). Заполните отчёт в шаблоне esep "
       "(final_report_ru.xlsx или final_report_kk.xlsx) и отправьте снова.",
       "The file was not made from the report template ({reason}). Fill in the esep template "
       "(final_report_kk.xlsx or final_report_ru.xlsx) and send it again."),
    _c("template-outdated", "warning", "an older template version",
       "Үлгінің ескі нұсқасы ({value}); қазіргісі {expected}. Деректерді жаңа үлгіге `esep upgrade` "
       "арқылы көшіріңіз немесе келесі есепті жаңа үлгіге толтырыңыз.",
       "Устаревшая версия шаблона ({value}); текущая {expected}. Перенесите данные в новый шаблон "
       "командой `esep upgrade` или заполните следующий отчёт в новом шаблоне.",
       "Older template version ({value}); the current one is {expected}. Copy the data into the new "
       "template with `esep upgrade`, or use the new template next time."),
    _c("names-missing", "warning", "defined names deleted or broken; read from the template's cells",
       "Файлда {count} атаулы ұяшық жоқ немесе бұзылған (мысалы, «{label}»); мәндер үлгінің белгілі "
       "ұяшықтарынан оқылды. Түпнұсқа үлгіні пайдаланыңыз.",
       "В файле нет {count} именованных ячеек или они повреждены (например, «{label}»); значения "
       "прочитаны из известных ячеек шаблона. Используйте исходный шаблон.",
       "{count} defined names are missing or broken (e.g. «{label}»); values were read from the "
       "template's known cells. Use the original template."),
    _c("layout-changed", "warning", "the template's layout was changed (rows, columns or sheets)",
       "Үлгінің құрылымы өзгертілген: {reason}. Мәндер оқылды, бірақ тексеріңіз.",
       "Структура шаблона изменена: {reason}. Значения прочитаны, но проверьте их.",
       "The template's layout was changed: {reason}. Values were read; please check them."),
    _c("macros-present", "warning", "the workbook carries macros (never run; removed from the copy)",
       "Файлда макростар бар. Олар іске қосылмады және тексерілген көшірмеде жоқ. Есепті .xlsx "
       "ретінде сақтаңыз.",
       "В файле есть макросы. Они не запускались и удалены из проверенной копии. Сохраните отчёт как .xlsx.",
       "The file contains macros. They were not run and are not in the checked copy. Save the report "
       "as .xlsx."),
    _c("protection-removed", "info", "sheet protection was switched off",
       "«{sheet}» парағының қорғауы алынған: формулаларды кездейсоқ өшіріп алу оңай.",
       "С листа «{sheet}» снята защита: формулы легко случайно стереть.",
       "Sheet «{sheet}» is no longer protected: formulas are easy to overwrite by accident."),
    _c("required-value", "error", "a required field is blank",
       "«{label}» толтырылмаған. Толтырыңыз.",
       "Не заполнено: «{label}». Заполните.",
       "«{label}» is blank. Fill it in."),
    _c("type-error", "error", "a value that cannot be read as its type",
       "«{label}»: «{value}» {type} ретінде оқылмайды. {hint}",
       "«{label}»: «{value}» не читается как {type}. {hint}",
       "«{label}»: «{value}» cannot be read as {type}. {hint}"),
    _c("text-number", "info", "a number typed as text and read anyway",
       "«{label}»: «{value}» мәтін ретінде терілген, {expected} сан ретінде оқылды.",
       "«{label}»: «{value}» введено как текст, прочитано как число {expected}.",
       "«{label}»: «{value}» was typed as text and read as the number {expected}."),
    _c("text-date", "info", "a date typed as text and read anyway",
       "«{label}»: «{value}» мәтін ретінде терілген, {expected} күні ретінде оқылды.",
       "«{label}»: «{value}» введено как текст, прочитано как дата {expected}.",
       "«{label}»: «{value}» was typed as text and read as the date {expected}."),
    _c("dash-as-zero", "info", "a dash in a count read as zero",
       "«{label}»: «{value}» 0 ретінде оқылды.",
       "«{label}»: «{value}» прочитано как 0.",
       "«{label}»: «{value}» was read as 0."),
    _c("unknown-option", "warning", "a value outside its drop-down list",
       "«{label}»: «{value}» тізімде жоқ. Тізімнен таңдаңыз: {options}.",
       "«{label}»: значения «{value}» нет в списке. Выберите из списка: {options}.",
       "«{label}»: «{value}» is not in the list. Choose one of: {options}."),
    _c("bin-invalid", "error", "BIN is not 12 digits or its check digit is wrong",
       "БСН «{value}» қате: 12 цифр және дұрыс бақылау цифры болуы керек. Тіркеу куәлігінен тексеріңіз.",
       "БИН «{value}» неверен: нужно 12 цифр с правильной контрольной цифрой. Сверьте со справкой о "
       "регистрации.",
       "BIN «{value}» is invalid: it needs 12 digits with a correct check digit."),
    _c("phone-invalid", "warning", "not a Kazakhstan phone number",
       "Телефон «{value}» Қазақстан нөміріне ұқсамайды (+7 немесе 8, одан кейін 10 цифр).",
       "Телефон «{value}» не похож на казахстанский номер (+7 или 8 и 10 цифр).",
       "Phone «{value}» is not a Kazakhstan number (+7 or 8 followed by 10 digits)."),
    _c("period-order", "error", "period_end before period_start",
       "Жобаның аяқталу күні {value} басталу күнінен {expected} бұрын. Күндерді тексеріңіз.",
       "Дата окончания проекта {value} раньше даты начала {expected}. Проверьте даты.",
       "The project ends ({value}) before it starts ({expected}). Check the dates."),
    _c("agreement-after-start", "warning", "agreement_date later than period_start",
       "Шарт күні {value} жобаның басталу күнінен {expected} кейін.",
       "Дата договора {value} позже даты начала проекта {expected}.",
       "The agreement date {value} is after the project start {expected}."),
    _c("gender-sum", "error", "men + women differ from the gender total",
       "{parts} = {value}, бірақ барлығы {expected}.",
       "{parts} = {value}, но всего {expected}.",
       "{parts} = {value}, but the total is {expected}."),
    _c("category-sum", "error", "the ten categories do not add up to their total",
       "Санаттар қосындысы {value}, бірақ барлығы {expected}. Әр қатысушыны бір санатқа жатқызыңыз.",
       "Сумма по категориям {value}, но всего {expected}. Отнесите каждого участника к одной категории.",
       "The categories add up to {value}, but the total is {expected}."),
    _c("age-sum", "error", "the seven age bands do not add up to their total",
       "Жас топтарының қосындысы {value}, бірақ барлығы {expected}.",
       "Сумма по возрастным группам {value}, но всего {expected}.",
       "The age bands add up to {value}, but the total is {expected}."),
    _c("totals-disagree", "error", "the three statistics totals differ",
       "Қатысушылардың жалпы саны әртүрлі: гендер бойынша {gender}, санаттар бойынша {cat}, жас бойынша "
       "{age}. Бір санды жазыңыз.",
       "Общее число участников расходится: по полу {gender}, по категориям {cat}, по возрасту {age}. "
       "Укажите одно число.",
       "The participant totals differ: gender {gender}, categories {cat}, age {age}."),
    _c("beneficiaries-mismatch", "warning", "statistics total differs from direct beneficiaries (fact)",
       "Статистикадағы қатысушылар саны {value}, ал тікелей бенефициарлар (факт) {expected}.",
       "В статистике {value} участников, а прямых бенефициаров (факт) {expected}.",
       "The statistics count {value} participants, the direct beneficiaries (fact) are {expected}."),
    _c("elderly-age", "warning", "more elderly than people aged 46+",
       "Егде жастағы адамдар {value}, бірақ 46–58 және 59+ жас топтары бірге {expected}.",
       "Пожилых {value}, но в возрастных группах 46–58 и 59+ вместе {expected}.",
       "{value} elderly participants, but only {expected} aged 46 and over."),
    _c("budget-exceeds-grant", "error", "payroll + taxes + purchases exceed the grant",
       "Еңбекақы + салықтар + сатып алу = {value}, бұл грант сомасынан ({expected}) {diff} теңгеге артық.",
       "ФОТ + налоги + закупки = {value}, это больше суммы гранта ({expected}) на {diff} тенге.",
       "Payroll + taxes + purchases = {value}, {diff} tenge more than the grant ({expected})."),
    _c("budget-unaccounted", "warning", "payroll + taxes + purchases fall short of the grant",
       "Еңбекақы + салықтар + сатып алу = {value}, грант сомасы {expected}: {diff} теңге көрсетілмеген.",
       "ФОТ + налоги + закупки = {value}, сумма гранта {expected}: не показано {diff} тенге.",
       "Payroll + taxes + purchases = {value} against a grant of {expected}: {diff} tenge unaccounted."),
    _c("impact-not-met", "warning", "an impact fact below its plan",
       "«{label}»: факт {value} жоспардан ({expected}) төмен.",
       "«{label}»: факт {value} ниже плана ({expected}).",
       "«{label}»: the fact {value} is below the plan ({expected})."),
    _c("partners-count", "warning", "declared partners differ from the partner rows",
       "Серіктестер саны (факт) {value}, ал серіктестер кестесінде {expected} жол.",
       "Партнёров (факт) {value}, а строк в таблице партнёров: {expected}.",
       "Partners (fact) {value}, but rows in the partner table: {expected}."),
    _c("plan-missing", "error", "an indicator line without a plan",
       "{row}-жол, «{indicator}»: жоспар жазылмаған.",
       "Строка {row}, «{indicator}»: не указан план.",
       "Row {row}, «{indicator}»: the plan is missing."),
    _c("fact-missing", "error", "an indicator line without a fact",
       "{row}-жол, «{indicator}»: факт жазылмаған.",
       "Строка {row}, «{indicator}»: не указан факт.",
       "Row {row}, «{indicator}»: the fact is missing."),
    _c("fact-is-threshold", "warning", "a fact written as a threshold",
       "{row}-жол, «{indicator}»: факт «{value}» шек ретінде жазылған. Нақты қол жеткізілген мәнді "
       "жазыңыз (қазір {expected} ретінде оқылды).",
       "Строка {row}, «{indicator}»: факт «{value}» записан как порог. Укажите фактически достигнутое "
       "значение (сейчас прочитано как {expected}).",
       "Row {row}, «{indicator}»: the fact «{value}» is a threshold; give the actual value (read as "
       "{expected})."),
    _c("indicator-not-met", "warning", "an indicator's fact does not satisfy its plan",
       "{row}-жол, «{indicator}»: факт {value}, жоспар {expected}.",
       "Строка {row}, «{indicator}»: факт {value}, план {expected}.",
       "Row {row}, «{indicator}»: fact {value}, plan {expected}."),
    _c("deviation-unexplained", "error", "a plan is not met and the deviation is not justified",
       "Жоспарға жетпеген көрсеткіштер: {count}, бірақ ауытқудың негіздемесі жазылмаған ({value}). "
       "Себебін жазыңыз.",
       "Не достигли плана показателей: {count}, но обоснование отклонения не указано ({value}). "
       "Объясните причину.",
       "Indicators short of plan: {count}, but the deviation is not justified ({value})."),
    _c("percent-out-of-range", "error", "a % value outside 0–100",
       "«{label}»: {value}% 0–100 аралығынан тыс.",
       "«{label}»: {value}% вне диапазона 0–100.",
       "«{label}»: {value}% is outside 0–100."),
    _c("date-order", "error", "an activity ends before it starts",
       "{row}-жол: іс-шара {expected} басталып, {value} аяқталады. Күндерді тексеріңіз.",
       "Строка {row}: мероприятие начинается {expected}, а заканчивается {value}. Проверьте даты.",
       "Row {row}: the activity starts {expected} but ends {value}."),
    _c("date-outside-period", "warning", "an activity date outside the project period",
       "{row}-жол: күн {value} жоба кезеңінен ({expected}) тыс.",
       "Строка {row}: дата {value} вне периода проекта ({expected}).",
       "Row {row}: the date {value} is outside the project period ({expected})."),
    _c("long-result-missing", "warning", "a task without its long-term result",
       "«{task}» міндетінің ұзақ мерзімді нәтижесі жазылмаған.",
       "Для задачи «{task}» не указан долгосрочный результат.",
       "Task «{task}» has no long-term result."),
    _c("narrative-missing", "error", "a required narrative is blank",
       "«{label}» бөлімі толтырылмаған.",
       "Раздел «{label}» не заполнен.",
       "Section «{label}» is blank."),
    _c("success-story-length", "warning", "the success story is not 5–8 sentences",
       "Жетістік тарихында {value} сөйлем; 5–8 сөйлем болуы керек.",
       "В истории успеха {value} предложений; нужно 5–8.",
       "The success story has {value} sentences; 5–8 are expected."),
    _c("success-story-contact", "warning", "no beneficiary name or contact for the success story",
       "Жетістік тарихы кейіпкерінің аты-жөні немесе байланысы жазылмаған.",
       "Не указаны имя или контакт героя истории успеха.",
       "The success story names no beneficiary or contact."),
    _c("subgrant-total", "warning", "sub-grants add up to more than purchases (fact)",
       "Шағын гранттар қосындысы {value}, бұл сатып алу фактісінен ({expected}) артық.",
       "Сумма субгрантов {value} больше факта закупок ({expected}).",
       "Sub-grants add up to {value}, more than purchases (fact) {expected}."),
    _c("formula-overwritten", "warning", "a formula cell of the template holds a typed value",
       "«{label}» ({cell}): формула мәнмен ауыстырылған ({value}); есептелген мәні {expected}.",
       "«{label}» ({cell}): формула заменена значением ({value}); расчётное значение {expected}.",
       "«{label}» ({cell}): the formula was replaced by a value ({value}); the computed value is {expected}."),
    _c("cached-value-stale", "info", "a formula's saved result differs from the recomputed one",
       "«{label}» ({cell}): файлда сақталған нәтиже {value}, қайта есептегенде {expected}.",
       "«{label}» ({cell}): сохранённый результат {value}, при пересчёте {expected}.",
       "«{label}» ({cell}): saved result {value}, recomputed {expected}."),
    _c("duplicate-submission", "warning", "two workbooks for the same BIN and agreement number",
       "Бұл есеп (БСН {bin}, шарт {agreement}) қайта тапсырылған: ағымдағысы {current}, ескіргені {older}.",
       "Этот отчёт (БИН {bin}, договор {agreement}) сдан повторно: действующий {current}, устаревший {older}.",
       "This report (BIN {bin}, agreement {agreement}) was submitted again: current {current}, "
       "superseded {older}."),
    _c("not-in-roster", "warning", "a report whose BIN and agreement number are not in the roster",
       "Бұл есеп (БСН {bin}, шарт {agreement}) раунд тізімінде жоқ. БСН мен шарт нөмірін шартпен "
       "салыстырыңыз немесе шартты тізімге қосыңыз.",
       "Этого отчёта (БИН {bin}, договор {agreement}) нет в реестре раунда. Сверьте БИН и номер договора "
       "с договором или добавьте договор в реестр.",
       "This report (BIN {bin}, agreement {agreement}) is not in the round's roster. Check the BIN and the "
       "agreement number against the agreement, or add the agreement to the roster."),
    _c("roster-mismatch", "error", "a header field differs from the roster (error: BIN, agreement number "
       "and date, grant amount; warning: period, region; info: names)",
       "«{label}» тізімдегіден өзгеше: есепте {value}, тізімде {expected}. Шарттағы мәнді жазыңыз "
       "немесе тізімді түзетіңіз.",
       "«{label}» отличается от реестра: в отчёте {value}, в реестре {expected}. Укажите значение из "
       "договора или исправьте реестр.",
       "«{label}» differs from the roster: {value} in the report, {expected} in the roster. Type the value "
       "from the agreement, or correct the roster."),
    _c("identical-resubmission", "info", "the same file (same SHA-256) submitted twice; counted once",
       "Бұл файл {first} файлымен бірдей (SHA-256 сәйкес), сондықтан бір есеп ретінде саналды. "
       "Ештеңе істеудің қажеті жоқ.",
       "Этот файл полностью совпадает с файлом {first} (одинаковый SHA-256), поэтому учтён как один "
       "отчёт. Ничего делать не нужно.",
       "This file is byte for byte the same as {first} (same SHA-256), so it is counted as one report. "
       "Nothing to do."),
)}

# Why a file could not be read, and what to do about it (package.Unreadable.reason -> text).
UNREADABLE_REASONS: dict[str, tuple[str, str, str]] = {
    "missing": ("файл табылмады", "файл не найден", "file not found"),
    "permission": ("файлды ашуға рұқсат жоқ; рұқсаттарды тексеріңіз",
                   "нет прав на чтение файла; проверьте права доступа",
                   "no permission to read the file; check its permissions"),
    "empty": ("файл бос (0 байт); қайта сақтап жіберіңіз", "файл пустой (0 байт); сохраните и отправьте заново",
              "the file is empty (0 bytes); save and send it again"),
    "too-large": ("файл тым үлкен; есеп файлы бірнеше жүз КБ болады", "файл слишком большой; файл отчёта "
                  "занимает несколько сотен КБ", "the file is too large for a report"),
    "far-cell": ("парақта форманың сыртында, өте алыс ұяшықта мән бар; Ctrl+End арқылы тауып, жойыңыз да, "
                 "қайта сақтаңыз",
                 "на листе есть значение в ячейке далеко за пределами формы; найдите его клавишами Ctrl+End, "
                 "удалите и сохраните файл заново",
                 "a sheet has a value in a cell far outside the form; find it with Ctrl+End, delete it and "
                 "save again"),
    "not-zip": ("бұл Excel файлы емес; Excel-де ашып, .xlsx ретінде сақтаңыз",
                "это не файл Excel; откройте в Excel и сохраните как .xlsx",
                "not an Excel file; open it in Excel and save as .xlsx"),
    "not-spreadsheet": ("бұл Excel файлы емес (мәтін, CSV немесе HTML); үлгіні ашып, .xlsx ретінде сақтаңыз",
                        "это не файл Excel (текст, CSV или HTML); заполните шаблон и сохраните как .xlsx",
                        "not an Excel workbook (text, CSV or HTML); fill in the template and save as .xlsx"),
    "encrypted": ("файл құпиясөзбен шифрланған; құпиясөзді алып, .xlsx ретінде сақтаңыз",
                  "файл зашифрован паролем; снимите пароль и сохраните как .xlsx",
                  "the file is password-encrypted; remove the password and save as .xlsx"),
    "legacy-xls": ("ескі .xls форматы; Excel-де «Басқаша сақтау» → .xlsx таңдаңыз",
                   "старый формат .xls; в Excel выберите «Сохранить как» → .xlsx",
                   "legacy .xls format; use Save As → .xlsx"),
    "xlsb": (".xlsb форматы қабылданбайды; .xlsx ретінде сақтаңыз",
             "формат .xlsb не принимается; сохраните как .xlsx",
             ".xlsb is not accepted; save as .xlsx"),
    "ods": (".ods (LibreOffice) форматы; «Басқаша сақтау» → Excel 2007-365 (.xlsx) таңдаңыз",
            "формат .ods (LibreOffice); выберите «Сохранить как» → Excel 2007-365 (.xlsx)",
            ".ods format; use Save As → Excel 2007-365 (.xlsx)"),
    "corrupt": ("файл бүлінген; түпнұсқасын қайта сақтап жіберіңіз",
                "файл повреждён; сохраните оригинал заново и отправьте",
                "the file is corrupt; save the original again and resend it"),
    "zip-bomb": ("файл ішіндегі деректер шектен тыс үлкен (рұқсат етілген шектен асады)",
                 "данные внутри файла превышают допустимые пределы",
                 "the data inside the file exceed the safety limits"),
    "xml-forbidden": ("файлда қауіпті XML құрылымы бар (DTD/entity); үлгіні қайта толтырыңыз",
                      "в файле опасная XML-конструкция (DTD/entity); заполните шаблон заново",
                      "the file contains forbidden XML (DTD/entity); fill in the template again"),
    "crashed": ("файлды оқу кезінде оқу процесі тоқтап қалды", "процесс чтения файла аварийно завершился",
                "the reader process crashed on this file"),
    "internal-error": ("esep бағдарламасының ішкі қатесі салдарынан файл тексерілмеді; файлды esep "
                       "әзірлеушілеріне жіберіңіз",
                       "файл не проверен из-за внутренней ошибки esep; передайте файл разработчикам esep",
                       "esep could not check this file because of an error in esep itself; please send the "
                       "file to the esep developers"),
}

TYPE_WORDS = {
    "date": ("күн", "дата", "a date", "ДД.ММ.ЖЖЖЖ форматында жазыңыз, мысалы 10.07.2024.",
             "Укажите в формате ДД.ММ.ГГГГ, например 10.07.2024.", "Use DD.MM.YYYY, e.g. 10.07.2024."),
    "amount": ("сома", "сумма", "an amount", "Тек сан жазыңыз, мысалы 7000000.",
               "Укажите только число, например 7000000.", "Type a number only, e.g. 7000000."),
    "count": ("саны", "количество", "a count", "Бүтін сан жазыңыз (0 немесе одан көп).",
              "Укажите целое число (0 или больше).", "Type a whole number (0 or more)."),
    "measure": ("сан", "число", "a number", "Санды жазыңыз; шек емес, нақты мәнді.",
                "Укажите число — фактическое значение, а не порог.", "Type the actual number."),
    "number": ("сан", "число", "a number", "Санды жазыңыз.", "Укажите число.", "Type a number."),
}


@dataclass
class Finding:
    """One finding about one workbook. `params` feed the message; values stay raw until rendered."""
    code: str
    severity: str = ""
    sheet: str | None = None          # sheet title as in the workbook
    cell: str | None = None           # A1 reference
    field: str | None = None          # defined name of the field (or calc_* for formulas)
    row: int | None = None            # 1-based row of a table
    value: Any = None
    expected: Any = None
    params: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown finding code {self.code!r}")
        if not self.severity:
            self.severity = CATALOGUE[self.code].severity

    def message(self, lang: str = "kk") -> str:
        template = getattr(CATALOGUE[self.code], lang if lang in ("kk", "ru", "en") else "en")
        return _render(template, self, lang)

    def to_dict(self, lang: str = "en") -> dict:
        """The JSON shape of a finding (issue #3): JSON-safe values, message in `lang`."""
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "field": self.field,
            "row": self.row,
            "value": json_safe(self.value),
            "expected": json_safe(self.expected),
            "message": self.message(lang),
        }


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)            # JSON has no NaN/Infinity; strict parsers reject them
        return int(value) if value.is_integer() else round(value, 6)
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def show(value: Any, lang: str = "kk") -> str:
    """A value the way people write it: 1 076, 84,5, 10.07.2024."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            text = f"{value:,}".replace(",", " ")
        else:
            text = f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", " ")
            if lang != "en":
                text = text.replace(".", ",")
        return text
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.strftime("%d.%m.%Y")
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


class _Params(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _render(template: str, finding: Finding, lang: str) -> str:
    from . import form  # local: form is cheap, but keep this module importable on its own

    params = _Params()
    for key, val in finding.params.items():
        if hasattr(val, "get") and hasattr(val, "kk"):          # a form.Text
            params[key] = val.get(lang)
        elif key == "reason" and isinstance(val, str) and val in UNREADABLE_REASONS:
            params[key] = UNREADABLE_REASONS[val][("kk", "ru", "en").index(lang if lang in ("kk", "ru") else "en")]
        elif key == "type" and val in TYPE_WORDS:
            i = ("kk", "ru", "en").index(lang if lang in ("kk", "ru") else "en")
            params["type"] = TYPE_WORDS[val][i]
            params.setdefault("hint", TYPE_WORDS[val][3 + i])
        elif key == "parts":                                     # field names joined by " + "
            params[key] = " + ".join(form.label(n, lang) for n in val)
        else:
            params[key] = show(val, lang)
    params.setdefault("hint", "")
    params["label"] = form.label(finding.field, lang) if finding.field else ""
    params["value"] = show(finding.value, lang)
    params["expected"] = show(finding.expected, lang)
    params["cell"] = finding.cell or ""
    params["sheet"] = finding.sheet or ""
    params["row"] = finding.row if finding.row is not None else ""
    return template.format_map(params).strip()
