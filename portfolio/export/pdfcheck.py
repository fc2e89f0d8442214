"""Checks a PDF against the PDF/A-3b and PDF/UA-1 rules that can be read off its objects: what
`portfolio pdf-check` runs. No PDF/A-3 validator installs from the registries this project
uses (see README), so this guards our own exports; it is not a full validator: it reads no
content stream, font program or colour use."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    IndirectObject,
    PdfObject,
    StreamObject,
)

from portfolio.core.pdfobjects import Node, walk

# Clauses of ISO 19005-3 (PDF/A-3) and ISO 14289-1 (PDF/UA-1); "portfolio" marks our own rules.
HEADER = "PDF/A-3 6.1.2"
TRAILER = "PDF/A-3 6.1.3"
OUTPUT_INTENT = "PDF/A-3 6.2.3"
IMAGES = "PDF/A-3 6.2.8"
FONTS = "PDF/A-3 6.2.11.4.1"
ACTIONS = "PDF/A-3 6.5.1"
TRIGGERS = "PDF/A-3 6.5.2"
XMP = "PDF/A-3 6.6.2.1"
IDENTIFICATION = "PDF/A-3 6.6.4"
FILES = "PDF/A-3 6.8"
UA_DOCUMENT = "PDF/UA-1 7.1"
UA_LANGUAGE = "PDF/UA-1 7.2"
HOUSE = "portfolio"

# One line per rule: the CLI counts them and the README lists them.
RULES: tuple[tuple[str, str], ...] = (
    (HEADER, "the file starts %PDF-1.0 to %PDF-1.7, then a comment of four bytes above 127"),
    (TRAILER, "no /Encrypt in the trailer"),
    (TRAILER, "the trailer has an /ID"),
    (OUTPUT_INTENT, "an /OutputIntents entry with /S /GTS_PDFA1 and a /DestOutputProfile"),
    (IMAGES, "no image has /Interpolate true"),
    (FONTS, "every font other than Type0 and Type3 has /FontFile, /FontFile2 or /FontFile3"),
    (
        ACTIONS,
        "no Launch, Sound, Movie, ResetForm, ImportData, Hide, SetOCGState, "
        "Rendition, Trans, GoTo3DView or JavaScript action, no /JS, no /JavaScript names",
    ),
    (ACTIONS, "named actions only NextPage, PrevPage, FirstPage, LastPage"),
    (TRIGGERS, "no /AA (additional actions) anywhere"),
    (
        XMP,
        "the catalog's /Metadata is a /Metadata /XML stream of well-formed UTF-8 XMP, "
        "no encoding attribute",
    ),
    (IDENTIFICATION, "XMP pdfaid:part 3 and pdfaid:conformance B"),
    (FILES, "every embedded file's specification has /F and /UF"),
    (FILES, "every embedded file's specification has /AFRelationship"),
    (FILES, "every embedded file stream has a MIME /Subtype"),
    (FILES, "every embedded file stream has /Params with /ModDate"),
    (FILES, "every embedded file is listed in an /AF array"),
    (UA_DOCUMENT, "XMP dc:title is present and not empty"),
    (HOUSE, "XMP dc:title equals the Info dictionary's /Title"),
    (UA_DOCUMENT, "/MarkInfo /Marked true"),
    (UA_DOCUMENT, "a /StructTreeRoot"),
    (UA_DOCUMENT, "/ViewerPreferences /DisplayDocTitle true"),
    (UA_LANGUAGE, "the catalog has a /Lang"),
    (HOUSE, "no URI action points at a file: address"),
)


@dataclass(frozen=True)
class Finding:
    """One broken rule: its clause (or "portfolio") and what is wrong, in plain words."""

    rule: str
    message: str


def check_pdf(data: bytes) -> list[Finding]:
    """Every finding for `data`, each once; an empty list means every rule in RULES held."""
    findings: list[Finding] = []
    if not _HEADER.match(data):
        findings.append(Finding(HEADER, "the header is not %PDF-1.0..1.7 plus a binary comment"))
    try:
        reader = PdfReader(io.BytesIO(data))
        if "/Encrypt" in reader.trailer:
            findings.append(Finding(TRAILER, "the file is encrypted"))
        findings += _check(reader)
    except FileNotDecryptedError:
        pass  # locked with a password: nothing more can be read, and /Encrypt says why
    except (PdfReadError, ValueError) as error:
        findings.append(Finding("PDF", f"not readable as a PDF: {error}"))
    return list(dict.fromkeys(findings))


_HEADER = re.compile(rb"%PDF-1\.[0-7](?:\r\n|\r|\n)%[\x80-\xff]{4}")
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC = "http://purl.org/dc/elements/1.1/"
_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_FORBIDDEN_ACTIONS = frozenset(
    {"/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/Hide", "/SetOCGState"}
    | {"/Rendition", "/Trans", "/GoTo3DView", "/JavaScript"}
)
_NAMED_ACTIONS = frozenset({"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"})
# The keys an action dictionary hangs from; elsewhere /S means something else (a structure
# type, a border style, a transparency group).
_ACTION_KEYS = frozenset({"/A", "/OpenAction", "/Next"})


def _check(reader: PdfReader) -> list[Finding]:
    trailer = reader.trailer
    catalog = _get(trailer, "/Root")
    if not isinstance(catalog, DictionaryObject):
        return [_no("PDF", "document catalog")]
    findings = [] if isinstance(_get(trailer, "/ID"), ArrayObject) else [_no(TRAILER, "/ID")]
    findings += _output_intent(catalog)
    findings += _objects(trailer.raw_get("/Root"))
    findings += _metadata(catalog, reader.metadata.title if reader.metadata else None)
    findings += _accessibility(catalog)
    return findings


def _get(dictionary: DictionaryObject, key: str) -> Any:
    """The value under `key`, followed to its object if it is a reference (pypdf's `get`
    hands back the reference itself)."""
    value = dictionary.get(key)
    return value.get_object() if isinstance(value, IndirectObject) else value


def _is_true(value: object) -> bool:
    return isinstance(value, BooleanObject) and bool(value.value)


def _no(rule: str, what: str) -> Finding:
    return Finding(rule, f"there is no {what}")


def _output_intent(catalog: DictionaryObject) -> list[Finding]:
    for intent in _get(catalog, "/OutputIntents") or []:
        intent = intent.get_object()
        if _get(intent, "/S") == "/GTS_PDFA1" and isinstance(
            _get(intent, "/DestOutputProfile"), StreamObject
        ):
            return []
    return [_no(OUTPUT_INTENT, "/GTS_PDFA1 output intent with a /DestOutputProfile")]


def _objects(root: PdfObject) -> list[Finding]:
    findings: list[Finding] = []
    files: list[tuple[int | None, DictionaryObject]] = []
    associated: set[int] = set()
    for node in walk(root):
        value = node.value
        findings += _font(value) + _image(node) + _action(node)
        if "/JS" in value:
            findings.append(Finding(ACTIONS, "there is JavaScript (/JS)"))
        if "/AA" in value:
            findings.append(Finding(TRIGGERS, "there are additional actions (/AA)"))
        if "/EF" in value:
            files.append((node.ref, value))
        for entry in _get(value, "/AF") or []:
            if isinstance(entry, IndirectObject):
                associated.add(entry.idnum)
    for ref, spec in files:
        findings += _embedded_file(spec, ref in associated)
    return findings


def _font(value: DictionaryObject) -> list[Finding]:
    # Type0 fonts are checked through their descendants; Type3 glyphs are content streams.
    if _get(value, "/Type") != "/Font" or _get(value, "/Subtype") in ("/Type0", "/Type3"):
        return []
    descriptor = _get(value, "/FontDescriptor")
    if isinstance(descriptor, DictionaryObject) and any(k in descriptor for k in _FONT_FILES):
        return []
    name = str(_get(value, "/BaseFont") or "(unnamed)").lstrip("/")
    return [Finding(FONTS, f"font {name} is not embedded")]


def _image(node: Node) -> list[Finding]:
    value = node.value
    if _get(value, "/Subtype") == "/Image" and _is_true(_get(value, "/Interpolate")):
        where = f"image object {node.ref}" if node.ref is not None else "an image"
        return [Finding(IMAGES, f"{where} has /Interpolate true")]
    return []


def _action(node: Node) -> list[Finding]:
    value = node.value
    if node.key not in _ACTION_KEYS and _get(value, "/Type") != "/Action":
        return []
    kind = _get(value, "/S")
    if kind in _FORBIDDEN_ACTIONS:
        return [Finding(ACTIONS, f"there is a {kind[1:]} action")]
    if kind == "/Named" and _get(value, "/N") not in _NAMED_ACTIONS:
        return [Finding(ACTIONS, f"there is a named action {_get(value, '/N')}")]
    target = _get(value, "/URI")
    text = target.decode("latin-1") if isinstance(target, bytes) else str(target or "")
    if kind == "/URI" and text.strip().lower().startswith("file:"):
        return [Finding(HOUSE, f"a link points at a file on the reader's machine: {text[:80]}")]
    return []


def _embedded_file(spec: DictionaryObject, associated: bool) -> list[Finding]:
    name = str(_get(spec, "/UF") or _get(spec, "/F") or "(unnamed)")
    findings = []
    if "/F" not in spec or "/UF" not in spec:
        findings.append(Finding(FILES, f"embedded file {name} lacks /F or /UF"))
    if "/AFRelationship" not in spec:
        findings.append(Finding(FILES, f"embedded file {name} has no /AFRelationship"))
    if not associated:
        findings.append(Finding(FILES, f"embedded file {name} is in no /AF array"))
    holder = _get(spec, "/EF")
    stream = _get(holder, "/F") if isinstance(holder, DictionaryObject) else None
    if not isinstance(stream, StreamObject):
        return [*findings, Finding(FILES, f"embedded file {name} has no file stream")]
    if "/Subtype" not in stream:
        findings.append(Finding(FILES, f"embedded file {name} has no MIME type (/Subtype)"))
    params = _get(stream, "/Params")
    if not isinstance(params, DictionaryObject) or "/ModDate" not in params:
        findings.append(Finding(FILES, f"embedded file {name} has no /Params /ModDate"))
    return findings


def _metadata(catalog: DictionaryObject, info_title: str | None) -> list[Finding]:
    stream = _get(catalog, "/Metadata")
    if not isinstance(stream, StreamObject):
        return [_no(XMP, "XMP metadata stream in the catalog")]
    findings = []
    if _get(stream, "/Type") != "/Metadata" or _get(stream, "/Subtype") != "/XML":
        findings.append(Finding(XMP, "the metadata stream is not /Type /Metadata /Subtype /XML"))
    data = stream.get_data()
    try:
        text = data.decode("utf-8")
        # Untrusted XML: ElementTree fetches no external entity, and the expat Python ships
        # (2.4.1 and later) refuses entity-expansion bombs.
        xmp = ElementTree.fromstring(data)  # noqa: S314
    except (UnicodeDecodeError, ElementTree.ParseError) as error:
        return [*findings, Finding(XMP, f"the XMP is not well-formed UTF-8 XML: {error}")]
    if re.search(r"<\?xpacket[^>]*\bencoding=", text):
        findings.append(Finding(XMP, "the XMP packet header has an encoding attribute"))
    part, conformance = _property(xmp, _PDFAID, "part"), _property(xmp, _PDFAID, "conformance")
    if (part, conformance) != ("3", "B"):
        findings.append(
            Finding(IDENTIFICATION, f"XMP says PDF/A part {part}, conformance {conformance}")
        )
    title = _title(xmp)
    if not title:
        findings.append(_no(UA_DOCUMENT, "dc:title in the XMP"))
    elif info_title is not None and info_title != title:
        findings.append(Finding(HOUSE, f"dc:title {title!r} differs from /Title {info_title!r}"))
    return findings


def _property(xmp: ElementTree.Element, namespace: str, name: str) -> str | None:
    """A simple XMP property, written either as an attribute or as an element."""
    tag = f"{{{namespace}}}{name}"
    for description in xmp.iter(f"{{{_RDF}}}Description"):
        if tag in description.attrib:
            return description.attrib[tag]
        element = description.find(tag)
        if element is not None and element.text:
            return element.text.strip()
    return None


def _title(xmp: ElementTree.Element) -> str:
    items = xmp.findall(f".//{{{_DC}}}title//{{{_RDF}}}li")
    chosen = [i for i in items if i.get(_XML_LANG) == "x-default"] or items
    return (chosen[0].text or "").strip() if chosen else ""


def _accessibility(catalog: DictionaryObject) -> list[Finding]:
    findings = []
    mark_info = _get(catalog, "/MarkInfo")
    if not isinstance(mark_info, DictionaryObject) or not _is_true(_get(mark_info, "/Marked")):
        findings.append(_no(UA_DOCUMENT, "/MarkInfo /Marked true"))
    if not isinstance(_get(catalog, "/StructTreeRoot"), DictionaryObject):
        findings.append(_no(UA_DOCUMENT, "/StructTreeRoot (the document is not tagged)"))
    preferences = _get(catalog, "/ViewerPreferences")
    if not isinstance(preferences, DictionaryObject) or not _is_true(
        _get(preferences, "/DisplayDocTitle")
    ):
        findings.append(_no(UA_DOCUMENT, "/ViewerPreferences /DisplayDocTitle true"))
    if not str(_get(catalog, "/Lang") or "").strip():
        findings.append(_no(UA_LANGUAGE, "/Lang in the catalog"))
    names = _get(catalog, "/Names")
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        findings.append(Finding(ACTIONS, "there is document JavaScript (/Names /JavaScript)"))
    return findings
