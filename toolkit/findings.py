"""Findings as data, and the one catalogue of their codes, severities and messages (kk / ru / en).

A finding is what the tool says about one place in one workbook. It carries raw data (code, where,
value found, value expected, parameters); its message is rendered late, in the reader's language,
from the catalogue below. Codes are stable kebab-case strings: other tools filter on them.
"""
from __future__ import annotations

import datetime as _dt
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from . import vocabulary

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
# {expected}, {cell}, {sheet}, {line} (a table line as «№ 25 (M30)»: the № the table shows and the Excel
# cell; never write a bare row number) and rule-specific parameters. Values are formatted the way people
# write them ("1 076", "10.07.2024"). A number with its noun agrees through {name#forms}: ru
# «{count#ячейка/ячейки/ячеек}», en «{count#cell/cells}», kk «{count#ұяшық}» (a Kazakh noun after a number
# stays singular); a Kazakh case ending after a number is {name>case}: «{count>abl}» -> «3-тен»
# (cases: dat, loc, abl, gen, acc). Wording: toolkit/vocabulary.py; tests/test_vocabulary.py keeps every
# kk and ru text free of English and every entry in three languages.
CATALOGUE: dict[str, Code] = {c.code: c for c in (
    _c("file-unreadable", "error", "not a readable .xlsx/.xlsm",
       "Файлды есеп ретінде оқу мүмкін емес: {reason}.",
       "Файл нельзя прочитать как отчёт: {reason}.",
       "The file cannot be read as a report: {reason}."),
    _c("template-unknown", "error", "not made from the esep template",
       "Файл есеп үлгісі ретінде танылмады ({reason}). Есепті грант операторы берген үлгіге толтырып, "
       "қайта жіберіңіз.",
       "Файл не распознан как шаблон отчёта ({reason}). Заполните отчёт в шаблоне, полученном от "
       "оператора грантов, и отправьте снова.",
       "The file was not recognised as the report template ({reason}). Fill in the template from the "
       "grant operator and send it again."),
    _c("template-outdated", "warning", "an older template version",
       "Үлгінің ескі нұсқасы ({value}); қазіргісі {expected}. Келесі есепті жаңа үлгіге толтырыңыз; осы "
       "есептің деректерін жаңа үлгіге грант операторы көшіре алады («esep upgrade»).",
       "Устаревшая версия шаблона ({value}); текущая {expected}. Следующий отчёт заполните в новом "
       "шаблоне; данные этого отчёта оператор грантов может перенести в новый шаблон («esep upgrade»).",
       "Older template version ({value}); the current one is {expected}. Copy the data into the new "
       "template with `esep upgrade`, or use the new template next time."),
    _c("names-missing", "warning", "defined names deleted or broken; read from the template's cells",
       "Файлда {count} атаулы ұяшық жоқ немесе бұзылған (мысалы, «{label}»); мәндер үлгідегі орындарынан "
       "оқылды, оларды тексеріңіз. Келесі есепті грант операторы берген үлгіні өзгертпей толтырыңыз.",
       "Удалено или повреждено именованных ячеек: {count} (например, «{label}»); значения прочитаны из их "
       "мест в шаблоне, проверьте их. Следующий отчёт заполните в шаблоне от оператора грантов, не изменяя "
       "его.",
       "{count#defined name is/defined names are} missing or broken (e.g. «{label}»); values were read "
       "from the template's known cells, please check them. Use the original template next time."),
    _c("text-overflows-print", "warning", "a narrative cell too long to print in full",
       "Бұл ұяшықтағы таңба саны – {value}: басып шығарғанда бір ұяшыққа шамамен {expected} таңба сыяды, "
       "қалғаны кесіледі. Мәтіннің жалғасын төмендегі бос ұяшыққа көшіріңіз (әр ұяшықта {expected} "
       "таңбадан аспасын).",
       "Знаков в этой ячейке: {value}; при печати в одну ячейку помещается примерно {expected}, остальное "
       "обрезается. Перенесите продолжение текста в пустую ячейку ниже (в каждой не больше {expected}).",
       "Characters in this cell: {value}; about {expected} fit in one printed cell, the rest is cut. Move "
       "the rest of the text into the empty cell below (at most {expected} in each)."),
    _c("layout-changed", "warning", "the template's layout was changed (rows, columns or sheets)",
       "Үлгінің құрылымы өзгертілген: {reason}. Мәндер оқылды, бірақ оларды тексеріңіз; үлгіге жол, баған "
       "немесе парақ қоспаңыз және жоймаңыз.",
       "Структура шаблона изменена: {reason}. Значения прочитаны, но проверьте их; не добавляйте и не "
       "удаляйте в шаблоне строки, столбцы и листы.",
       "The template's layout was changed: {reason}. Values were read; please check them, and do not add "
       "or delete rows, columns or sheets in the template."),
    _c("macros-present", "warning", "the workbook carries macros (never run; removed from the copy)",
       "Файлда макростар бар. Олар іске қосылмады және тексерілген көшірмеде жоқ. Есепті .xlsx "
       "ретінде сақтаңыз.",
       "В файле есть макросы. Они не запускались и удалены из проверенной копии. Сохраните отчёт как .xlsx.",
       "The file contains macros. They were not run and are not in the checked copy. Save the report "
       "as .xlsx."),
    _c("protection-removed", "info", "sheet protection was switched off",
       "«{sheet}» парағының қорғауы алынған: формулаларды кездейсоқ өшіріп алу оңай. Парақты қайта "
       "қорғаңыз немесе келесі есепті жаңа үлгіге толтырыңыз.",
       "С листа «{sheet}» снята защита: формулы легко случайно стереть. Снова защитите лист или заполните "
       "следующий отчёт в новом шаблоне.",
       "Sheet «{sheet}» is no longer protected: formulas are easy to overwrite by accident. Protect it "
       "again or use a fresh template next time."),
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
       "«{label}»: «{value}» мәтін ретінде терілген, {expected} күн ретінде оқылды.",
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
       "БСН «{value}» қате: 12 цифр және дұрыс бақылау цифры болуы керек. Мемлекеттік тіркеу туралы "
       "анықтамамен салыстырып түзетіңіз.",
       "БИН «{value}» неверен: нужно 12 цифр с правильной контрольной цифрой. Сверьте со справкой о "
       "государственной регистрации и исправьте.",
       "BIN «{value}» is invalid: it needs 12 digits with a correct check digit. Compare it with the "
       "registration certificate and correct it."),
    _c("phone-invalid", "warning", "not a Kazakhstan phone number",
       "Телефон «{value}» Қазақстан нөміріне ұқсамайды. Нөмірді +7 немесе 8 және 10 цифрмен жазыңыз, "
       "мысалы 8 701 234 56 78.",
       "Телефон «{value}» не похож на казахстанский номер. Укажите номер через +7 или 8 и 10 цифр, "
       "например 8 701 234 56 78.",
       "Phone «{value}» is not a Kazakhstan number. Write +7 or 8 followed by 10 digits, e.g. "
       "8 701 234 56 78."),
    _c("period-order", "error", "period_end before period_start",
       "Жоба {expected} басталып, одан бұрын, {value} аяқталады деп жазылған. Күндерді шарт бойынша "
       "түзетіңіз.",
       "Проект заканчивается {value}, раньше, чем начинается ({expected}). Исправьте даты по договору.",
       "The project ends ({value}) before it starts ({expected}). Correct the dates from the agreement."),
    _c("agreement-after-start", "warning", "agreement_date later than period_start",
       "Шарт күні ({value}) жобаның басталу күнінен ({expected}) кейін. Екі күнді де шарт бойынша "
       "тексеріңіз: жоба шарт жасалғанға дейін басталмайды.",
       "Дата договора ({value}) позже даты начала проекта ({expected}). Сверьте обе даты с договором: "
       "проект не может начаться до заключения договора.",
       "The agreement date ({value}) is after the project start ({expected}). Check both dates against "
       "the agreement: a project cannot start before it is signed."),
    _c("gender-sum", "error", "men + women differ from the gender total",
       "{parts} = {value}, бірақ қатысушылардың жалпы саны {expected}. Ерлер мен әйелдер санын немесе "
       "жалпы санды түзетіңіз: олар тең болуы керек.",
       "{parts} = {value}, но всего участников {expected}. Исправьте число мужчин и женщин или общее "
       "число: они должны совпадать.",
       "{parts} = {value}, but the participants total {expected}. Correct the men and women or the "
       "total: they must agree."),
    _c("category-sum", "error", "the ten categories do not add up to their total",
       "Санаттар қосындысы {value}, бірақ барлығы {expected}. Әр қатысушыны бір ғана санатқа жатқызып, "
       "сандарды түзетіңіз.",
       "Сумма по категориям {value}, но всего {expected}. Отнесите каждого участника ровно к одной "
       "категории и исправьте числа.",
       "The categories add up to {value}, but the total is {expected}. Count each participant in exactly "
       "one category and correct the numbers."),
    _c("age-sum", "error", "the seven age bands do not add up to their total",
       "Жас топтарының қосындысы {value}, бірақ барлығы {expected}. Әр қатысушыны бір ғана жас тобына "
       "жатқызып, сандарды түзетіңіз.",
       "Сумма по возрастным группам {value}, но всего {expected}. Отнесите каждого участника ровно к "
       "одной возрастной группе и исправьте числа.",
       "The age bands add up to {value}, but the total is {expected}. Count each participant in exactly "
       "one age band and correct the numbers."),
    _c("totals-disagree", "error", "the three statistics totals differ",
       "Қатысушылардың жалпы саны үш блокта әртүрлі: гендер бойынша {gender}, санаттар бойынша {cat}, "
       "жас бойынша {age}. Үш блокқа да қатысушылардың бірдей жалпы санын жазыңыз.",
       "Общее число участников в трёх блоках разное: по полу {gender}, по категориям {cat}, по возрасту "
       "{age}. Укажите во всех трёх блоках одно и то же общее число участников.",
       "The participant totals differ: gender {gender}, categories {cat}, age {age}. Give the same "
       "total in all three blocks."),
    _c("beneficiaries-mismatch", "warning", "statistics total differs from direct beneficiaries (fact)",
       "Статистикада {value} қатысушы, ал тікелей бенефициарлар (факт) {expected}. Әдетте бұл бір сан: "
       "екеуін де тексеріңіз, айырмашылық дұрыс болса, себебін ауытқудың негіздемесіне жазыңыз.",
       "В статистике {value#участник/участника/участников}, а прямых бенефициаров (факт) — {expected}. "
       "Обычно это одно число: проверьте оба, а если разница верна, объясните её в обосновании "
       "отклонения.",
       "The statistics count {value#participant/participants}, the direct beneficiaries (fact) are "
       "{expected}. These are usually one number: check both, and explain a real difference in the "
       "justification of deviations."),
    _c("elderly-age", "warning", "more elderly than people aged 46+",
       "Егде жастағы адамдар {value}, ал 46–58 және 59+ жас топтарында бірге {expected}. Егде "
       "жастағылар бұдан көп бола алмайды: санаттағы немесе жас топтарындағы санды түзетіңіз.",
       "Пожилых {value}, а в возрастных группах 46–58 и 59+ вместе {expected}. Пожилых не может быть "
       "больше: исправьте число в категории или в возрастных группах.",
       "{value} elderly participants, but only {expected} aged 46 and over. Correct the category or the "
       "age bands."),
    _c("budget-exceeds-grant", "error", "payroll + taxes + purchases exceed the grant",
       "Еңбекақы + салықтар + сатып алу (факт) = {value}, бұл бөлінген қаражаттың жалпы сомасынан "
       "({expected}) {diff} теңгеге артық. Фактілерді бухгалтерлік есеппен салыстырып түзетіңіз.",
       "ФОТ + налоги + закупки (факт) = {value}, это на {diff} тенге больше общей суммы выделенных "
       "средств ({expected}). Сверьте фактические суммы с бухгалтерским учётом и исправьте их.",
       "Payroll + taxes + purchases (fact) = {value}, {diff} tenge more than the grant ({expected}). "
       "Check the actual amounts against the accounts and correct them."),
    _c("budget-unaccounted", "warning", "payroll + taxes + purchases fall short of the grant",
       "Еңбекақы + салықтар + сатып алу (факт) = {value}, бөлінген қаражаттың жалпы сомасы {expected}: "
       "{diff} теңге көрсетілмеген. Фактілерді бухгалтерлік есеппен салыстырып толықтырыңыз; қаражат "
       "қалса, себебін ауытқудың негіздемесіне жазыңыз.",
       "ФОТ + налоги + закупки (факт) = {value}, общая сумма выделенных средств {expected}: не показано "
       "{diff} тенге. Сверьте фактические суммы с бухгалтерским учётом и дополните их; если средства "
       "остались, объясните это в обосновании отклонения.",
       "Payroll + taxes + purchases (fact) = {value} against a grant of {expected}: {diff} tenge "
       "unaccounted. Complete the actual amounts from the accounts; if money is left, explain it in the "
       "justification of deviations."),
    _c("impact-not-met", "warning", "an impact fact below its plan",
       "«{label}»: факт {value} жоспардан ({expected}) төмен. Фактіні тексеріңіз; дұрыс болса, себебін "
       "ауытқудың негіздемесіне жазыңыз.",
       "«{label}»: факт {value} ниже плана ({expected}). Проверьте факт; если он верен, объясните "
       "причину в обосновании отклонения.",
       "«{label}»: the fact {value} is below the plan ({expected}). Check the fact; if it is right, "
       "explain why in the justification of deviations."),
    _c("partners-count", "warning", "declared partners differ from the partner rows",
       "Серіктестер саны (факт) {value}, ал серіктестер кестесінде {expected} жол. Кестеге әр серіктесті "
       "жазыңыз немесе санды түзетіңіз.",
       "Партнёров (факт) {value}, а в таблице партнёров {expected#строка/строки/строк}. Внесите в таблицу "
       "каждого партнёра или исправьте число.",
       "Partners (fact) {value}, but the partner table has {expected#row/rows}. List every partner in "
       "the table or correct the number."),
    _c("plan-missing", "error", "an indicator line without a plan",
       "{line}, «{indicator}»: жоспар жазылмаған. Шарттың 3-қосымшасындағы (жобаның толық сипаттамасы) "
       "жоспарланған мәнді жазыңыз.",
       "{line}, «{indicator}»: не указан план. Укажите плановое значение из приложения 3 к договору "
       "(подробное описание проекта).",
       "{line}, «{indicator}»: the plan is missing. Enter the planned value from Annex 3 to the "
       "agreement (the project description)."),
    _c("fact-missing", "error", "an indicator line without a fact",
       "{line}, «{indicator}»: факт жазылмаған. Қол жеткізілген мәнді жазыңыз (ештеңе жасалмаса – 0).",
       "{line}, «{indicator}»: не указан факт. Укажите достигнутое значение (если ничего не сделано — 0).",
       "{line}, «{indicator}»: the fact is missing. Enter the value achieved (0 if nothing was done)."),
    _c("fact-is-threshold", "warning", "a fact written as a threshold",
       "{line}, «{indicator}»: факт «{value}» шек ретінде жазылған. Нақты қол жеткізілген санды "
       "жазыңыз (қазір {expected} деп оқылды).",
       "{line}, «{indicator}»: факт «{value}» записан как порог. Укажите фактически достигнутое "
       "число (сейчас прочитано как {expected}).",
       "{line}, «{indicator}»: the fact «{value}» is a threshold; give the actual number (read as "
       "{expected})."),
    _c("indicator-not-met", "warning", "an indicator's fact does not satisfy its plan",
       "{line}, «{indicator}»: факт {value}, жоспар {expected} – жоспар орындалмаған. Фактіні "
       "тексеріңіз; дұрыс болса, себебін ауытқудың негіздемесіне жазыңыз.",
       "{line}, «{indicator}»: факт {value}, план {expected} — план не выполнен. Проверьте факт; если он "
       "верен, объясните причину в обосновании отклонения.",
       "{line}, «{indicator}»: fact {value}, plan {expected} — the plan is not met. Check the fact; if "
       "it is right, explain why in the justification of deviations."),
    _c("deviation-unexplained", "error", "a plan is not met and the deviation is not justified",
       "{count} көрсеткіш бойынша жоспар орындалмаған, бірақ жоспардан ауытқудың негіздемесі "
       "жазылмаған ({value}). Әр көрсеткіш бойынша себебін жазыңыз.",
       "План не выполнен по {count#показателю/показателям/показателям}, но обоснование отклонения от "
       "плана не указано ({value}). Объясните причину по каждому показателю.",
       "{count#indicator is/indicators are} short of plan, but the deviation is not justified ({value}). "
       "Explain the reason for each."),
    _c("percent-out-of-range", "error", "a % value outside 0–100",
       "{line}, «{label}»: {value}% – 0-ден 100-ге дейінгі аралықтан тыс. Пайызды 0 мен 100 аралығында "
       "жазыңыз.",
       "{line}, «{label}»: {value}% — вне диапазона от 0 до 100. Укажите процент от 0 до 100.",
       "{line}, «{label}»: {value}% is outside 0–100. Enter a percentage from 0 to 100."),
    _c("date-order", "error", "an activity ends before it starts",
       "{line}: іс-шара {expected} басталып, одан бұрын, {value} аяқталады деп жазылған. Өткізілу "
       "күндерін түзетіңіз.",
       "{line}: мероприятие заканчивается {value}, раньше, чем начинается ({expected}). Исправьте даты "
       "проведения.",
       "{line}: the activity ends {value}, before it starts ({expected}). Correct the dates."),
    _c("date-outside-period", "warning", "an activity date outside the project period",
       "{line}: {value} күні жобаны іске асыру кезеңінен ({expected}) тыс. Күнді тексеріңіз; дұрыс "
       "болса, себебін ауытқудың негіздемесіне жазыңыз.",
       "{line}: дата {value} вне периода реализации проекта ({expected}). Проверьте дату; если она "
       "верна, объясните это в обосновании отклонения.",
       "{line}: the date {value} is outside the project period ({expected}). Check it; if it is right, "
       "explain it in the justification of deviations."),
    _c("long-result-missing", "warning", "a task without its long-term result",
       "{line}: «{task}» міндетінің ұзақ мерзімді нәтижесі жазылмаған. Оны міндеттің бір жолындағы "
       "«{label}» бағанына жазыңыз.",
       "{line}: для задачи «{task}» не указан долгосрочный результат. Впишите его в столбец «{label}» "
       "в одной из строк задачи.",
       "{line}: task «{task}» has no long-term result. Write it in the «{label}» column of one of the "
       "task's rows."),
    _c("narrative-missing", "error", "a required narrative is blank",
       "«{label}» бөлімі толтырылмаған. Оны «{sheet}» парағында толтырыңыз.",
       "Раздел «{label}» не заполнен. Заполните его на листе «{sheet}».",
       "Section «{label}» is blank. Fill it in on the «{sheet}» sheet."),
    _c("success-story-length", "warning", "the success story is not 5–8 sentences",
       "Жетістік тарихында {value} сөйлем бар, ал 5–8 сөйлем болуы керек. Тарихты қысқартыңыз немесе "
       "толықтырыңыз.",
       "В истории успеха {value#предложение/предложения/предложений}, а нужно от 5 до 8. Сократите или "
       "дополните историю.",
       "The success story has {value#sentence/sentences}; 5–8 are expected. Shorten or extend it."),
    _c("success-story-contact", "warning", "no beneficiary name or contact for the success story",
       "Жетістік тарихы кейіпкерінің аты-жөні немесе байланысы жазылмаған. Кейіпкердің келісімімен "
       "екеуін де жазыңыз.",
       "Не указаны ФИО или контакт героя истории успеха. Укажите их с согласия героя.",
       "The success story names no beneficiary or contact. Give both, with the person's consent."),
    _c("subgrant-total", "warning", "sub-grants add up to more than purchases (fact)",
       "Шағын гранттар қосындысы {value}, бұл сатып алу фактісінен ({expected}) артық. Шағын гранттар "
       "сатып алуға кіреді: шағын гранттар сомаларын немесе сатып алу фактісін түзетіңіз.",
       "Сумма малых грантов {value} больше факта закупок ({expected}). Малые гранты входят в закупки: "
       "исправьте суммы малых грантов или факт закупок.",
       "Small grants add up to {value}, more than purchases (fact) {expected}. Small grants are part of "
       "purchases: correct the small-grant amounts or the purchases."),
    _c("formula-overwritten", "warning", "a formula cell of the template holds a typed value",
       "«{label}» ({cell}): формуланың орнына мән жазылған ({value}); есептелген мәні {expected}. esep "
       "есептелген мәнді пайдаланады; келесі есепті жаңа үлгіге толтырыңыз және сұр ұяшықтарға жазбаңыз.",
       "«{label}» ({cell}): формула заменена значением ({value}); расчётное значение {expected}. esep "
       "использует расчётное значение; следующий отчёт заполните в новом шаблоне и не пишите в серые "
       "ячейки.",
       "«{label}» ({cell}): the formula was replaced by a value ({value}); the computed value is "
       "{expected}. esep uses the computed value; next time use a fresh template and leave grey cells "
       "alone."),
    _c("cached-value-stale", "info", "a formula's saved result (a number, a blank or an error) differs from "
       "what the formula computes from the file's cells",
       "«{label}» ({cell}): файлда сақталған нәтиже {value}, қайта есептегенде {expected}. esep қайта "
       "есептелген мәнді пайдаланады; файлды Excel-де ашып, қайта сақтаңыз.",
       "«{label}» ({cell}): сохранённый результат {value}, при пересчёте {expected}. esep использует "
       "пересчитанное значение; откройте файл в Excel и сохраните его заново.",
       "«{label}» ({cell}): saved result {value}, recomputed {expected}. esep uses the recomputed value; "
       "open the file in Excel and save it again."),
    _c("copy-not-written", "error", "the checked copy could not be written (the other files go on)",
       "Тексерілген көшірме {value} жазылмады: {reason}. Көшірмелер үшін басқа қалтаны көрсетіңіз "
       "немесе бос орын мен рұқсаттарды тексеріп, қайта іске қосыңыз.",
       "Проверенную копию не удалось записать в {value}: {reason}. Укажите другую папку для копий "
       "или проверьте свободное место и права доступа и запустите снова.",
       "The checked copy could not be written to {value}: {reason}. Give another folder with --out-dir, "
       "or check free space and permissions, and run again."),
    _c("validation-sheet-renamed", "info", "the workbook has its own sheet named like the validation sheet",
       "Жұмыс кітабында «{value}» деген парақ бұрыннан бар: ол өзгертілмеді, ал қателер мен "
       "ескертпелер «{expected}» парағында. Ештеңе істеудің қажеті жоқ.",
       "В книге уже есть свой лист «{value}»: он оставлен как был, а результаты проверки — на листе "
       "«{expected}». Ничего делать не нужно.",
       "The workbook already has its own sheet «{value}»: it was left as it was, and the validation "
       "results are on the sheet «{expected}». Nothing to do."),
    _c("duplicate-submission", "warning", "two workbooks for the same BIN and agreement number",
       "Бұл есеп (БСН {bin}, шарт № {agreement}) қайта тапсырылған: жаңасы {current}, ескісі {older}. "
       "Жиынтық тізілімге тек жаңасы кіреді.",
       "Этот отчёт (БИН {bin}, договор № {agreement}) сдан повторно: действует {current}, заменён {older}. "
       "В сводный реестр входит только новый.",
       "This report (BIN {bin}, agreement {agreement}) was submitted again: current {current}, "
       "superseded {older}. Only the current one is in the register."),
    _c("not-in-roster", "warning", "a report whose BIN and agreement number are not in the roster",
       "Бұл есеп (БСН {bin}, шарт № {agreement}) осы кезеңде есеп беретіндер тізбесінде жоқ. БСН мен шарт "
       "нөмірін шартпен салыстырыңыз немесе шартты тізбеге қосыңыз.",
       "Этого отчёта (БИН {bin}, договор № {agreement}) нет в перечне сдающих отчёт в этом раунде. Сверьте "
       "БИН и номер договора с договором или добавьте договор в перечень.",
       "This report (BIN {bin}, agreement {agreement}) is not in the round's roster. Check the BIN and the "
       "agreement number against the agreement, or add the agreement to the roster."),
    _c("roster-mismatch", "error", "a header field differs from the roster (error: BIN, agreement number "
       "and date, grant amount; warning: period, region; info: names)",
       "«{label}» тізбедегіден өзгеше: есепте {value}, тізбеде {expected}. Шарттағы мәнді жазыңыз "
       "немесе тізбені түзетіңіз.",
       "«{label}» отличается от перечня: в отчёте {value}, в перечне {expected}. Укажите значение из "
       "договора или исправьте перечень.",
       "«{label}» differs from the roster: {value} in the report, {expected} in the roster. Type the value "
       "from the agreement, or correct the roster."),
    _c("identical-resubmission", "info", "the same file (same SHA-256) submitted twice; counted once",
       "Бұл файл {first} файлымен бірдей (SHA-256 сәйкес), сондықтан бір есеп ретінде саналды. "
       "Ештеңе істеудің қажеті жоқ.",
       "Этот файл полностью совпадает с файлом {first} (одинаковый SHA-256), поэтому учтён как один "
       "отчёт. Ничего делать не нужно.",
       "This file is byte for byte the same as {first} (same SHA-256), so it is counted as one report. "
       "Nothing to do."),
    _c("name-moved", "warning",
       "a defined name points at other cells than the template's for its field (another sheet, column, "
       "rows or length); the field is read from the template's cells",
       "«{label}» атаулы ауқымы {why} сілтейді ({value}), ал үлгіде ол {expected} тұр. esep мәндерді "
       "үлгідегі ұяшықтардан оқыды. Атауды «Формулалар → Атаулар диспетчері» арқылы қалпына келтіріңіз "
       "немесе есепті түпнұсқа үлгіге қайта толтырыңыз.",
       "Именованный диапазон «{label}» указывает {why} ({value}), а по шаблону это {expected}. esep прочитал "
       "значения из ячеек шаблона. Верните имя через «Формулы → Диспетчер имён» или заполните отчёт заново "
       "в исходном шаблоне.",
       "The defined name «{label}» points {why} ({value}); in the template it is {expected}. esep read the "
       "values from the template's cells. Restore the name (Formulas → Name Manager) or fill in the "
       "original template again."),
    _c("workbook-unlocked", "info",
       "the template's locks are gone: workbook structure protection, hidden service sheets, sheet passwords "
       "(a Gnumeric re-save drops all three)",
       "Үлгінің қорғауы әлсіреген: {what}. Формулалар мен қызметтік парақтарды кездейсоқ өзгертіп алу оңай. "
       "Келесі есепті түпнұсқа үлгіге Excel немесе LibreOffice бағдарламасында толтырыңыз.",
       "Защита шаблона ослаблена: {what}. Формулы и служебные листы легко случайно изменить. Следующий отчёт "
       "заполните в исходном шаблоне в Excel или LibreOffice.",
       "The template's protection is weakened: {what}. Formulas and service sheets are easy to change by "
       "accident. Fill in the original template in Excel or LibreOffice next time."),
    _c("sheets-changed", "warning",
       "sheets of the template are missing or renamed (warning), or sheets were added (info only)",
       "Үлгінің парақтары өзгертілген: жоқ парақтар – {missing}; қосылған парақтар – {added}. Парақтардың "
       "бастапқы атауларын қайтарыңыз немесе есепті түпнұсқа үлгіге толтырыңыз.",
       "Листы шаблона изменены: нет листов – {missing}; добавлены листы – {added}. Верните листам исходные "
       "названия или заполните отчёт в исходном шаблоне.",
       "The template's sheets were changed: missing – {missing}; added – {added}. Restore the sheets' names "
       "or fill in the original template."),
    _c("narrative-number", "info",
       "a count a narrative states (participants, sub-grants, tenge, beneficiaries) that the tables contradict; "
       "warning when the narrative calls it a total",
       "«{label}» мәтінінде: «{sentence}» – мұнда {value}, ал кестелер бойынша {kind}: {expected}. "
       "Мәтін мен кестені салыстырып, қатесін түзетіңіз.",
       "В тексте «{label}»: «{sentence}» – здесь {value}, а по таблицам {kind}: {expected}. "
       "Сверьте текст с таблицами и исправьте ошибку.",
       "«{label}» says: «{sentence}» – {value} here, while the tables give {kind}: {expected}. Compare the "
       "text with the tables and correct the mistake."),
    _c("formula-differs", "warning",
       "an input the template's formulas read differently from esep (text in a number cell, a hand-typed "
       "condition): the workbook shows another result than esep",
       "«{label}»: «{value}» – {what}. esep мұны {expected} деп оқыды, ал үлгінің формулалары (пайыз, "
       "мәртебе, қосынды) оны олай оқымайды, сондықтан файлда көрінетін нәтиже esep-тің нәтижесінен "
       "өзгеше. {hint}",
       "«{label}»: «{value}» – {what}. esep прочитал это как {expected}, а формулы шаблона (процент, статус, "
       "итоги) так это не читают, поэтому результат в файле расходится с результатом esep. {hint}",
       "«{label}»: «{value}» is {what}. esep read it as {expected}, but the template's formulas (percent, "
       "status, totals) do not, so the workbook shows another result than esep. {hint}"),
)}

