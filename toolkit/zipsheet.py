"""Add one worksheet to a copy of an .xlsx/.xlsm at zip level, leaving every other part byte-identical.

Why: an openpyxl load/save round trip loses cached formula values, x14 data validations (``<extLst>``),
images (without Pillow) and comment formatting. Inserting a sheet at zip level keeps all of that:
only ``workbook.xml`` (+1 ``<sheet>``), ``workbook.xml.rels`` (+1 relationship), ``[Content_Types].xml``
(+1 Override), ``styles.xml`` (appended fonts/fills/borders/xfs) and, with ``activate=True``, the sheets that
carried ``tabSelected`` change. Edits are small string splices located with regular expressions (on a copy where
comments/CDATA/PIs are blanked out), so the rest of each edited part stays byte-identical as well.

Details worth knowing:
- the new sheet is always appended last (``localSheetId`` of defined names are positions) as
  ``<wbdir>/worksheets/sheetN.xml``; text is written as inline strings (never formulas), so no sharedStrings edit.
- ``replace_existing``: a same-titled sheet (titles compare case-insensitively, as in Excel) is removed only when
  it is the LAST sheet (its ``<sheet>``, rel, Override, part and the part's .rels; names local to it; and
  ``calcChain.xml`` if the removed sheet held formulas). Otherwise a unique title "Title (2)" is used.
- styles: only the fonts/fills/borders/xfs the sheet uses are appended; an identical earlier append (e.g. from a
  previous run) is reused, so re-processing a workbook does not grow styles.xml. Fonts inherit size/name of font 0.
- ``number`` uses built-in format 3 ``#,##0`` for integral values and 4 ``#,##0.00`` otherwise; a linked cell
  whose style is ``text`` gets ``link``; text is cleaned of XML-illegal characters (-> U+FFFD), CR/CRLF -> LF,
  capped at 32,767 UTF-16 units, and ``_xHHHH_`` sequences are protected as ``_x005F_xHHHH_`` so Excel shows them
  literally (calamine/LibreOffice decode this; openpyxl returns the escaped form).
- an autofilter also adds the hidden ``_xlnm._FilterDatabase`` name Excel expects.

Reads the workbook only through esep's vetted zip reader (package.VettedZip), from bytes: pass the bytes
the pre-flight vetted, so the copy is made of exactly what was checked. Every problem with the input
workbook surfaces as :class:`ZipSheetError` (a ``ValueError``); file-system errors while reading ``src`` or writing ``dst`` surface as ``OSError``.

    add_sheet("filled.xlsx", "checked.xlsx",
              NewSheet("Тексеру", [[Cell("Accepted", "ok")], [Cell("see", link="'Индикаторлар'!M12")]],
                       col_widths={0: 40}, freeze_rows=1))
"""
from __future__ import annotations

import datetime as _dt
import decimal
import html
import math
import posixpath
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape as _xml_escape

from toolkit.a1 import CELL_RE, MAX_COLS, MAX_ROWS, col_index, col_letters
from toolkit.atomic import atomic_path
from toolkit.package import Unreadable, VettedZip

__all__ = ["Cell", "NewSheet", "STYLES", "ZipSheetError", "add_sheet"]


class ZipSheetError(ValueError):
    """The workbook (or the requested sheet) cannot be processed."""


STYLES = ("text", "wrap", "bold", "title", "header", "ok", "bad", "error", "warning", "info", "link",
          "number", "muted")


@dataclass
class Cell:
    """One cell of the new sheet.

    ``value``: ``str`` (always written as an inline string, never a formula, even when it starts with ``=``),
    ``int``/``float``/``Decimal`` (numbers; NaN/inf are written as text), ``bool``, ``datetime.date``/``datetime``
    (written as ISO text), ``None`` (no cell unless a style or link is set). Anything else is written as ``str(value)``.
    ``link``: an internal location such as ``"'Sheet 1'!M12"``; a linked cell with style ``"text"`` gets ``"link"``.
    """
    value: object = None
    style: str = "text"
    link: str | None = None


@dataclass
class NewSheet:
    title: str
    rows: list = field(default_factory=list)          # list[list[Cell | None]], row-major from A1
    col_widths: dict = field(default_factory=dict)    # 0-based column -> width in characters
    freeze_rows: int = 0
    merges: list = field(default_factory=list)        # ["A1:F1", ...]
    autofilter: str | None = None                     # "A8:H120"
    tab_color: str | None = None                      # "FF0000" (or ARGB "FFFF0000")
    row_heights: dict = field(default_factory=dict)   # 0-based row -> height in points


# --------------------------------------------------------------------------------------------- constants

NS_MAIN_T = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_MAIN_S = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_R_T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_R_S = "http://purl.oclc.org/ooxml/officeDocument/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_VBA = "application/vnd.ms-office.vbaProject"
CT_MAIN_SWAP = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}

MAX_CELL_CHARS = 32_767
MAX_SHEET_NAME = 31

