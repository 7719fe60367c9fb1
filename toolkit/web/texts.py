"""Every text of the `esep serve` pages and answers, in Kazakh and Russian (English for the JSON API).

The words for severities, statuses, counts and findings come from toolkit.vocabulary, so the page, the
terminal and the checked copy say the same thing; the page's own sentences are here, in one place.
"""
from __future__ import annotations

from .. import vocabulary as v
from ..form import Text

PAGE_LANGS = ("kk", "ru")

T: dict[str, Text] = {
    "app": Text("esep — мемлекеттік грант бойынша қорытынды есеп",
                "esep — итоговый отчёт по государственному гранту",
                "esep — final report on a state grant"),
    "title": Text("Есепті тексеру", "Проверка отчёта", "Check a report"),
    "title_intake": Text("Есепті тексеру және тапсыру", "Проверка и сдача отчёта", "Check and submit a report"),
    "skip": Text("Негізгі мазмұнға өту", "Перейти к содержимому", "Skip to content"),
    "lang_switch": Text("Тіл", "Язык", "Language"),
    "intro": Text("Толтырылған есеп файлын таңдаңыз немесе осында сүйреп әкеліңіз: esep барлық жиындар мен "
                  "пайыздарды қайта есептеп, есеп ережелерін тексереді және әр ескертпені өз ұяшығымен "
                  "көрсетеді. Тексерілген көшірмені жүктеп алып, ескертпелерді Excel-дің өзінде көре аласыз.",
                  "Выберите заполненный файл отчёта или перетащите его сюда: esep пересчитает все итоги и "
                  "проценты, проверит правила отчёта и покажет каждое замечание с его ячейкой. Проверенную "
                  "копию можно скачать и увидеть замечания прямо в Excel.",
                  "Choose or drop a filled report workbook: esep recomputes every total and percentage, "
                  "checks the report's rules and shows every finding at its cell."),
    "privacy": Text("Файл тек тексеру үшін оқылады және жауап берілген соң бірден жойылады: серверде ештеңе "
                    "сақталмайды.",
                    "Файл читается только для проверки и удаляется сразу после ответа: на сервере ничего "
                    "не сохраняется.",
                    "The file is read only to check it and deleted right after the answer: nothing is stored "
                    "on the server."),
    "privacy_intake": Text("«Тексеру» батырмасы ештеңе сақтамайды: файл жауап берілген соң бірден жойылады. "
                           "«Есепті тапсыру» батырмасы файлды операторға тек дұрыс кіру кодымен ғана сақтайды.",
                           "Кнопка «Проверить» ничего не сохраняет: файл удаляется сразу после ответа. Кнопка "
                           "«Сдать отчёт» сохраняет файл у оператора, только если код доступа верный.",
                           "“Check” stores nothing. “Submit” stores the file for the operator, only with the "
                           "right access code."),
    "file_label": Text("Есеп файлы (.xlsx, {limit} дейін)", "Файл отчёта (.xlsx, до {limit})",
                       "Report workbook (.xlsx, up to {limit})"),
    "drop_hint": Text("Файлды осы аймаққа сүйреп әкеліңіз немесе жоғарыдағы батырмамен таңдаңыз.",
                      "Перетащите файл в эту область или выберите его кнопкой выше.",
                      "Drop the file here or use the file chooser."),
    "check": Text("Тексеру", "Проверить", "Check"),
    "code_label": Text("Кіру коды (оператордың хатында)", "Код доступа (в письме оператора)", "Access code"),
    "code_hint": Text("Код тек есепті тапсыру үшін керек; бос орындар мен сызықшалар ескерілмейді.",
                      "Код нужен только для сдачи отчёта; пробелы и дефисы не важны.",
                      "Needed only to submit; spaces and dashes are ignored."),
    "submit": Text("Есепті тапсыру", "Сдать отчёт", "Submit the report"),
    "templates": Text("Бос үлгілер", "Пустые шаблоны", "Empty templates"),
    "template_kk": Text("Қазақ тіліндегі үлгі (.xlsx)", "Шаблон на казахском языке (.xlsx)", "Kazakh template"),
    "template_ru": Text("Орыс тіліндегі үлгі (.xlsx)", "Шаблон на русском языке (.xlsx)", "Russian template"),
    "limits": Text("Шектеулер: файл {size} дейін; бір файлды тексеру {seconds} секундтан аспайды.",
                   "Ограничения: файл до {size}; проверка одного файла — не дольше {seconds} с.",
                   "Limits: files up to {size}; one check takes at most {seconds} s."),
    "result": Text("Тексеру нәтижесі", "Результат проверки", "Result"),
    "unreadable": Text(v.STATUS["unreadable"].kk.upper() + ": төмендегі себебін түзетіп, файлды қайта жіберіңіз.",
                       v.STATUS["unreadable"].ru.upper() + ": устраните причину ниже и отправьте файл снова.",
                       v.STATUS["unreadable"].en.upper() + ": fix the cause below and send the file again."),
    "file": v.WORDS["file"],
    "template_version": Text("Үлгі нұсқасы", "Версия шаблона", "Template version"),
    "download": Text("Тексерілген көшірмені жүктеп алу (.xlsx)", "Скачать проверенную копию (.xlsx)",
                     "Download the checked copy (.xlsx)"),
    "download_hint": Text("Көшірмеде «Тексеру» парағы бар: әр ескертпенің сілтемесі өз ұяшығына апарады. "
                          "Түзетулерді өз файлыңызға енгізіңіз.",
                          "В копии есть лист «Проверка»: ссылка каждого замечания ведёт к его ячейке. "
                          "Исправления вносите в свой файл.",
                          "The copy has a validation sheet whose links jump to each finding's cell."),
    "findings": v.FINDINGS,
    "general": Text("Файл туралы", "О файле в целом", "The file as a whole"),
    "none": v.NO_FINDINGS,
    "cell": v.WORDS["cell"],
    "code": v.WORDS["code"],
    "timeout": Text("Тексеру {seconds} секундтан асып кетті және тоқтатылды. Файл бүлінген немесе тым күрделі "
                    "болуы мүмкін: оны Excel-де ашып, .xlsx ретінде қайта сақтаңыз да, қайта жіберіңіз.",
                    "Проверка заняла больше {seconds} с и была остановлена. Возможно, файл повреждён или "
                    "слишком сложен: откройте его в Excel, сохраните заново как .xlsx и отправьте снова.",
                    "The check took longer than {seconds} s and was stopped. Open the file in Excel, save it "
                    "again as .xlsx and send it again."),
    "memory": Text("Файлды тексеруге рұқсат етілгеннен ({limit}) көп жад қажет болды, тексеру тоқтатылды. "
                   "Файлды Excel-де ашып, .xlsx ретінде қайта сақтаңыз да, қайта жіберіңіз.",
                   "Для проверки файла понадобилось больше памяти, чем разрешено ({limit}); проверка "
                   "остановлена. Откройте файл в Excel, сохраните заново как .xlsx и отправьте снова.",
                   "Checking the file needed more memory than allowed ({limit}) and was stopped. Save it again "
                   "as .xlsx and send it again."),
    "crashed": Text("Тексеру процесі бұл файлда тоқтап қалды. Файлды .xlsx ретінде қайта сақтап, қайта "
                    "жіберіңіз; көмектеспесе, файлды операторға жіберіңіз.",
                    "Процесс проверки аварийно завершился на этом файле. Сохраните файл заново как .xlsx и "
                    "отправьте снова; если не поможет, передайте файл оператору.",
                    "The checking process stopped on this file. Save it again as .xlsx and send it again; "
                    "if that does not help, send the file to the operator."),
    "too_large": Text("Файл тым үлкен: {limit} артық болмауы керек (есеп файлы әдетте 20–150 КБ). Дұрыс файл "
                      "екенін тексеріп, оны .xlsx ретінде қайта сақтаңыз.",
                      "Файл слишком большой: допускается не больше {limit} (файл отчёта обычно занимает "
                      "20–150 КБ). Проверьте, тот ли это файл, и сохраните его заново как .xlsx.",
                      "The file is too large: at most {limit} is accepted (a report is usually 20–150 KB)."),
    "busy": Text("Сервер қазір бос емес: {seconds} секундтан кейін қайталап көріңіз.",
                 "Сервер сейчас занят: попробуйте снова через {seconds} с.",
                 "The server is busy: try again in {seconds} s."),
    "no_file": Text("Файл таңдалмаған: есеп файлын таңдап, батырманы қайта басыңыз.",
                    "Файл не выбран: выберите файл отчёта и нажмите кнопку снова.",
                    "No file was chosen: choose the report workbook and press the button again."),
    "csrf": Text("Бет ескірген: бетті жаңартып (F5), файлды қайта жіберіңіз.",
                 "Страница устарела: обновите её (F5) и отправьте файл снова.",
                 "The page has expired: reload it (F5) and send the file again."),
    "bad_request": Text("Сұрау оқылмады: бетті жаңартып, қайталап көріңіз.",
                        "Запрос не удалось прочитать: обновите страницу и попробуйте снова.",
                        "The request could not be read: reload the page and try again."),
    "not_found": Text("Мұндай бет жоқ. Басты бетке өтіңіз.", "Такой страницы нет. Перейдите на главную.",
                      "No such page. Go to the main page."),
    "home": Text("Басты бет", "На главную", "Main page"),
    "error_title": Text("Сұрау орындалмады", "Запрос не выполнен", "Request not completed"),
    "code_missing": Text("Есепті тапсыру үшін оператордың хатындағы кіру кодын енгізіңіз.",
                         "Чтобы сдать отчёт, введите код доступа из письма оператора.",
                         "Enter the access code from the operator's letter to submit the report."),
    "code_wrong": Text("Кіру коды бұл есепке (БСН {bin}, шарт № {agreement}) сәйкес келмейді: файл "
                       "қабылданбады және сақталмады. Кодты оператордың хатынан тексеріп, қайта енгізіңіз; "
                       "файлдағы БСН мен шарт нөмірі дұрыс екеніне көз жеткізіңіз.",
                       "Код доступа не подходит к этому отчёту (БИН {bin}, договор № {agreement}): файл не "
                       "сдан и не сохранён. Проверьте код в письме оператора и введите его снова; "
                       "убедитесь, что БИН и номер договора в файле верны.",
                       "The access code does not belong to this report (BIN {bin}, agreement {agreement}): "
                       "nothing was stored."),
    "not_submitted": Text("Файл тапсырылмады және сақталмады: алдымен төмендегі себебін түзетіңіз.",
                          "Файл не сдан и не сохранён: сначала устраните причину ниже.",
                          "The file was not submitted and not stored: fix the cause below first."),
    "too_many": Text("Кіру коды бірнеше рет қате енгізілді. {seconds} секундтан кейін қайталап көріңіз.",
                     "Код доступа несколько раз введён неверно. Попробуйте снова через {seconds} с.",
                     "Too many wrong access codes. Try again in {seconds} s."),
    "receipt": Text("Есеп тапсырылды: түбіртек", "Отчёт сдан: квитанция", "Report submitted: receipt"),
    "received_at": Text("Қабылданған уақыты (Астана уақыты)", "Время получения (время Астаны)",
                        "Received at (Astana time)"),
    "status": Text("Тексеру нәтижесі", "Результат проверки", "Check result"),
    "org": Text("Ұйым", "Организация", "Organisation"),
    "bin": Text("БСН", "БИН", "BIN"),
    "agreement": Text("Шарт №", "Договор №", "Agreement"),
    "receipt_note": Text("Бұл түбіртекті сақтап қойыңыз (басып шығаруға немесе скриншот жасауға болады). "
                         "Қате болса, файлды түзетіп, есепті қайта тапсырыңыз.",
                         "Сохраните эту квитанцию (распечатайте или сделайте снимок экрана). Если есть "
                         "ошибки, исправьте файл и сдайте отчёт снова.",
                         "Keep this receipt. If there are errors, fix the file and submit it again."),
    "uploading": Text("Жүктелуде…", "Загрузка…", "Uploading…"),
    "checking": Text("Тексерілуде…", "Проверка…", "Checking…"),
    "network": Text("Байланыс үзілді: қайталап көріңіз.", "Связь прервалась: попробуйте снова.",
                    "The connection failed: try again."),
}

LANG_NAMES = {"kk": "Қазақша", "ru": "Русский"}


def t(key: str, lang: str, **params) -> str:
    text = T[key].get(lang)
    return text.format(**params) if params else text


def severity_word(severity: str, lang: str) -> str:
    return v.SEVERITY[severity].get(lang)


def count_label(severity: str, lang: str) -> str:
    """Number-first count labels («Ошибок: 3»), which agree with any number in Russian."""
    return v.COUNT_LABEL[severity].get(lang)


def banner(valid: bool, lang: str) -> str:
    """The status line, as on the validation sheet: «ПРОВЕРКУ ПРОШЁЛ: ошибок нет, …»."""
    key = "valid" if valid else "invalid"
    return f"{v.STATUS[key].get(lang).upper()}: {v.NEXT_STEP[key].get(lang)}"


def size_text(n: int, lang: str) -> str:
    mib = n / (1024 * 1024)
    unit = {"kk": "МБ", "ru": "МБ"}.get(lang, "MB")
    return f"{mib:g} {unit}"