# Why a file could not be read, and what to do about it (package.Unreadable.reason -> text).
UNREADABLE_REASONS: dict[str, tuple[str, str, str]] = {
    "missing": ("файл табылмады; файлдың орнын тексеріңіз", "файл не найден; проверьте, где он лежит",
                "file not found; check where it is"),
    "permission": ("файлды ашуға рұқсат жоқ; рұқсаттарды тексеріңіз",
                   "нет прав на чтение файла; проверьте права доступа",
                   "no permission to read the file; check its permissions"),
    "empty": ("файл бос (0 байт); қайта сақтап жіберіңіз", "файл пустой (0 байт); сохраните и отправьте заново",
              "the file is empty (0 bytes); save and send it again"),
    "too-large": ("файл тым үлкен (есеп файлы әдетте бірнеше жүз КБ); одан суреттер мен артық парақтарды "
                  "алып тастап, қайта сақтаңыз",
                  "файл слишком большой (файл отчёта обычно занимает несколько сотен КБ); удалите из него "
                  "картинки и лишние листы и сохраните заново",
                  "the file is too large for a report (a report is a few hundred KB); remove pictures and "
                  "extra sheets and save it again"),
    "far-cell": ("парақта форманың сыртында, өте алыс ұяшықта мән бар; Ctrl+End арқылы тауып, жойыңыз да, "
                 "қайта сақтаңыз",
                 "на листе есть значение в ячейке далеко за пределами формы; найдите его клавишами Ctrl+End, "
                 "удалите и сохраните файл заново",
                 "a sheet has a value in a cell far outside the form; find it with Ctrl+End, delete it and "
                 "save again"),
    "not-zip": ("бұл Excel файлы емес; Excel-де ашып, .xlsx ретінде сақтаңыз",
                "это не файл Excel; откройте в Excel и сохраните как .xlsx",
                "not an Excel file; open it in Excel and save as .xlsx"),
    "not-spreadsheet": ("бұл Excel файлы емес (мәтін, CSV немесе HTML); есепті үлгіге толтырып, .xlsx "
                        "ретінде сақтаңыз",
                        "это не файл Excel (текст, CSV или HTML); заполните отчёт в шаблоне и сохраните как .xlsx",
                        "not an Excel workbook (text, CSV or HTML); fill in the template and save as .xlsx"),
    "folder": ("бұл файл емес, қалта, және оның ішін оқу мүмкін болмады; қалтаның рұқсаттарын тексеріп, "
               "қайта іске қосыңыз",
               "это папка, а не файл, и её содержимое не удалось прочитать; проверьте права доступа к папке "
               "и запустите снова",
               "a folder, not a file, and its contents could not be listed; check the folder's permissions "
               "and run again"),
    "not-regular": ("бұл кәдімгі файл емес (арна, құрылғы немесе сокет) және оқылмады; есепті .xlsx файлы "
                    "ретінде сақтап, сол файлдың жолын көрсетіңіз",
                    "это не обычный файл (канал, устройство или сокет), он не читался; сохраните отчёт в "
                    "файл .xlsx и укажите путь к этому файлу",
                    "not a regular file (a pipe, device or socket) and was not read; save the report as an "
                    ".xlsx file and give that file's path"),
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
    "zip-bomb": ("файл ішіндегі деректер рұқсат етілген шектен асады; есепті грант операторы берген үлгіге "
                 "қайта толтырып жіберіңіз",
                 "данные внутри файла превышают допустимые пределы; заполните отчёт заново в шаблоне от "
                 "оператора грантов и отправьте",
                 "the data inside the file exceed the safety limits; fill in the operator's template again "
                 "and send it"),
    "xml-forbidden": ("файлда рұқсат етілмеген XML құрылымы бар; есепті үлгіге қайта толтырыңыз",
                      "в файле запрещённая XML-конструкция; заполните отчёт в шаблоне заново",
                      "the file contains forbidden XML (DTD/entity); fill in the template again"),
    "crashed": ("файлды оқу кезінде оқу процесі тоқтап қалды; файлды Excel-де ашып, қайта сақтап "
                "жіберіңіз, қате қайталанса – файлды esep әзірлеушілеріне жіберіңіз",
                "процесс чтения файла аварийно завершился; откройте файл в Excel, сохраните заново и "
                "отправьте снова, а если ошибка повторится — передайте файл разработчикам esep",
                "the reader process crashed on this file; open it in Excel, save it again and resend it; "
                "if it happens again, send the file to the esep developers"),
    "internal-error": ("esep бағдарламасының ішкі қатесі салдарынан файл тексерілмеді; файлды esep "
                       "әзірлеушілеріне жіберіңіз",
                       "файл не проверен из-за внутренней ошибки esep; передайте файл разработчикам esep",
                       "esep could not check this file because of an error in esep itself; please send the "
                       "file to the esep developers"),
    "too-much-memory": ("файлды тексеруге рұқсат етілгеннен көп жад қажет болды; файлды Excel-де ашып, .xlsx "
                        "ретінде қайта сақтаңыз",
                        "для проверки файла понадобилось больше памяти, чем разрешено; откройте файл в Excel "
                        "и сохраните заново как .xlsx",
                        "checking the file needed more memory than allowed; open it in Excel and save it "
                        "again as .xlsx"),
    "timeout": ("тексеру тым ұзаққа созылып, тоқтатылды; файлды Excel-де ашып, .xlsx ретінде қайта сақтап, "
                "қайта жіберіңіз",
                "проверка заняла слишком много времени и была остановлена; откройте файл в Excel, сохраните "
                "заново как .xlsx и отправьте снова",
                "the check took too long and was stopped; open the file in Excel, save it again as .xlsx and "
                "send it again"),
}

