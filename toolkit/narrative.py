"""Counts that a narrative states, in Kazakh and Russian: "1200-ден астам адам қатысты", "всего 10 малых
грантов", "не менее 600 человек", "7 млн теңге". Used by the narrative-number rule, which compares them
with the report's own figures of the same kind.

Precision first: a figure is taken only with its unit right after it (a few words at most), a qualifier
says how it bounds the real figure (at least / more than / exact / about), and a figure of people counts as
participants only in a clause that speaks of taking part (қатыс-, участ-). Distributive figures ("әр
ауданда 1 грант", "по 300 000 тенге", "1 грант на район") and approximate ones ("шамамен", "около",
"тарта") are left alone. Pure functions, stdlib only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# A number as people type it in text: "1200", "1 200", "13 000", "1,5" (then a multiplier may follow).
_NUMBER = r"(?<![\d,.])(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?(?![\d])"
# A Kazakh case ending glued to the number with a dash or not: "1200-ден", "600-дан", "1000нан", "50-ге".
_SUFFIX = r"(?:[-‐–]?(?:ден|дан|тен|тан|нен|нан|ге|ға|ке|қа|ның|нің|дың|дің|тың|тің|ды|ді|ты|ті|ны|ні|ы|і))?"

UNITS = {
    "people": r"адам\w*|қатысушы\w*|тұрғын\w*|человек\w*|чел\.|участник\w*|жител\w*",
    "grants": r"(?:шағын\s*|мал\w+\s+|суб)?грант\w*",   # sub-grants only: see SUBGRANT_CONTEXT
    "money": r"теңге\w*|тенге|тг\.?|₸",
    "direct": r"тікелей\s+бенефициар\w*|прям\w+\s+бенефициар\w*",
    "indirect": r"жанама\s+бенефициар\w*|косвенн\w+\s+бенефициар\w*",
}
# Words that may stand between a number and its unit ("12 оқыту шарасы", "10 обучающих семинаров").
_BETWEEN = r"(?:\s+(?:[а-яәіңғүұқөһё]+\w*)){0,2}?"

_AT_LEAST_AFTER = r"(?:астам|аса|артық|кем\s+емес|кем\s+болма\w*|кем\s+болған\s+жоқ)"
_AT_LEAST_BEFORE = r"(?:кемінде|кем\s+дегенде|более\s+чем|более|свыше|больше|не\s+менее|не\s+меньше|минимум|от)"
_ABOUT = (r"(?<!\w)(?:шамамен|шамасында|жуық|тарта|около|порядка|примерно|приблизительно|почти"
          r"|(?<!не\s)до|(?<!не\s)менее|(?<!не\s)меньше)")
_TOTAL = (r"(?<!\w)(?:барлығы|барлық|жалпы|жиыны|всего|итого|в\s+общей\s+сложности|общее\s+(?:число|количество)"
          r"|общим\s+числом)(?!\w)")
_EACH = r"(?<!\w)(?:әр|әрбір|кажд\w*|по|ауданға|ауданда|қалаға|қалада)"
_PARTICIPATE = r"(?:қатыс\w*|участ\w*)"
# A clause about grants counts them as sub-grants only when it says so (the project's own grant, or grants
# from other donors, are not the sub-grant table's rows).
SUBGRANT_CONTEXT = r"шағын\s*грант|мал\w+\s+грант|субгрант"


@dataclass(frozen=True)
class Stated:
    kind: str          # a key of UNITS
    value: float       # the figure, multiplier applied
    bound: str         # "ge" (at least / more than), "gt" (more than), "eq" (exact)
    total: bool        # the clause says it is a total (барлығы, всего, жалпы…)
    participate: bool  # the clause speaks of taking part (people only)
    clause: str        # the clause it was read from (for the message)


_rx_cache: dict = {}


def _rx(pattern: str):
    rx = _rx_cache.get(pattern)
    if rx is None:
        rx = _rx_cache[pattern] = re.compile(pattern)   # callers match lower-cased text
    return rx


_CLAUSE_END = re.compile(r"[!?;\n\u2026]+|\.(?!\d)")


def _clauses(text: str) -> list[str]:
    """Sentences and list items: split at . ! ? ; … and line breaks (not at a dot inside a number)."""
    return [p.strip() for p in _CLAUSE_END.split(text) if p and not p.isspace()]


# The stems of every unit: a cheap test before the exact patterns run (most figures have no unit).
_UNIT_STEMS = re.compile(r"адам|қатысушы|тұрғын|человек|чел\.|участник|жител|грант|теңге|тенге|тг|₸|бенефициар")
_DIGIT = re.compile(r"\d")


def stated(text: str) -> list[Stated]:
    """Every count with a unit that `text` states, with how it bounds the real figure."""
    if not isinstance(text, str) or not text.strip():
        return []
    out: list[Stated] = []
    for clause in _clauses(text):
        low = clause.lower().replace("ё", "е")
        if not _DIGIT.search(low) or not _UNIT_STEMS.search(low):
            continue
        for m in _rx(_NUMBER).finditer(low):
            if not _UNIT_STEMS.search(low, m.end(), m.end() + 60):
                continue
            tail = low[m.end():]
            head = low[max(0, m.start() - 40):m.start()]
            sfx = _rx(r"\A" + _SUFFIX).match(tail)
            rest = tail[sfx.end():] if sfx else tail
            mult = 1
            mm = _rx(r"\A\s*(млн|миллион\w*|мың|тыс\.?|тысяч\w*|млрд)\b\.?").match(rest)
            if mm:
                word = mm.group(1).rstrip(".")
                mult = 10 ** 9 if word == "млрд" else 1_000_000 if word.startswith(("млн", "миллион")) else 1_000
                rest = rest[mm.end():]
            after_q = _rx(r"\A\s*" + _AT_LEAST_AFTER).match(rest)
            if after_q:
                rest = rest[after_q.end():]
            for kind, unit in UNITS.items():
                um = _rx(r"\A" + _BETWEEN + r"\s*(?:" + unit + r")").match(rest)
                if um is None:
                    continue
                after_unit = rest[um.end():um.end() + 25]
                # "600 адамнан кем болмады": the qualifier may follow the unit in Kazakh.
                at_least = bool(after_q) or bool(_rx(r"(?:" + _AT_LEAST_BEFORE + r")\s*$").search(head)) \
                    or bool(_rx(r"\A\s*(?:" + _AT_LEAST_AFTER + r")").match(
                        _rx(r"\A(?:" + _SUFFIX + r")").sub("", after_unit, count=1)))
                if _rx(r"(?:" + _ABOUT + r")\s*$").search(head) or _rx(r"\A\s*(?:ға|ге|қа|ке)?\s*(?:жуық|тарта)").match(rest):
                    break
                # "әр ауданда 1 грант", "по 1 гранту", "1 грант на район": one per place, not a count.
                if _rx(r"(?:" + _EACH + r")\s*$").search(head) or \
                        _rx(r"\A\s*[\(\[]?\s*(?:на|в)\s+(?:район|город|кажд)").match(after_unit):
                    break
                if kind == "money" and _rx(r"(?:(?<!\w)по|әр\w*|әр\w*\s+\w+\s+(?:құны|көлемі))\s*$").search(head):
                    break
                value = float(m.group(1).replace(" ", "").replace("\u00a0", "").replace("\u202f", ""))
                if m.group(2):
                    value = float(f"{int(value)}.{m.group(2)}")
                value *= mult
                bound = "gt" if after_q and _rx(r"астам|аса|артық").match(after_q.group().strip()) else (
                    "ge" if at_least else "eq")
                if _rx(r"(?:более|свыше|больше)(?:\s+чем)?\s*$").search(head):
                    bound = "gt"
                out.append(Stated(kind, value, bound, bool(_rx(_TOTAL).search(low[:m.start()])),
                                  bool(_rx(_PARTICIPATE).search(low)), clause))
                break
    return out


def contradicts(s: Stated, table_value: float) -> bool:
    """Does the table's figure contradict what the narrative states? An exact figure is a part unless it
    is called a total, so only more than the table contradicts it; a total must match."""
    if s.bound == "gt":
        return not table_value > s.value
    if s.bound == "ge":
        return not table_value >= s.value
    if s.total:
        return abs(table_value - s.value) > 0.5
    return s.value > table_value + 0.5
