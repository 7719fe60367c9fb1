"""Benchmark: `esep merge` and `esep validate` against what users would do instead, and the floor.

    python bench/run.py [--n N] [--quick] [--out DIR] [--keep] [--repeat R]

1. Generates N realistic filled workbooks from the template (the seed report's ~70 indicator lines and
   full narratives, 20 partners, 8-12 sub-grants, consistent statistics and money; both languages, all
   regions, distinct BINs; errors in ~10 % of the files; a few resubmissions) with
   `toolkit.template.write_template(..., data=...)`. Generation time is printed, never compared.
2. Measures, each command in a fresh interpreter (wall time, CPU time and peak RSS of the process tree
   from os.wait4; the tree's summed RSS sampled from /proc):
   - `python cli.py merge DIR -o register.xlsx` (default --jobs);
   - the pandas loop (bench/pandas_loop.py): read_excel(sheet_name=None) per file, concat, to_excel;
   - the floor (bench/floor.py): calamine reading every sheet of every file + xlsxwriter writing the
     cells of esep's own register;
   - `esep validate` of one file (with --no-copy and with the checked copy) against
     `python -c "import openpyxl; openpyxl.load_workbook(f)"`, median of 7 runs each;
   - with N >= 300 the merge of the first 100 files too (time per file: linear growth);
   - the re-merge after 1 % of the files changed (the merge cache, issue #13): one merge fills a cache,
     then per run 1 % of the files (at least one) get new content and the merge runs again with the
     cache; the full merges above run with --no-cache.
   --quick (CI smoke run): the pandas loop on at most 20 files (extrapolated), 3 validate runs, and the
   scaling step on half the files, so that every code path runs.
Exits non-zero only when a command fails, never because of a figure.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

SEEDS = ROOT / "workbook_templates" / "examples" / "data"
GENERATOR_VERSION = 3          # bump when the generated data changes (invalidates --out reuse)
ERROR_SHARE = 0.10             # files with at least one error
RESUBMIT_EVERY = 40            # every 40th file resubmits an earlier report (same BIN + agreement)
VALIDATE_RUNS = 7
PACKAGES = ("python-calamine", "xlsxwriter", "defusedxml", "click", "openpyxl", "pandas", "numpy")


# Generating the workbooks -------------------------------------------------------------------------

_seed_cache: dict[str, dict] = {}


def _seed(lang: str) -> dict:
    if lang not in _seed_cache:
        _seed_cache[lang] = json.loads((SEEDS / f"seed_{lang}.json").read_text(encoding="utf-8"))
    return _seed_cache[lang]


ORG_WORDS = {
    "kk": ["Жас Ұрпақ", "Ақ Ниет", "Болашақ", "Шапағат", "Мейірім", "Адал Жол", "Үміт", "Дала Шуағы",
           "Ізгілік", "Жарқын Өмір", "Азамат", "Нұрлы Бастау"],
    "ru": ["Жас Ұрпақ", "Ак Ниет", "Болашак", "Шапагат", "Мейірім", "Честный путь", "Надежда",
           "Степной свет", "Добро", "Светлая жизнь", "Гражданин", "Светлое начало"],
}
ORG_FORM = {"kk": "«{}» қоғамдық бірлестігі", "ru": "Общественное объединение «{}»"}
PEOPLE = ["Сәрсенова Әлия", "Ахметов Ерлан", "Жумабаева Гульнар", "Ким Андрей", "Оспанов Нұрлан",
          "Иванова Мария", "Серікбаев Данияр", "Абдрахманова Сауле"]
PARTNER_ROLE = {"kk": ["ақпараттық қолдау", "орын беру", "сарапшылық көмек", "қатысушыларды тарту"],
                "ru": ["информационная поддержка", "предоставление помещения", "экспертная помощь",
                       "привлечение участников"]}
PARTNER_KIND = {"kk": ["{} ауданының ішкі саясат бөлімі", "{} қалалық жастар ресурстық орталығы",
                       "«{}» ҮЕҰ", "{} ауылдық округінің әкімдігі"],
                "ru": ["Отдел внутренней политики района {}", "Молодёжный ресурсный центр города {}",
                       "НПО «{}»", "Аппарат акима сельского округа {}"]}
PLACES = ["Алаколь", "Ескелді", "Көксу", "Кербұлақ", "Қаратал", "Панфилов", "Сарқан", "Талдықорған",
          "Текелі", "Ақсу", "Балқаш", "Жаркент"]
SUBGRANT_TYPE = {"kk": ["ҮЕҰ", "бастамашыл топ"], "ru": ["НПО", "инициативная группа"]}
NO_DEVIATION = {"kk": "жоспарланған іс-шараларда ауытқу орын алған жоқ.", "ru": "Отклонений нет."}
LONG_RESULT = {"kk": "Тұрғындардың қоғамдық бақылауға қатысуы тұрақты түрде артты; "
                     "оқытылған белсенділер өз ауылдарында жұмысты жалғастыруда.",
               "ru": "Участие жителей в общественном контроле устойчиво выросло; "
                     "обученные активисты продолжают работу в своих сёлах."}


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """total split into len(weights) non-negative integers summing exactly to total."""
    s = sum(weights)
    parts = [int(total * w / s) for w in weights]
    parts[max(range(len(parts)), key=lambda k: weights[k])] += total - sum(parts)
    return parts


def _make_bin(i: int) -> str:
    from toolkit.values import make_bin

    for month in range(1, 13):
        try:
            return make_bin(f"{10 + i % 14:02d}{month:02d}4{i:06d}")
        except ValueError:
            continue
    raise RuntimeError(f"no BIN for {i}")


def report_data(i: int) -> tuple[str, str, dict]:
    """(file name, lang, data for write_template) of benchmark file i; deterministic in i."""
    resubmits = i % RESUBMIT_EVERY == RESUBMIT_EVERY - 1 and i >= 20
    base = i - 20 if resubmits else i
    lang, data, region_code = _base_data(base, allow_errors=not resubmits)
    if resubmits:   # the same report sent again later, corrected
        s = data["singles"]
        s["report_date"] = (dt.date.fromisoformat(s["report_date"]) + dt.timedelta(days=9)).isoformat()
        s["text_results"] += " (түзетілген нұсқа / исправленная версия)"
    return f"{i:04d}_{lang}_{region_code}.xlsx", lang, data


def _base_data(i: int, allow_errors: bool) -> tuple[str, dict, str]:
    from toolkit import form

    rng = random.Random(1000003 * i + 7)
    lang = "kk" if rng.random() < 0.6 else "ru"
    seed = _seed(lang)
    s = copy.deepcopy(seed["singles"])
    tables = copy.deepcopy(seed["tables"])
    regions = [o for o in form.LIST["region"].options if o.code != "national"]
    region = regions[i % len(regions)] if rng.random() < 0.9 else form.LIST["region"].options[-1]
    org = ORG_FORM[lang].format(f"{rng.choice(ORG_WORDS[lang])}-{i + 1}")

    # Header.
    s.update(region=region.label.get(lang), org_name=org, org_bin=_make_bin(i),
             agreement_no=f"{rng.randint(1, 400)}/{i + 1}", org_head=rng.choice(PEOPLE),
             agreement_date=f"2024-05-{rng.randint(15, 27):02d}",
             report_date=f"2024-12-{rng.randint(1, 20):02d}", org_email=f"ngo{i + 1}@example.kz",
             org_phone=f"8 70{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} "
                       f"{rng.randint(10, 99)}")
    # Money: grant = payroll + taxes + purchases; sub-grants well inside purchases.
    grant = rng.choice([5_000_000, 7_000_000, 8_500_000, 10_000_000, 12_500_000, 15_000_000, 20_000_000])
    payroll = round(grant * rng.uniform(0.10, 0.16) / 1000) * 1000
    taxes = round(payroll * 0.0454)
    purchases = grant - payroll - taxes
    s.update(grant_amount=grant)
    for key, value in (("payroll", payroll), ("taxes", taxes), ("purchases", purchases)):
        s[f"impact_{key}_plan"] = s[f"impact_{key}_fact"] = value
    # Participants: three breakdowns of the same total, beneficiaries = that total.
    total = rng.randint(300, 3000)
    male = _split(total, [rng.uniform(0.3, 0.6), 1], rng)
    ages = _split(total, [0, rng.uniform(1, 4), 2, 3, 8, 10, rng.uniform(0.2, 2)], rng)
    cats = _split(total, [0, 3, 2, rng.uniform(5, 10), rng.uniform(0, 0.5), 4, 3, 3, 0.3, 0.7], rng)
    older = ages[5] + ages[6]
    if cats[5] > older:                       # elderly (category) must fit the older age groups
        cats[3] += cats[5] - older
        cats[5] = older
    s.update(stats_gender_total=total, stats_male=male[0], stats_female=male[1],
             stats_cat_total=total, stats_age_total=total,
             impact_direct_beneficiaries_fact=total,
             impact_direct_beneficiaries_plan=max(100, int(total * rng.uniform(0.8, 1.0)) // 50 * 50))
    cat_names = ["stats_cat_children", "stats_cat_youth", "stats_cat_civil_servants",
                 "stats_cat_budget_workers", "stats_cat_disabled", "stats_cat_elderly",
                 "stats_cat_unemployed", "stats_cat_ngo", "stats_cat_business", "stats_cat_other"]
    age_names = ["stats_age_13_16", "stats_age_17_22", "stats_age_23_27", "stats_age_28_32",
                 "stats_age_33_45", "stats_age_46_58", "stats_age_59_plus"]
    for name, value in list(zip(cat_names, cats)) + list(zip(age_names, ages)):
        s[name] = value if value else "-"
    # Narratives: the seed's full texts (a few KB each), made this organisation's.
    s["text_story_person"] = rng.choice(PEOPLE).split()[1] + " " + rng.choice("АБДЕКМНС") + "."
    s["text_story_contact"] = f"+7 70{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} 01"
    for name in ("text_activities", "text_results", "text_long_term", "text_socio_economic"):
        s[name] = f"{org}, {region.label.get(lang)}. " + s[name]

    # Indicators: the seed's 69 lines, facts varying upwards, long results mostly written.
    with_long = rng.random() < 0.7
    for row in tables["ind"]:
        if isinstance(row.get("ind_fact"), int) and isinstance(row.get("ind_plan"), int) and rng.random() < 0.3:
            row["ind_fact"] = row["ind_plan"] + rng.randint(0, 3)
        if "ind_task" in row and with_long:
            row["ind_long_result"] = LONG_RESULT[lang]
    # Partners: 20; the impact table says 20.
    partners = []
    for k in range(20):
        place = PLACES[(i + k) % len(PLACES)]
        partners.append({"partner_name": rng.choice(PARTNER_KIND[lang]).format(place),
                         "partner_role": rng.choice(PARTNER_ROLE[lang]),
                         "partner_contacts": f"8 70{k % 10} 000 {10 + k:02d} {rng.randint(10, 99)}"
                                             f" ({rng.choice(PEOPLE).split()[1]})"})
    tables["partner"] = partners
    s["impact_partners_plan"] = s["impact_partners_fact"] = 20
    # Sub-grants: 8-12 of 300 000.
    tables["subgrant"] = [{"subgrant_recipient": ORG_FORM[lang].format(f"{PLACES[k]} {i + 1}"),
                           "subgrant_type": rng.choice(SUBGRANT_TYPE[lang]),
                           "subgrant_locality": PLACES[(k + i) % len(PLACES)],
                           "subgrant_amount": 300_000}
                          for k in range(rng.randint(8, 12))]

    # A few errors in ~10 % of the files.
    if allow_errors and rng.random() < ERROR_SHARE:
        for kind in rng.sample(["gender", "bin", "type", "not-met", "period"], rng.randint(1, 3)):
            if kind == "gender":
                s["stats_male"] = male[0] + rng.randint(1, 40)
            elif kind == "bin":
                b = s["org_bin"]
                s["org_bin"] = b[:-1] + str((int(b[-1]) + 1) % 10)
            elif kind == "type":
                s["grant_amount"] = "жеті миллион" if lang == "kk" else "семь миллионов"
            elif kind == "not-met":
                row = next(r for r in tables["ind"] if isinstance(r.get("ind_plan"), int)
                           and r["ind_plan"] >= 4)
                row["ind_fact"] = row["ind_plan"] - 2
                s["deviation_note"] = NO_DEVIATION[lang]
            elif kind == "period":
                s["period_end"] = "2024-05-01"
    return lang, {"singles": s, "tables": tables}, region.code


def _write_one(args) -> str:
    i, folder = args
    from toolkit.template import write_template

    name, lang, data = report_data(i)
    write_template(Path(folder) / name, lang=lang, data=data)
    return name


def generate(n: int, folder: Path) -> tuple[float, bool]:
    """Write the N files into folder (reused when a matching manifest is there); (seconds, reused)."""
    manifest = folder / "manifest.json"
    want = {"n": n, "generator": GENERATOR_VERSION}
    if manifest.exists() and json.loads(manifest.read_text()) == want \
            and len(list(folder.glob("*.xlsx"))) == n:
        return 0.0, True
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    jobs = [(i, str(folder)) for i in range(n)]
    if n >= 20 and (os.cpu_count() or 1) > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(os.cpu_count()) as pool:
            for _ in pool.imap_unordered(_write_one, jobs, chunksize=8):
                pass
    else:
        for a in jobs:
            _write_one(a)
    manifest.write_text(json.dumps(want))
    return time.perf_counter() - t0, False


# Measuring ----------------------------------------------------------------------------------------

class Failed(Exception):
    pass


def _tree_rss_kb(root: int) -> int:
    """Summed RSS of root and its descendants (Linux /proc), in KB; 0 when unavailable."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page_kb
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run(cmd: list[str], *, ok=(0,), sample=False, cwd=ROOT) -> dict:
    """Run cmd in a fresh process; wall time, CPU time and peak RSS (largest process of the tree,
    from wait4) and, with sample=True, the peak of the tree's summed RSS (sampled every 100 ms)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def sampler():
            while not done.wait(0.1):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

        thread = threading.Thread(target=sampler, daemon=True) if sample else None
        if thread:
            thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        if thread:
            thread.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode not in ok:
        raise Failed(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{stderr[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_mb": usage.ru_maxrss / 1024,
            "tree_mb": peak[0] / 1024, "stdout": stdout, "stderr": stderr}


def merge(folder: Path, output: Path, repeat: int, cache: Path | None = None, before_each=None) -> dict:
    runs = []
    for k in range(repeat):
        if output.exists():
            output.unlink()
        if before_each:
            before_each(k)
        # exit 1 = some files need corrections (expected here); anything else is a failure.
        cache_args = ["--cache", str(cache)] if cache else ["--no-cache"]
        r = run([sys.executable, "cli.py", "merge", str(folder), "-o", str(output)] + cache_args, ok=(0, 1),
                sample=True)
        if not output.exists():
            raise Failed(f"merge wrote no register: {r['stderr'][-2000:]}")
        runs.append(r)
    runs.sort(key=lambda r: r["wall"])
    best = dict(runs[len(runs) // 2])
    best["runs"] = [r["wall"] for r in runs]
    best["maxrss_mb"] = max(r["maxrss_mb"] for r in runs)
    best["tree_mb"] = max(r["tree_mb"] for r in runs)
    return best


def validate_runs(f: Path, checked_dir: Path, runs: int) -> dict[str, list[float]]:
    cmds = {
        "validate --no-copy": [sys.executable, "cli.py", "validate", "--no-copy", str(f)],
        "validate (checked copy)": [sys.executable, "cli.py", "validate", "--out-dir", str(checked_dir), str(f)],
        "openpyxl.load_workbook": [sys.executable, "-c", "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])",
                                   str(f)],
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    run([sys.executable, "-c", "pass"])          # warm the interpreter's files
    for _ in range(runs):                         # interleaved: the VM's noise hits all three alike
        for k, cmd in cmds.items():
            times[k].append(run(cmd, ok=(0, 1))["wall"])
    if not any(checked_dir.glob("*.checked.xlsx")):
        raise Failed("validate wrote no checked copy")
    return times


# Reporting ----------------------------------------------------------------------------------------

def machine() -> list[str]:
    from importlib import metadata

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal")) / 1024 / 1024
        mem_s = f", {mem:.0f} GiB RAM"
    except (OSError, StopIteration):
        mem_s = ""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for p in PACKAGES:
        try:
            versions.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{p} (not installed)")
    try:
        load = " (load average %.2f %.2f %.2f: other processes share these cores)" % os.getloadavg()
    except OSError:
        load = ""
    return [f"date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}{load}",
            f"machine: {cpu}, {cores} cores{mem_s}, {platform.system()} {platform.release()}",
            f"python: {platform.python_implementation()} {platform.python_version()}",
            "packages: " + ", ".join(versions)]


def _s(x: float) -> str:
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for k, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [x.rjust(w) for x, w in zip(r[1:], widths[1:])]
        out.append("| " + " | ".join(cells) + " |")
        if k == 0:
            out.append("|" + "|".join("-" * (w + 2) if c == 0 else "-" * (w + 1) + ":"
                                      for c, w in enumerate(widths)) + "|")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="number of workbooks (default 300)")
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer repetitions, every code path")
    ap.add_argument("--out", type=Path, default=None, help="work folder (kept; files reused when they match)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    ap.add_argument("--repeat", type=int, default=1, help="merge and floor runs (median shown)")
    args = ap.parse_args(argv)
    if args.n < 2:
        ap.error("--n must be at least 2")

    work = args.out.resolve() if args.out else Path(tempfile.mkdtemp(prefix="esep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _bench(args, work)
    except Failed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.out is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif args.out is None:
            print(f"(work folder kept: {work})")


def _bench(args, work: Path) -> int:
    n, quick = args.n, args.quick
    header = machine()
    print("\n".join(header))
    reports = work / "reports"
    gen_s, reused = generate(n, reports)
    size = sum(f.stat().st_size for f in reports.glob("*.xlsx"))
    print(f"generated {n} workbooks in {reports} ({size / n / 1024:.0f} KB each): "
          + ("reused" if reused else f"{gen_s:.1f} s (not part of the comparison)"), flush=True)

    # esep merge
    register = work / "register.xlsx"
    m = merge(reports, register, args.repeat)
    print(f"esep merge: {_s(m['wall'])} — {m['stdout'].strip()}", flush=True)

    # scaling: merge of the first K files
    k = 100 if n >= 300 else (max(2, n // 2) if quick else 0)
    m_small = None
    if k:
        first = work / f"first{k}"
        if first.exists():
            shutil.rmtree(first)
        first.mkdir()
        for f in sorted(reports.glob("*.xlsx"))[:k]:
            try:
                os.link(f, first / f.name)
            except OSError:
                shutil.copy2(f, first / f.name)
        m_small = merge(first, work / f"register{k}.xlsx", args.repeat)
        print(f"esep merge of the first {k}: {_s(m_small['wall'])}", flush=True)

    # re-merge after 1 % of the files changed
    again = work / "remerge"
    if again.exists():
        shutil.rmtree(again)
    again.mkdir()
    files = sorted(reports.glob("*.xlsx"))
    for f in files:
        shutil.copy2(f, again / f.name)
    cache = work / "cache"
    if cache.exists():
        shutil.rmtree(cache)
    prime = merge(again, work / "register-cached.xlsx", 1, cache=cache)
    changed = max(1, round(n / 100))
    rng = random.Random(13)

    def change(k: int) -> None:
        from toolkit.template import write_template

        for j, f in enumerate(rng.sample(files, changed)):
            _, lang, data = report_data(n + 1000 * (k + 1) + j)     # another report under the same name
            write_template(again / f.name, lang=lang, data=data)

    remerge = merge(again, work / "register-cached.xlsx", args.repeat, cache=cache, before_each=change)
    print(f"re-merge after {changed} of {n} files changed: {_s(remerge['wall'])} "
          f"(first merge writing the cache: {_s(prime['wall'])})", flush=True)

    # floor
    floors = []
    for _ in range(args.repeat):
        r = run([sys.executable, str(BENCH / "floor.py"), str(reports), str(register), str(work / "floor.xlsx")])
        floors.append(json.loads(r["stdout"].strip().splitlines()[-1]))
    floors.sort(key=lambda x: x["read_s"] + x["write_s"])
    floor = floors[len(floors) // 2]
    floor_s = floor["read_s"] + floor["write_s"]
    print(f"floor: read {_s(floor['read_s'])} + write {_s(floor['write_s'])}", flush=True)

    # pandas loop
    p_files = min(n, 20) if quick else n
    cmd = [sys.executable, str(BENCH / "pandas_loop.py"), str(work / "pandas.xlsx"), str(reports)]
    if p_files < n:
        cmd += ["--limit", str(p_files)]
    p = run(cmd, sample=True)
    p_info = json.loads(p["stdout"].strip().splitlines()[-1])
    pandas_s = p["wall"] if p_files == n else p["wall"] * n / p_files
    print(f"pandas loop ({p_files} files, {p_info['engine']}): {_s(p['wall'])}", flush=True)

    # validate one file
    one = sorted(reports.glob("*.xlsx"))[0]
    checked = work / "checked"
    checked.mkdir(exist_ok=True)
    v = validate_runs(one, checked, 3 if quick else VALIDATE_RUNS)
    med = {key: statistics.median(ts) for key, ts in v.items()}

    # The table.
    est = "" if p_files == n else f" (est. from {p_files} files)"
    rows = [("step", "time", "per file", "ratio", "peak RSS")]
    rows.append((f"esep merge, {n} files (whole command)", _s(m["wall"]), f"{m['wall'] / n * 1000:.1f} ms",
                 "1.00", f"{m['maxrss_mb']:.0f} MB / tree {m['tree_mb']:.0f} MB"))
    rows.append((f"pandas loop: read_excel + concat + to_excel{est}", _s(pandas_s),
                 f"{pandas_s / n * 1000:.1f} ms", f"{pandas_s / m['wall']:.1f}× merge",
                 f"{p['maxrss_mb']:.0f} MB"))
    rows.append(("floor: calamine read of every sheet", _s(floor["read_s"]),
                 f"{floor['read_s'] / n * 1000:.1f} ms", "", ""))
    rows.append((f"floor: xlsxwriter write of the register ({floor['write_cells']:,} cells)",
                 _s(floor["write_s"]), f"{floor['write_s'] / n * 1000:.1f} ms", "", ""))
    rows.append(("floor: read + write", _s(floor_s), f"{floor_s / n * 1000:.1f} ms",
                 f"merge = {m['wall'] / floor_s:.2f}× floor", ""))
    if m_small:
        rows.append((f"esep merge, first {k} files", _s(m_small["wall"]),
                     f"{m_small['wall'] / k * 1000:.1f} ms",
                     f"per file ×{(m['wall'] / n) / (m_small['wall'] / k):.2f} at {n}",
                     f"{m_small['maxrss_mb']:.0f} MB / tree {m_small['tree_mb']:.0f} MB"))
    rows.append((f"esep merge, cache filled (first run)", _s(prime["wall"]), f"{prime['wall'] / n * 1000:.1f} ms",
                 f"{prime['wall'] / m['wall']:.2f}× merge", f"{prime['maxrss_mb']:.0f} MB"))
    rows.append((f"re-merge after 1 % of files changed ({changed} of {n})", _s(remerge["wall"]),
                 f"{remerge['wall'] / n * 1000:.1f} ms", f"{remerge['wall'] / m['wall']:.2f}× merge",
                 f"{remerge['maxrss_mb']:.0f} MB"))
    runs = 3 if quick else VALIDATE_RUNS
    opx = med["openpyxl.load_workbook"]
    for key in ("validate --no-copy", "validate (checked copy)", "openpyxl.load_workbook"):
        label = f"esep {key}, one file" if key.startswith("validate") else "python -c 'openpyxl.load_workbook(f)'"
        rows.append((f"{label} (median of {runs})", _s(med[key]), "", f"{med[key] / opx:.2f}× openpyxl", ""))
    print()
    print(f"esep bench, N = {n}{' (quick)' if quick else ''}; command: python bench/run.py "
          + " ".join((sys.argv[1:] if sys.argv[1:] else [])))
    print("\n".join(header))
    print(table(rows))
    print()
    checks = [
        ("merge ≥ 10× faster than the pandas loop", pandas_s / m["wall"] >= 10,
         f"{pandas_s / m['wall']:.1f}×"),
        ("merge within 1.5× of the floor", m["wall"] <= 1.5 * floor_s, f"{m['wall'] / floor_s:.2f}×"),
        ("validate --no-copy no slower than openpyxl.load_workbook", med["validate --no-copy"] <= opx,
         f"{med['validate --no-copy'] / opx:.2f}×"),
        ("validate with checked copy within 1.5× of openpyxl.load_workbook",
         med["validate (checked copy)"] <= 1.5 * opx, f"{med['validate (checked copy)'] / opx:.2f}×"),
    ]
    checks.append(("re-merge after 1 % of files changed ≤ 0.3× a full merge", remerge["wall"] <= 0.3 * m["wall"],
                   f"{remerge['wall'] / m['wall']:.2f}×"))
    if m_small:
        checks.append((f"merge peak RSS flat from {k} to {n} files",
                       m["maxrss_mb"] <= 1.25 * m_small["maxrss_mb"],
                       f"{m_small['maxrss_mb']:.0f} → {m['maxrss_mb']:.0f} MB"))
        checks.append((f"merge time linear from {k} to {n} files (per file within 1.25×)",
                       (m["wall"] / n) <= 1.25 * (m_small["wall"] / k),
                       f"{m_small['wall'] / k * 1000:.1f} → {m['wall'] / n * 1000:.1f} ms per file"))
    for text, ok, figure in checks:
        print(f"  [{'met' if ok else 'NOT met'}] {text}: {figure}")
    if n < 300:
        print("  (the targets are for 300 and 1 000 files: with few files, start-up dominates every ratio)")
    if len(m["runs"]) > 1:
        print(f"\n(merge runs: {', '.join(_s(x) for x in m['runs'])}; the median is shown)", end="")
    print(f"\n(merge CPU time {m['cpu']:.1f} s over {_s(m['wall'])} wall; "
          f"pandas loop: import {p_info['import_s']:.2f} s, read {_s(p_info['read_s'])}, "
          f"write {_s(p_info['write_s'])} for {p_files} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