TYPE_WORDS = {
    "date": ("күн", "дата", "a date", "КК.АА.ЖЖЖЖ түрінде жазыңыз, мысалы 10.07.2024.",
             "Укажите в формате ДД.ММ.ГГГГ, например 10.07.2024.", "Use DD.MM.YYYY, e.g. 10.07.2024."),
    "amount": ("сома", "сумма", "an amount", "Тек сан жазыңыз, мысалы 7000000 (0-ден 1 триллион теңгеге дейін).",
               "Укажите только число, например 7000000 (от 0 до 1 триллиона тенге).",
               "Type a number only, e.g. 7000000 (0 to 1 trillion tenge)."),
    "count": ("бүтін сан", "целое число", "a whole number", "Бүтін сан жазыңыз (0-ден 100 миллионға дейін).",
              "Укажите целое число (от 0 до 100 миллионов).", "Type a whole number (0 to 100 million)."),
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
    if isinstance(value, str):
        from .paths import safe_text   # a file name with undecodable bytes: still valid UTF-8
        return safe_text(value)
    if value is None or isinstance(value, (bool, int)):
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
        if abs(value) >= 1e15:          # beyond a spreadsheet's 15 digits: as typed (1e+300), not 301 digits
            text = f"{value:.6g}"
        elif isinstance(value, int):
            text = f"{value:,}".replace(",", " ")
        else:
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
            if "." not in text:         # a fraction two decimals would hide (100.0000001 is not 100)
                text = f"{value:,.15g}"
            text = text.replace(",", " ")
        if lang != "en":
            text = text.replace(".", ",")
        return text
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"   # strftime drops a year's zeros
    if isinstance(value, _dt.time):    # a date cell holding a serial below 1: the number typed, when known
        fraction = (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        return show(fraction, lang) if fraction else "≤ 0"   # 0 and negative serials both arrive as 00:00
    if isinstance(value, _dt.timedelta):   # a date cell holding a negative serial
        return show(value.total_seconds() / 86400, lang)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


_GRAMMAR = re.compile(r"\{(\w+)(#|>)([^{}]+)\}")


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
    params["line"] = vocabulary.line_ref(finding.row, finding.cell)
    return _GRAMMAR.sub(lambda m: _grammar(m, finding, lang), template).format_map(params).strip()


def _raw_number(finding: Finding, key: str):
    raw = {"value": finding.value, "expected": finding.expected, "row": finding.row}.get(key, finding.params.get(key))
    try:
        return float(raw) if not isinstance(raw, (int, float)) else raw
    except (TypeError, ValueError):
        return None


def _grammar(m: re.Match, finding: Finding, lang: str) -> str:
    """{count#forms} and {count>case}: the number with its agreeing noun or its Kazakh case ending,
    escaped for the format_map that follows."""
    key, kind, arg = m.groups()
    n = _raw_number(finding, key)
    if n is None:
        return "{" + key + "}"
    text = vocabulary.count(n, arg, lang) if kind == "#" else (
        vocabulary.kk_case(n, arg) if lang == "kk" else vocabulary.group_digits(n))
    return text.replace("{", "{{").replace("}", "}}")