# A tag body that tolerates ">" inside quoted attribute values.
_TB = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_ATTR_RE = re.compile(r"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XMLNS_RE = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_MASK_RE = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OOXML_ESC_RE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_RANGE_RE = re.compile(r"^\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?::\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?$")
_BAD_TITLE_CHARS = set('[]:*?/\\')


# --------------------------------------------------------------------------------------------- small helpers

def _check_range(ref: str, what: str) -> str:
    if not isinstance(ref, str) or not _RANGE_RE.match(ref.strip()):
        raise ZipSheetError(f"{what}: not a cell range: {ref!r}")
    ref = ref.strip().replace("$", "").upper()
    for m in CELL_RE.finditer(ref):
        if not (0 <= col_index(m.group(1)) < MAX_COLS and 1 <= int(m.group(2)) <= MAX_ROWS):
            raise ZipSheetError(f"{what}: range out of bounds: {ref!r}")
    return ref


def _clean_text(s: str) -> str:
    """Make arbitrary text storable in a cell: legal XML 1.0 chars, literal `_xHHHH_`, <= 32767 UTF-16 units."""
    if _ILLEGAL_XML_RE.search(s):
        s = _ILLEGAL_XML_RE.sub("\ufffd", s)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")   # a raw CR would be normalised away by XML parsers
    if len(s) > MAX_CELL_CHARS // 2:
        s = s[:MAX_CELL_CHARS]
        while len(s.encode("utf-16-le")) // 2 > MAX_CELL_CHARS:
            s = s[:-1]
    return s


def _esc_text(s: str) -> str:
    # Excel decodes `_xHHHH_` in strings (ST_Xstring); escape the underscore so the text stays literal.
    s = _OOXML_ESC_RE.sub(r"_x005F_\1", s)
    return _xml_escape(s, {'"': "&quot;"})


def _esc_attr(s: str) -> str:
    return _xml_escape(s, {'"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"})


def _unesc_attr(s: str) -> str:
    return html.unescape(s)


def _attrs(tag: str) -> dict[str, str]:
    out = {}
    for m in _ATTR_RE.finditer(tag):
        out[m.group(1)] = _unesc_attr(m.group(2) if m.group(2) is not None else m.group(3))
    return out


def _attr_local(attrs: dict[str, str], local: str) -> str | None:
    for k, v in attrs.items():
        if k == local or (":" in k and k.rsplit(":", 1)[1] == local and not k.startswith("xmlns")):
            return v
    return None


def _mask(text: str) -> str:
    """Same length as `text`, with comments, CDATA and processing instructions blanked out."""
    return _MASK_RE.sub(lambda m: " " * len(m.group(0)), text)


def _set_attr(tag: str, name: str, value: str) -> str:
    """Set (or add) attribute `name` in a start tag string (tag includes '<' and '>')."""
    pat = re.compile(r"(\s" + re.escape(name) + r"\s*=\s*)(\"[^\"]*\"|'[^']*')")
    m = pat.search(tag)
    if m:
        return tag[:m.start(2)] + '"' + _esc_attr(value) + '"' + tag[m.end(2):]
    m = re.match(r"<[\w.:-]+", tag)
    return tag[:m.end()] + f' {name}="{_esc_attr(value)}"' + tag[m.end():]


def _is_self_closing(tag: str) -> bool:
    return tag.rstrip().endswith("/>")


class _Xml:
    """A decoded XML part plus its encoding, for minimal string edits."""

    def __init__(self, name: str, raw: bytes):
        self.name = name
        if raw.startswith(b"\xef\xbb\xbf"):
            self.bom, self.enc, body = b"\xef\xbb\xbf", "utf-8", raw[3:]
        elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.bom, body = raw[:2], raw[2:]
            self.enc = "utf-16-le" if raw.startswith(b"\xff\xfe") else "utf-16-be"
        else:
            self.bom, self.enc, body = b"", "utf-8", raw
        try:
            self.text = body.decode(self.enc)
        except UnicodeDecodeError as exc:
            raise ZipSheetError(f"{name}: not valid {self.enc}") from exc
        self.masked = _mask(self.text)
        self.changed = False

    def splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]
        self.masked = self.masked[:start] + new + self.masked[end:]   # inserted text holds no comments
        self.changed = True

    def root(self) -> tuple[re.Match, str]:
        """The root start tag and its prefix ('' or 'x:')."""
        m = re.search(r"<([\w.-]+:)?([\w.-]+)(" + _TB + r")>", self.masked)
        while m and self.masked[m.start() + 1] in "!?":
            m = re.search(r"<([\w.-]+:)?([\w.-]+)(" + _TB + r")>", self.masked, pos=m.end())
        if not m:
            raise ZipSheetError(f"{self.name}: no root element")
        return m, (m.group(1) or "")

    def namespaces(self) -> dict[str, str]:
        """prefix ('' for default) -> namespace URI, from the root start tag."""
        m, _ = self.root()
        out = {}
        for x in _XMLNS_RE.finditer(self.text[m.start():m.end()]):
            out[x.group(1) or ""] = _unesc_attr(x.group(2) if x.group(2) is not None else x.group(3))
        return out

    def find_tags(self, p: str, local: str, start: int = 0, end: int | None = None):
        """Start tags <p:local ...> in [start, end)."""
        pat = re.compile("<" + re.escape(p) + re.escape(local) + r"(?=[\s/>])" + _TB + ">")
        end = len(self.masked) if end is None else end
        return list(pat.finditer(self.masked, start, end))

    def element_span(self, p: str, local: str, start: int = 0, end: int | None = None):
        """(start, inner_start, inner_end, end) of the first <p:local> element, or None."""
        tags = self.find_tags(p, local, start, end)
        if not tags:
            return None
        t = tags[0]
        if _is_self_closing(t.group(0)):
            return t.start(), t.end(), t.end(), t.end()
        close = re.compile("</" + re.escape(p) + re.escape(local) + r"\s*>").search(self.masked, t.end())
        if not close:
            raise ZipSheetError(f"{self.name}: unclosed <{p}{local}>")
        return t.start(), t.end(), close.start(), close.end()

    def child_elements(self, p: str, local: str, start: int, end: int):
        """Spans (s, e) of consecutive <p:local> children between start and end (no nesting of the same name)."""
        pat_close = re.compile("</" + re.escape(p) + re.escape(local) + r"\s*>")
        out = []
        for t in self.find_tags(p, local, start, end):
            if out and t.start() < out[-1][1]:
                continue
            if _is_self_closing(t.group(0)):
                out.append((t.start(), t.end()))
            else:
                c = pat_close.search(self.masked, t.end(), end)
                if not c:
                    raise ZipSheetError(f"{self.name}: unclosed <{p}{local}>")
                out.append((t.start(), c.end()))
        return out

    def remove_element(self, p: str, local: str, tag_match: re.Match) -> None:
        s = tag_match.start()
        if _is_self_closing(tag_match.group(0)):
            e = tag_match.end()
        else:
            c = re.compile("</" + re.escape(p) + re.escape(local) + r"\s*>").search(self.masked, tag_match.end())
            if not c:
                raise ZipSheetError(f"{self.name}: unclosed <{p}{local}>")
            e = c.end()
        self.splice(s, e, "")

    def insert_before_close(self, p: str, local: str, new: str) -> None:
        """Append `new` as the last children of the first <p:local> element (expanding `<x/>` if needed)."""
        span = self.element_span(p, local)
        if span is None:
            raise ZipSheetError(f"{self.name}: no <{p}{local}> element")
        s, inner_s, inner_e, e = span
        if inner_s == e and s != e and _is_self_closing(self.masked[s:inner_s]):
            tag = self.text[s:inner_s]
            opened = tag[:tag.rstrip().rfind("/")].rstrip() + ">"
            self.splice(s, inner_s, opened + new + f"</{p}{local}>")
        else:
            self.splice(inner_e, inner_e, new)

    def encode(self) -> bytes:
        return self.bom + self.text.encode(self.enc)


# --------------------------------------------------------------------------------------------- package reader

class _Package:
    """The workbook's parts, through the one vetted zip reader (package.VettedZip: the pre-flight's
    size, ratio, name and CRC checks), never a plain zipfile over the input."""

    def __init__(self, data: bytes):
        try:
            self.zip = VettedZip(data)
        except Unreadable as exc:
            raise ZipSheetError(f"not a readable workbook: {exc}") from exc
        self.infos = self.zip.infos
        self.names: dict[str, zipfile.ZipInfo] = self.zip.names
        self.lower: dict[str, str] = {}
        for info in self.infos:
            self.lower.setdefault(self.norm(info.filename), info.filename)
        self.cache: dict[str, bytes] = {}

    @staticmethod
    def norm(name: str) -> str:
        """Comparison key of a member name: case-insensitive (OPC), '\\' as '/' (some Windows zippers)."""
        return name.replace("\\", "/").lstrip("/").lower()

    def resolve(self, part: str) -> str | None:
        """Zip member name for a part name ('/xl/a.xml' or 'xl/a.xml'), case-insensitive fallback."""
        part = part.lstrip("/")
        if part in self.names:
            return part
        return self.lower.get(self.norm(part))

    def read(self, member: str) -> bytes:
        if member not in self.cache:
            self.cache[member] = self.unkept(member)
        return self.cache[member]

    def unkept(self, member: str) -> bytes:
        """A part's bytes, not remembered (the parts copied as they are)."""
        if member in self.cache:
            return self.cache[member]
        try:
            return self.zip.read(member)
        except Unreadable as exc:
            raise ZipSheetError(f"cannot read {member}: {exc}") from exc

    def xml(self, member: str) -> _Xml:
        return _Xml(member, self.read(member))


def _rels_name(part: str) -> str:
    d, f = posixpath.split(part.replace("\\", "/").lstrip("/"))
    return posixpath.join(d, "_rels", f + ".rels")


def _resolve_target(source_part: str, target: str) -> str:
    source_part, target = source_part.replace("\\", "/"), target.replace("\\", "/")
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    base = posixpath.dirname(source_part.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _rel_target(source_part: str, member: str) -> str:
    base = posixpath.dirname(source_part.replace("\\", "/"))
    return posixpath.relpath(member, base) if base else member


def _rel_list(x: _Xml) -> list[tuple[re.Match, dict[str, str]]]:
    _, p = x.root()
    return [(t, _attrs(t.group(0))) for t in x.find_tags(p, "Relationship")]


def _unique_rid(existing: set[str]) -> str:
    nums = [int(m.group(1)) for r in existing for m in [re.fullmatch(r"rId(\d+)", r)] if m]
    n = max(nums, default=0) + 1
    while f"rId{n}" in existing:
        n += 1
    return f"rId{n}"


# --------------------------------------------------------------------------------------------- styles

_RED, _GREEN = "FFC00000", "FF2E7D32"

# name -> (font spec, fill rgb, thin border, alignment attrs, numFmtId)
# font spec: (bold, underline, size or None (=default), color rgb or None)
_STYLE_DEFS: dict[str, tuple] = {
    "text": ((False, False, None, None), None, False, 'vertical="top"', 0),
    "wrap": ((False, False, None, None), None, False, 'vertical="top" wrapText="1"', 0),
    "bold": ((True, False, None, None), None, False, 'vertical="top"', 0),
    "title": ((True, False, 14, None), None, False, 'vertical="center"', 0),
    "header": ((True, False, None, None), "FFD9D9D9", True, 'vertical="center" wrapText="1"', 0),
    "ok": ((True, False, None, "FFFFFFFF"), _GREEN, False, 'vertical="center" wrapText="1"', 0),
    "bad": ((True, False, None, "FFFFFFFF"), _RED, False, 'vertical="center" wrapText="1"', 0),
    "error": ((False, False, None, "FF9C0006"), "FFFFC7CE", False, 'vertical="top" wrapText="1"', 0),
    "warning": ((False, False, None, "FF9C5700"), "FFFFEB9C", False, 'vertical="top" wrapText="1"', 0),
    "info": ((False, False, None, None), "FFDDEBF7", False, 'vertical="top" wrapText="1"', 0),
    "link": ((False, True, None, "FF0563C1"), None, False, 'vertical="top"', 0),
    "number": ((False, False, None, None), None, False, 'vertical="top"', 4),     # "#,##0.00"
    "number:int": ((False, False, None, None), None, False, 'vertical="top"', 3),  # "#,##0"
    "muted": ((False, False, None, "FF808080"), None, False, 'vertical="top" wrapText="1"', 0),
}

_DEFAULT_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="{ns}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)

_STYLESHEET_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                     "tableStyles", "colors", "extLst")


class _Styles:
    """Appends the fonts/fills/borders/xfs the new sheet needs to styles.xml; reuses identical earlier appends."""

    def __init__(self, x: _Xml):
        self.x = x
        m, self.p = x.root()
        if m.group(2) != "styleSheet":
            raise ZipSheetError(f"{x.name}: root is not <styleSheet>")
        self.has_style_xfs = False
        self.font0 = ""
        self._ensure_collections()

    def _ensure_collections(self) -> None:
        x, p = self.x, self.p
        # what index 0 (and fill 1) must hold when a collection is missing or empty
        seeds = {
            "fonts": ('<{p}font><{p}sz val="11"/><{p}name val="Calibri"/><{p}family val="2"/></{p}font>',),
            "fills": ('<{p}fill><{p}patternFill patternType="none"/></{p}fill>',
                      '<{p}fill><{p}patternFill patternType="gray125"/></{p}fill>'),
            "borders": ("<{p}border><{p}left/><{p}right/><{p}top/><{p}bottom/><{p}diagonal/></{p}border>",),
            "cellXfs": ('<{p}xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>',),
        }
        child = {"fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf"}
        for coll in ("fonts", "fills", "borders", "cellXfs"):
            span = x.element_span(p, coll)
            if span is None:
                pos = self._insert_pos(coll)
                x.splice(pos, pos, f'<{p}{coll} count="0"/>')
                span = x.element_span(p, coll)
            kids = x.child_elements(p, child[coll], span[1], span[2])
            for seed in seeds[coll][len(kids):]:
                # fills 0 and 1 are reserved by Excel (none, gray125): never put ours there
                self._append(coll, child[coll], seed.format(p=p), reuse=False)
        span = x.element_span(p, "cellStyleXfs")
        if span is not None and x.child_elements(p, "xf", span[1], span[2]):
            self.has_style_xfs = True
        fspan = x.element_span(p, "fonts")
        kids = x.child_elements(p, "font", fspan[1], fspan[2])
        self.font0 = x.text[kids[0][0]:kids[0][1]]

    def _insert_pos(self, coll: str) -> int:
        x, p = self.x, self.p
        order = _STYLESHEET_ORDER
        for prev in reversed(order[:order.index(coll)]):
            span = x.element_span(p, prev)
            if span is not None:
                return span[3]
        m, _ = x.root()
        return m.end()

    def _append(self, coll: str, child: str, xml: str, reuse: bool = True) -> int:
        """Append one child to a collection (reusing an identical existing child); return its index."""
        x, p = self.x, self.p
        s, inner_s, inner_e, e = x.element_span(p, coll)
        kids = x.child_elements(p, child, inner_s, inner_e)
        norm = re.sub(r">\s+<", "><", xml.strip())
        for i, (a, b) in enumerate(kids if reuse else ()):
            if re.sub(r">\s+<", "><", x.text[a:b].strip()) == norm:
                return i
        x.insert_before_close(p, coll, xml)
        s, inner_s, inner_e, e = x.element_span(p, coll)
        start_tag = x.text[s:inner_s]
        x.splice(s, inner_s, _set_attr(start_tag, "count", str(len(kids) + 1)))
        return len(kids)

    def _font0_bits(self) -> tuple[str, str]:
        """(size, name/family/charset/scheme children) of the workbook's default font."""
        p = self.p
        f0 = self.font0
        sz = re.search(r"<" + re.escape(p) + r"sz\s+val=[\"']([0-9.]+)[\"']", f0)
        rest = []
        for name in ("name", "family", "charset", "scheme"):
            m = re.search(r"<" + re.escape(p) + name + r"\s+val=(\"[^\"]*\"|'[^']*')\s*/>", f0)
            if m:
                rest.append(f"<{p}{name} val={m.group(1)}/>")
        if not any(r.startswith(f"<{p}name ") for r in rest):
            rest.insert(0, f'<{p}name val="Calibri"/>')
        return (sz.group(1) if sz else "11"), "".join(rest)

    def xf_for(self, style: str) -> int:
        p = self.p
        (bold, underline, size, color), fill, border, align, numfmt = _STYLE_DEFS[style]
        default_sz, tail = self._font0_bits()
        font = (f"<{p}font>" + (f"<{p}b/>" if bold else "") + (f"<{p}u/>" if underline else "")
                + f'<{p}sz val="{size or default_sz}"/>' + (f'<{p}color rgb="{color}"/>' if color else "")
                + tail + f"</{p}font>")
        font_id = self._append("fonts", "font", font)
        fill_id = 0
        if fill:
            fill_id = self._append("fills", "fill", f'<{p}fill><{p}patternFill patternType="solid">'
                                   f'<{p}fgColor rgb="{fill}"/><{p}bgColor indexed="64"/></{p}patternFill></{p}fill>')
        border_id = 0
        if border:
            sides = "".join(f'<{p}{s} style="thin"><{p}color auto="1"/></{p}{s}>'
                            for s in ("left", "right", "top", "bottom"))
            border_id = self._append("borders", "border", f"<{p}border>{sides}<{p}diagonal/></{p}border>")
        xf = (f'<{p}xf numFmtId="{numfmt}" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}"'
              + (' xfId="0"' if self.has_style_xfs else "")
              + (' applyNumberFormat="1"' if numfmt else "") + ' applyFont="1"'
              + (' applyFill="1"' if fill else "") + (' applyBorder="1"' if border else "")
              + f' applyAlignment="1"><{p}alignment {align}/></{p}xf>')
        return self._append("cellXfs", "xf", xf)


# --------------------------------------------------------------------------------------------- sheet XML

def _validate_title(title: object) -> str:
    if not isinstance(title, str):
        raise ZipSheetError("sheet title must be a string")
    t = title.strip()
    if not t:
        raise ZipSheetError("sheet title is empty")
    if len(t) > MAX_SHEET_NAME:
        raise ZipSheetError(f"sheet title longer than {MAX_SHEET_NAME} characters: {t!r}")
    bad = sorted(set(t) & _BAD_TITLE_CHARS)
    if bad:
        raise ZipSheetError(f"sheet title contains {''.join(bad)!r}: {t!r}")
    if t.startswith("'") or t.endswith("'"):
        raise ZipSheetError(f"sheet title may not start or end with an apostrophe: {t!r}")
    if _ILLEGAL_XML_RE.search(t) or any(ord(c) < 32 for c in t):
        raise ZipSheetError(f"sheet title contains control characters: {t!r}")
    if t.casefold() == "history":
        raise ZipSheetError("'History' is a reserved sheet name in Excel")
    return t


def _unique_title(base: str, taken: set[str]) -> str:
    n = 2
    while True:
        suffix = f" ({n})"
        cand = base[:MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
        if cand.casefold() not in taken:
            return cand
        n += 1


def _cell_value_xml(value: object) -> tuple[str | None, str | None, bool]:
    """(t attribute, inner xml, is_integer) for a value; (None, None, False) for None."""
    if value is None:
        return None, None, False
    if isinstance(value, bool):
        return "b", f"<v>{int(value)}</v>", True
    if isinstance(value, decimal.Decimal):
        value = float(value) if value.is_finite() else str(value)
    if isinstance(value, int):
        return "n", f"<v>{value}</v>", True
    if isinstance(value, float):
        if math.isfinite(value):
            return "n", f"<v>{value!r}</v>", value.is_integer()
        value = str(value)
    if isinstance(value, _dt.datetime):
        value = value.isoformat(sep=" ")
    elif isinstance(value, (_dt.date, _dt.time)):
        value = value.isoformat()
    s = _clean_text(value if isinstance(value, str) else str(value))
    return "inlineStr", f'<is><t xml:space="preserve">{_esc_text(s)}</t></is>', False


def _sheet_xml(sheet: NewSheet, ns_main: str, style_index: Callable[[str], int], selected: bool) -> str:
    rows = sheet.rows or []
    if not isinstance(rows, (list, tuple)):
        raise ZipSheetError("rows must be a list of lists")
    if len(rows) > MAX_ROWS:
        raise ZipSheetError("too many rows")
    out_rows: list[str] = []
    links: list[str] = []
    max_r = max_c = 0
    for r, row in enumerate(rows, start=1):
        if not row:
            continue
        if len(row) > MAX_COLS:
            raise ZipSheetError(f"row {r}: more than {MAX_COLS} columns")
        cells = []
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if not isinstance(cell, Cell):
                cell = Cell(cell)
            style = cell.style or "text"
            if cell.link and style == "text":
                style = "link"
            if style not in _STYLE_DEFS or style == "number:int":
                raise ZipSheetError(f"unknown style {cell.style!r}; use one of {STYLES}")
            t, inner, is_int = _cell_value_xml(cell.value)
            if style == "number" and is_int:
                style = "number:int"
            ref = f"{col_letters(c)}{r}"
            s_attr = f' s="{style_index(style)}"'
            if inner is None:
                if style == "text" and not cell.link:
                    continue
                cells.append(f'<c r="{ref}"{s_attr}/>')
            elif t == "n":
                cells.append(f'<c r="{ref}"{s_attr}>{inner}</c>')
            else:
                cells.append(f'<c r="{ref}"{s_attr} t="{t}">{inner}</c>')
            max_r, max_c = max(max_r, r), max(max_c, c + 1)
            if cell.link:
                loc = _clean_text(str(cell.link))[:2079]
                disp = "" if cell.value is None else _clean_text(
                    cell.value if isinstance(cell.value, str) else str(cell.value))[:255]
                links.append(f'<hyperlink ref="{ref}" location="{_esc_attr(loc)}"'
                             + (f' display="{_esc_attr(disp)}"' if disp else "") + "/>")
        height = sheet.row_heights.get(r - 1)
        ht = f' ht="{float(height):g}" customHeight="1"' if height else ""
        if cells:
            out_rows.append(f'<row r="{r}"{ht}>' + "".join(cells) + "</row>")

    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
             f'<worksheet xmlns="{ns_main}">']
    # sheetPr: tabColor, outlinePr, pageSetUpPr
    tab = ""
    if sheet.tab_color:
        rgb = str(sheet.tab_color).lstrip("#").upper()
        if not re.fullmatch(r"[0-9A-F]{6}|[0-9A-F]{8}", rgb):
            raise ZipSheetError(f"tab_color must be RRGGBB: {sheet.tab_color!r}")
        tab = f'<tabColor rgb="{rgb if len(rgb) == 8 else "FF" + rgb}"/>'
    parts.append(f'<sheetPr>{tab}<pageSetUpPr fitToPage="1"/></sheetPr>')
    dim = "A1" if not max_r else ("A1" if (max_r, max_c) == (1, 1) else f"A1:{col_letters(max_c - 1)}{max_r}")
    parts.append(f'<dimension ref="{dim}"/>')
    view = '<sheetView' + (' tabSelected="1"' if selected else "") + ' workbookViewId="0"'
    fr = sheet.freeze_rows or 0
    if not isinstance(fr, int) or isinstance(fr, bool) or not 0 <= fr < MAX_ROWS:
        raise ZipSheetError(f"freeze_rows out of range: {fr!r}")
    if fr:
        view += (f'><pane ySplit="{fr}" topLeftCell="A{fr + 1}" activePane="bottomLeft" state="frozen"/>'
                 f'<selection pane="bottomLeft" activeCell="A{fr + 1}" sqref="A{fr + 1}"/></sheetView>')
    else:
        view += "/>"
    parts.append(f"<sheetViews>{view}</sheetViews>")
    parts.append('<sheetFormatPr defaultRowHeight="15"/>')
    if sheet.col_widths:
        cols = []
        try:
            items = sorted((int(k), float(v)) for k, v in dict(sheet.col_widths).items())
        except (TypeError, ValueError) as exc:
            raise ZipSheetError(f"col_widths must map int -> float: {exc}") from exc
        for k, w in items:
            if not 0 <= k < MAX_COLS or not (0 <= w <= 255) or not math.isfinite(w):
                raise ZipSheetError(f"col_widths: bad entry {k}: {w}")
            cols.append(f'<col min="{k + 1}" max="{k + 1}" width="{w:.6g}" customWidth="1"/>')
        parts.append("<cols>" + "".join(cols) + "</cols>")
    parts.append("<sheetData>" + "".join(out_rows) + "</sheetData>" if out_rows else "<sheetData/>")
    if sheet.autofilter:
        parts.append(f'<autoFilter ref="{_check_range(sheet.autofilter, "autofilter")}"/>')
    if sheet.merges:
        refs = [_check_range(m, "merge") for m in sheet.merges]
        refs = [r for r in refs if ":" in r]
        if refs:
            parts.append(f'<mergeCells count="{len(refs)}">'
                         + "".join(f'<mergeCell ref="{r}"/>' for r in refs) + "</mergeCells>")
    if links:
        parts.append("<hyperlinks>" + "".join(links) + "</hyperlinks>")
    parts.append('<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    parts.append('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
    parts.append("</worksheet>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------- main entry

_TAB_SELECTED_RE = re.compile(r"""\s+tabSelected\s*=\s*(["'])\s*(?:1|true)\s*\1""")


def _unselect_sheet(pkg: _Package, member: str) -> bytes | None:
    """Bytes of `member` without tabSelected="1" in its sheetViews, or None when it has none."""
    data = pkg.unkept(member)
    # sheetViews sits near the top: look only there (the sheet's rows may be megabytes).
    head = data[:max(data.find(b"sheetData"), 65536)]
    if b"tabSelected" not in head and "tabSelected".encode("utf-16-le") not in head:
        return None
    x = pkg.xml(member)
    _, p = x.root()
    span = x.element_span(p, "sheetViews")
    if span is None:
        return None
    hits = x.find_tags(p, "sheetView", span[1], span[2])
    for t in reversed(hits):
        tag = x.text[t.start():t.end()]
        new = _TAB_SELECTED_RE.sub("", tag)
        if new != tag:
            x.splice(t.start(), t.end(), new)
    return x.encode() if x.changed else None


def add_sheet(src: bytes | str | Path, dst: str | Path, sheet: NewSheet, *, replace_existing: bool = True,
              activate: bool = True, drop_macros: bool = False) -> None:
    """Write a copy of workbook `src` to `dst` with `sheet` appended as the last worksheet.

    See the module docstring. Raises ZipSheetError (a ValueError) for unusable input.
    """
    data = bytes(src) if isinstance(src, (bytes, bytearray, memoryview)) else Path(src).read_bytes()
    if not isinstance(sheet, NewSheet):
        raise ZipSheetError("sheet must be a NewSheet")
    title = _validate_title(sheet.title)
    try:
        pkg, plan = _build(data, sheet, title, replace_existing, activate, drop_macros)
    except ZipSheetError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, struct.error, RuntimeError, NotImplementedError,
            UnicodeError, ValueError, IndexError, AttributeError, TypeError, OverflowError) as exc:
        raise ZipSheetError(f"cannot process workbook: {type(exc).__name__}: {exc}") from exc
    with atomic_path(dst) as tmp:
        try:
            _write(tmp, pkg, plan)
        except (zipfile.BadZipFile, zlib.error, EOFError, struct.error, RuntimeError, NotImplementedError,
                ValueError) as exc:
            raise ZipSheetError(f"cannot copy workbook: {type(exc).__name__}: {exc}") from exc


def _build(data: bytes, sheet: NewSheet, title: str, replace_existing: bool, activate: bool, drop_macros: bool):
    pkg = _Package(data)
    changed: dict[str, bytes] = {}      # member -> new bytes
    removed: set[str] = set()
    added: dict[str, bytes] = {}

    # ---- locate the workbook part through the package relationships
    ct_name = pkg.resolve("[Content_Types].xml")
    if ct_name is None:
        raise ZipSheetError("no [Content_Types].xml: not an OOXML package")
    wb_name = None
    root_rels = pkg.resolve("_rels/.rels")
    if root_rels:
        for _, a in _rel_list(pkg.xml(root_rels)):
            if (a.get("Type", "").endswith("/officeDocument") and a.get("TargetMode") != "External"
                    and a.get("Target")):
                wb_name = pkg.resolve(_resolve_target("/", a["Target"]))
                break
    wb_name = wb_name or pkg.resolve("xl/workbook.xml")
    if wb_name is None:
        raise ZipSheetError("no workbook part")
    wb = pkg.xml(wb_name)
    m, wp = wb.root()
    if m.group(2) != "workbook":
        raise ZipSheetError(f"{wb_name}: root is not <workbook>")
    nsmap = wb.namespaces()
    ns_main = nsmap.get(wp[:-1] if wp else "")
    if ns_main not in (NS_MAIN_T, NS_MAIN_S):
        raise ZipSheetError(f"{wb_name}: unknown main namespace {ns_main!r}")
    strict = ns_main == NS_MAIN_S
    r_prefix = next((k for k, v in nsmap.items() if v in (NS_R_T, NS_R_S) and k), None)
    ns_r = NS_R_S if strict else NS_R_T
    if r_prefix is not None:
        ns_r = nsmap[r_prefix]
    rel_base = NS_R_S if strict else NS_R_T

    rels_name = pkg.resolve(_rels_name(wb_name))
    if rels_name is None:
        raise ZipSheetError(f"{wb_name} has no relationships part")
    rels = pkg.xml(rels_name)
    _, rp = rels.root()
    ct = pkg.xml(ct_name)
    _, cp = ct.root()

    def rel_by_id() -> dict[str, tuple[re.Match, dict]]:
        return {a.get("Id", ""): (t, a) for t, a in _rel_list(rels)}

    def overrides() -> list[tuple[re.Match, dict]]:
        return [(t, _attrs(t.group(0))) for t in ct.find_tags(cp, "Override")]

    def remove_override(part: str) -> None:
        for t, a in reversed(overrides()):
            if a.get("PartName", "").lstrip("/").lower() == part.lower():
                ct.remove_element(cp, "Override", t)

    def remove_part(member: str | None) -> None:
        if not member:
            return
        removed.add(member)
        remove_override(member)
        r = pkg.resolve(_rels_name(member))
        if r:
            removed.add(r)

    # ---- existing sheets
    def sheet_list():
        span = wb.element_span(wp, "sheets")
        if span is None:
            raise ZipSheetError(f"{wb_name}: no <sheets>")
        out = []
        for t in wb.find_tags(wp, "sheet", span[1], span[2]):
            a = _attrs(t.group(0))
            out.append((t, a))
        return span, out

    def rid_of(a: dict) -> str | None:
        if r_prefix is not None and f"{r_prefix}:id" in a:
            return a[f"{r_prefix}:id"]
        return _attr_local(a, "id")

    _, sheets = sheet_list()
    all_ids = [int(a["sheetId"]) for _, a in sheets if a.get("sheetId", "").isdigit()]
    taken = {a.get("name", "").casefold() for _, a in sheets}

    # ---- drop macros
    if drop_macros:
        for rid, (t, a) in list(rel_by_id().items()):
            if a.get("Type") == REL_VBA:
                vba = pkg.resolve(_resolve_target(wb_name, a.get("Target", "")))
                if vba:
                    vrels = pkg.resolve(_rels_name(vba))
                    if vrels:
                        for _, va in _rel_list(pkg.xml(vrels)):
                            remove_part(pkg.resolve(_resolve_target(vba, va.get("Target", ""))))
                    remove_part(vba)
                rels.remove_element(rp, "Relationship", rel_by_id()[rid][0])
        for name in pkg.names:
            if re.fullmatch(r"(?i)(?:.*/)?vbaProject(?:Signature\w*)?\.bin", name):
                remove_part(name)
        for t, a in reversed(overrides()):
            new_ct = CT_MAIN_SWAP.get(a.get("ContentType", ""))
            if new_ct:
                tag = ct.text[t.start():t.end()]
                ct.splice(t.start(), t.end(), _set_attr(tag, "ContentType", new_ct))
            elif a.get("ContentType") == CT_VBA:
                ct.remove_element(cp, "Override", t)
        over_parts = {a.get("PartName", "").lstrip("/").lower() for _, a in overrides()}
        bins_left = [n for n in pkg.names if n not in removed and n.lower().endswith(".bin")
                     and pkg.norm(n) not in over_parts]
        if not bins_left:
            for t in reversed(ct.find_tags(cp, "Default")):
                if _attrs(t.group(0)).get("ContentType") == CT_VBA:
                    ct.remove_element(cp, "Default", t)

    # ---- same title already present?
    if title.casefold() in taken:
        idx = next(i for i, (_, a) in enumerate(sheets) if a.get("name", "").casefold() == title.casefold())
        if replace_existing and idx == len(sheets) - 1 and len(sheets) > 1:
            t, a = sheets[idx]
            rid = rid_of(a)
            rel = rel_by_id().get(rid or "")
            old_member = None
            if rel is not None:
                rt, ra = rel
                if ra.get("TargetMode") != "External":
                    old_member = pkg.resolve(_resolve_target(wb_name, ra.get("Target", "")))
                rels.remove_element(rp, "Relationship", rt)
            wb.remove_element(wp, "sheet", t)
            if old_member:
                had_formulas = re.search(rb"<(?:\w+:)?f[\s>/]", pkg.read(old_member)) is not None
                remove_part(old_member)
                if had_formulas:
                    # calcChain entries may point at the removed cells: drop the chain, Excel rebuilds it
                    for rid2, (rt2, ra2) in list(rel_by_id().items()):
                        if ra2.get("Type", "").endswith("/calcChain"):
                            remove_part(pkg.resolve(_resolve_target(wb_name, ra2.get("Target", ""))))
                            rels.remove_element(rp, "Relationship", rel_by_id()[rid2][0])
            # names local to the removed sheet would become local to the new one (duplicates)
            dn = wb.element_span(wp, "definedNames")
            if dn is not None:
                for dt in reversed(wb.find_tags(wp, "definedName", dn[1], dn[2])):
                    if _attrs(dt.group(0)).get("localSheetId", "").strip() == str(idx):
                        wb.remove_element(wp, "definedName", dt)
            taken.discard(title.casefold())
        else:
            title = _unique_title(title, taken)

    sheets_span, sheets = sheet_list()
    new_index = len(sheets)
    sheet_id = max(all_ids, default=0) + 1

    # ---- styles
    style_rel = next(((t, a) for t, a in _rel_list(rels) if a.get("Type", "").endswith("/styles")), None)
    styles_member = None
    if style_rel is not None:
        styles_member = pkg.resolve(_resolve_target(wb_name, style_rel[1].get("Target", "")))
    if styles_member is not None:
        styles_xml = pkg.xml(styles_member)
    else:
        styles_member = posixpath.join(posixpath.dirname(wb_name.replace("\\", "/")), "styles.xml")
        n = 2
        while pkg.resolve(styles_member) is not None:
            styles_member = posixpath.join(posixpath.dirname(wb_name.replace("\\", "/")), f"styles{n}.xml")
            n += 1
        styles_xml = _Xml(styles_member, _DEFAULT_STYLES.format(ns=ns_main).encode())
        styles_xml.changed = True
        if style_rel is not None:          # dangling rel: repoint it
            rels.remove_element(rp, "Relationship", style_rel[0])
        existing = set(rel_by_id())
        rels.insert_before_close(rp, "Relationships",
                                 f'<{rp}Relationship Id="{_unique_rid(existing)}" Type="{rel_base}/styles" '
                                 f'Target="{_rel_target(wb_name, styles_member)}"/>')
        ct.insert_before_close(cp, "Types", f'<{cp}Override PartName="/{styles_member}" ContentType="{CT_STYLES}"/>')
    styles = _Styles(styles_xml)
    cache: dict[str, int] = {}

    def style_index(name: str) -> int:
        if name not in cache:
            cache[name] = styles.xf_for(name)
        return cache[name]

    # ---- activate: who is selected now?
    bv = wb.element_span(wp, "bookViews")
    views = wb.find_tags(wp, "workbookView", bv[1], bv[2]) if bv else []
    cur_active = 0
    if views:
        at = _attrs(views[0].group(0)).get("activeTab", "0").strip()
        cur_active = int(at) if at.isdigit() else 0
    selected_new = activate or cur_active >= new_index
    if activate:
        for t, a in sheets:
            rel = rel_by_id().get(rid_of(a) or "")
            if rel is None or rel[1].get("TargetMode") == "External":
                continue
            member = pkg.resolve(_resolve_target(wb_name, rel[1].get("Target", "")))
            if member and member not in removed:
                new_bytes = _unselect_sheet(pkg, member)
                if new_bytes is not None:
                    changed[member] = new_bytes
        if views:
            tag = wb.text[views[0].start():views[0].end()]
            wb.splice(views[0].start(), views[0].end(), _set_attr(tag, "activeTab", str(new_index)))
        elif bv is not None:
            wb.insert_before_close(wp, "bookViews", f'<{wp}workbookView activeTab="{new_index}"/>')
        else:
            view = f'<{wp}bookViews><{wp}workbookView activeTab="{new_index}"/></{wp}bookViews>'
            wb.splice(sheets_span[0], sheets_span[0], view)
            sheets_span, sheets = sheet_list()

    # ---- the new part
    ws_dir = posixpath.join(posixpath.dirname(wb_name.replace("\\", "/")), "worksheets")
    used = {pkg.norm(n) for n in pkg.names if n not in removed} | {n.lower() for n in added}
    used |= {a.get("PartName", "").lstrip("/").lower() for _, a in overrides()}
    nums = [int(mm.group(1)) for n in used for mm in [re.fullmatch(re.escape(ws_dir.lower()) + r"/sheet(\d+)\.xml", n)]
            if mm]
    num = max(nums, default=0) + 1
    new_member = f"{ws_dir}/sheet{num}.xml"
    added[new_member] = _sheet_xml(sheet, ns_main, style_index, selected_new).encode("utf-8")

    rid = _unique_rid(set(rel_by_id()))
    target = _rel_target(wb_name, new_member)
    rels.insert_before_close(rp, "Relationships",
                             f'<{rp}Relationship Id="{rid}" Type="{rel_base}/worksheet" Target="{target}"/>')
    ct.insert_before_close(cp, "Types", f'<{cp}Override PartName="/{new_member}" ContentType="{CT_WORKSHEET}"/>')
    if r_prefix is None:
        rattr = f'r:id="{rid}" xmlns:r="{ns_r}"'
    else:
        rattr = f'{r_prefix}:id="{rid}"'
    wb.insert_before_close(wp, "sheets", f'<{wp}sheet name="{_esc_attr(title)}" sheetId="{sheet_id}" {rattr}/>')

    if sheet.autofilter:
        ref = _check_range(sheet.autofilter, "autofilter")
        absref = ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))
        qtitle = "'" + title.replace("'", "''") + "'"
        name_xml = (f'<{wp}definedName name="_xlnm._FilterDatabase" localSheetId="{new_index}" hidden="1">'
                    f"{_xml_escape(qtitle)}!{absref}</{wp}definedName>")
        if wb.element_span(wp, "definedNames") is not None:
            wb.insert_before_close(wp, "definedNames", name_xml)
        else:
            pos = wb.element_span(wp, "sheets")[3]
            for after in ("functionGroups", "externalReferences"):
                sp = wb.element_span(wp, after)
                if sp is not None:
                    pos = max(pos, sp[3])
            wb.splice(pos, pos, f"<{wp}definedNames>{name_xml}</{wp}definedNames>")

    if wb.changed:
        changed[wb_name] = wb.encode()
    if rels.changed:
        changed[rels_name] = rels.encode()
    if ct.changed:
        changed[ct_name] = ct.encode()
    if styles_xml.changed:
        if styles_member in pkg.names:
            changed[styles_member] = styles_xml.encode()
        else:
            added[styles_member] = styles_xml.encode()

    # ---- assemble: (name, info or None, bytes or None=copy original)
    plan = []
    for info in pkg.infos:
        if info.filename in removed:
            continue
        plan.append((info, changed.get(info.filename)))
    for name, blob in added.items():
        plan.append((name, blob))
    return pkg, plan


def _write(tmp: Path, pkg: _Package, plan) -> None:
    now = time.localtime()[:6]
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
        for item, blob in plan:
            if isinstance(item, str):
                zi = zipfile.ZipInfo(item, now)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o644 << 16
                out.writestr(zi, blob)
                continue
            zi = zipfile.ZipInfo(item.filename, item.date_time)
            zi.external_attr = item.external_attr
            zi.create_system = item.create_system
            zi.comment = item.comment
            if blob is None:
                zi.compress_type = item.compress_type
                blob = pkg.unkept(item.filename)
            else:
                zi.compress_type = zipfile.ZIP_DEFLATED
            if item.is_dir():
                out.writestr(zi, b"")
            else:
                out.writestr(zi, blob)
