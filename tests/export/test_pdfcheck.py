"""The PDF/A-3b and PDF/UA checks: a real PDF/A export of a learner with evidence passes them
all, and every rule fails on that export broken in just that one way (with pypdf), so no check
can pass by finding nothing to look at. Also `portfolio pdf-check`, run on the command alone."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from portfolio.export import pdfcheck
from portfolio.export import services as export
from portfolio.export.cli import pdf_check_command
from portfolio.export.pdfcheck import RULES, Finding, check_pdf
from tests.export.support import build_world
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture(scope="module")
def exports() -> dict[str, bytes]:
    """One real export for the whole module: each test breaks its own copy."""
    return {}


@pytest.fixture
def good(make: Factory, exports: dict[str, bytes]) -> bytes:
    if "pdfa" not in exports:
        world = build_world(make)
        exports["pdfa"] = export.render_portfolio(world.learner, pdfa=True).data
    return exports["pdfa"]


def rewrite(data: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    writer.pdf_header = "%PDF-1.7"  # pypdf would write 1.3
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def test_a_real_pdfa_export_passes_every_check(good: bytes) -> None:
    assert check_pdf(good) == []
    # The export really has what the checks look at: files, fonts, an image, links.
    reader = PdfReader(io.BytesIO(good))
    assert set(reader.attachments) == {"portfolio.json", "returns-form.pdf"}
    assert any(page.get("/Annots") for page in reader.pages)
    assert list(_objects(reader.trailer["/Root"], "/Subtype", "/Image"))
    assert list(_objects(reader.trailer["/Root"], "/Type", "/FontDescriptor"))


def test_rewriting_with_pypdf_alone_breaks_nothing(good: bytes) -> None:
    # So each case below fails for what it changed, not for the rewrite.
    assert check_pdf(rewrite(good, lambda writer: None)) == []


def _objects(root: object, key: str, value: str) -> Iterator[DictionaryObject]:
    """Every dictionary reachable from `root` whose `key` is `value`."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if hasattr(item, "idnum"):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            if item.get(key) == value:
                yield item
            stack.extend(v for k, v in item.items() if k != "/Parent")
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _first(writer: PdfWriter, key: str, value: str) -> DictionaryObject:
    return next(_objects(writer.root_object, key, value))


def _file_spec(writer: PdfWriter, name: str = "portfolio.json") -> DictionaryObject:
    return next(s for s in _objects(writer.root_object, "/Type", "/Filespec") if s["/F"] == name)


def _set_xmp(old: bytes, new: bytes) -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        stream = writer.root_object["/Metadata"]
        data = stream.get_data()
        assert old in data
        stream.set_data(data.replace(old, new))

    return change


def _link_action(action: dict[str, object]) -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        link = _first(writer, "/Subtype", "/Link")
        link[NameObject("/A")] = _dictionary(action)

    return change


def _dictionary(values: dict[str, object]) -> DictionaryObject:
    made = DictionaryObject()
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("/"):
            made[NameObject(key)] = NameObject(value)
        elif isinstance(value, str):
            made[NameObject(key)] = TextStringObject(value)
        else:
            made[NameObject(key)] = value
    return made


def _helvetica() -> DictionaryObject:
    """A standard font as pypdf would add it: named, never embedded."""
    return _dictionary({"/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/Helvetica"})


def _page_with_helvetica(writer: PdfWriter) -> None:
    page = writer.add_blank_page(200, 200)
    resources = _dictionary({"/Font": _dictionary({"/F1": _helvetica()})})
    page[NameObject("/Resources")] = resources
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 10 10 Td (Hello) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)


def _helvetica_in_an_appearance_stream(writer: PdfWriter) -> None:
    # Two levels down (annotation -> appearance -> form XObject), and the form lists itself
    # among its own XObjects: the walk must get there and still stop.
    inner = DecodedStreamObject()
    inner.set_data(b"BT /F1 12 Tf (x) Tj ET")
    inner[NameObject("/Type")] = NameObject("/XObject")
    inner[NameObject("/Subtype")] = NameObject("/Form")
    inner[NameObject("/BBox")] = ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)])
    inner_ref = writer._add_object(inner)
    inner[NameObject("/Resources")] = _dictionary(
        {"/Font": _dictionary({"/F1": _helvetica()}), "/XObject": _dictionary({"/X": inner_ref})}
    )
    outer = DecodedStreamObject()
    outer.set_data(b"/X Do")
    outer[NameObject("/Subtype")] = NameObject("/Form")
    outer[NameObject("/BBox")] = ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)])
    outer[NameObject("/Resources")] = _dictionary({"/XObject": _dictionary({"/X": inner_ref})})
    link = _first(writer, "/Subtype", "/Link")
    link[NameObject("/AP")] = _dictionary({"/N": writer._add_object(outer)})


def _unembed_a_font(writer: PdfWriter) -> None:
    descriptor = _first(writer, "/Type", "/FontDescriptor")
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        descriptor.pop(key, None)


def _interpolate(writer: PdfWriter) -> None:
    _first(writer, "/Subtype", "/Image")[NameObject("/Interpolate")] = BooleanObject(True)


def _no_id(writer: PdfWriter) -> None:
    writer._ID = None


def _encrypt(password: str) -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        # RC4 needs no extra package; any encryption breaks the rule.
        writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")

    return change


def _remove(key: str) -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        del writer.root_object[key]

    return change


def _no_display_title(writer: PdfWriter) -> None:
    writer.root_object["/ViewerPreferences"][NameObject("/DisplayDocTitle")] = BooleanObject(False)


def _unmarked(writer: PdfWriter) -> None:
    writer.root_object["/MarkInfo"][NameObject("/Marked")] = BooleanObject(False)


def _intent_without_profile(writer: PdfWriter) -> None:
    for intent in writer.root_object["/OutputIntents"]:
        del intent.get_object()["/DestOutputProfile"]


def _page_aa(writer: PdfWriter) -> None:
    page = writer.pages[0]
    page[NameObject("/AA")] = _dictionary(
        {"/O": _dictionary({"/S": "/URI", "/URI": "https://example.invalid/"})}
    )


def _launch_on_open(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = _dictionary({"/S": "/Launch", "/F": "calc.exe"})


def _next_in_chain(writer: PdfWriter) -> None:
    # Hidden behind an allowed action's /Next.
    _link_action(
        {
            "/S": "/URI",
            "/URI": "https://example.invalid/",
            "/Next": _dictionary({"/S": "/ImportData", "/F": "data.fdf"}),
        }
    )(writer)


def _add_js(writer: PdfWriter) -> None:
    # Document-level JavaScript: a /JavaScript name tree beside the embedded files.
    action = _dictionary({"/S": "/JavaScript", "/JS": "app.alert('hello');"})
    names = ArrayObject([TextStringObject("hello"), writer._add_object(action)])
    tree = _dictionary({"/Names": names})
    writer.root_object["/Names"][NameObject("/JavaScript")] = writer._add_object(tree)


def _drop_from_file(key: str, where: str = "spec") -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        spec = _file_spec(writer)
        holder = spec if where == "spec" else spec["/EF"]["/F"].get_object()
        if where == "params":
            holder = holder["/Params"]
        del holder[key]

    return change


def _empty_af(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/AF")] = ArrayObject()


def _pypdf_attachment(writer: PdfWriter) -> None:
    writer.add_attachment("notes.txt", b"added by hand")


def _other_info_title(writer: PdfWriter) -> None:
    writer.add_metadata({"/Title": "Somebody else's portfolio"})


DC_TITLE = b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Portfolio of Lily Learner</rdf:li></rdf:Alt></dc:title>'

# (what is broken, the change, the rule it breaks, words the finding must say)
BROKEN: list[tuple[str, Callable[[PdfWriter], None], str, str]] = [
    ("encrypted, empty password", _encrypt(""), pdfcheck.TRAILER, "encrypted"),
    ("encrypted with a password", _encrypt("secret"), pdfcheck.TRAILER, "encrypted"),
    ("no trailer ID", _no_id, pdfcheck.TRAILER, "/ID"),
    ("no output intent", _remove("/OutputIntents"), pdfcheck.OUTPUT_INTENT, "GTS_PDFA1"),
    ("intent lacks profile", _intent_without_profile, pdfcheck.OUTPUT_INTENT, "Profile"),
    ("interpolated image", _interpolate, pdfcheck.IMAGES, "/Interpolate"),
    ("standard font page", _page_with_helvetica, pdfcheck.FONTS, "Helvetica is not embedded"),
    ("font program removed", _unembed_a_font, pdfcheck.FONTS, "DejaVu"),
    ("font in appearance", _helvetica_in_an_appearance_stream, pdfcheck.FONTS, "Helvetica"),
    ("document JavaScript", _add_js, pdfcheck.ACTIONS, "document JavaScript"),
    ("launch on open", _launch_on_open, pdfcheck.ACTIONS, "Launch action"),
    ("reset form link", _link_action({"/S": "/ResetForm"}), pdfcheck.ACTIONS, "ResetForm"),
    (
        "JavaScript link",
        _link_action({"/S": "/JavaScript", "/JS": "x()"}),
        pdfcheck.ACTIONS,
        "JavaScript",
    ),
    ("import data via /Next", _next_in_chain, pdfcheck.ACTIONS, "ImportData"),
    (
        "print named action",
        _link_action({"/S": "/Named", "/N": "/Print"}),
        pdfcheck.ACTIONS,
        "/Print",
    ),
    ("page additional actions", _page_aa, pdfcheck.TRIGGERS, "/AA"),
    ("no XMP", _remove("/Metadata"), pdfcheck.XMP, "no XMP"),
    ("XMP not XML", _set_xmp(b"</x:xmpmeta>", b"</x:xmpmet>"), pdfcheck.XMP, "well-formed"),
    ("XMP encoding", _set_xmp(b'begin=""', b'begin="" encoding="UTF-8"'), pdfcheck.XMP, "encoding"),
    (
        "PDF/A-2 in XMP",
        _set_xmp(b'pdfaid:part="3"', b'pdfaid:part="2"'),
        pdfcheck.IDENTIFICATION,
        "part 2",
    ),
    (
        "level U in XMP",
        _set_xmp(b'conformance="B"', b'conformance="U"'),
        pdfcheck.IDENTIFICATION,
        "conformance U",
    ),
    ("no dc:title", _set_xmp(DC_TITLE, b""), pdfcheck.UA_DOCUMENT, "dc:title"),
    ("Info title differs", _other_info_title, pdfcheck.HOUSE, "differs"),
    ("file without UF", _drop_from_file("/UF"), pdfcheck.FILES, "portfolio.json lacks /F or /UF"),
    (
        "file without AFRelationship",
        _drop_from_file("/AFRelationship"),
        pdfcheck.FILES,
        "portfolio.json has no /AFRelationship",
    ),
    (
        "file without MIME type",
        _drop_from_file("/Subtype", "stream"),
        pdfcheck.FILES,
        "portfolio.json has no MIME",
    ),
    (
        "file without ModDate",
        _drop_from_file("/ModDate", "params"),
        pdfcheck.FILES,
        "portfolio.json has no /Params /ModDate",
    ),
    ("files in no AF", _empty_af, pdfcheck.FILES, "returns-form.pdf is in no /AF"),
    ("pypdf attachment", _pypdf_attachment, pdfcheck.FILES, "notes.txt has no /AFRelationship"),
    ("not marked", _unmarked, pdfcheck.UA_DOCUMENT, "/MarkInfo"),
    ("no MarkInfo", _remove("/MarkInfo"), pdfcheck.UA_DOCUMENT, "/MarkInfo"),
    ("not tagged", _remove("/StructTreeRoot"), pdfcheck.UA_DOCUMENT, "/StructTreeRoot"),
    ("title not displayed", _no_display_title, pdfcheck.UA_DOCUMENT, "DisplayDocTitle"),
    (
        "no viewer preferences",
        _remove("/ViewerPreferences"),
        pdfcheck.UA_DOCUMENT,
        "DisplayDocTitle",
    ),
    ("no language", _remove("/Lang"), pdfcheck.UA_LANGUAGE, "/Lang"),
    (
        "link to a local file",
        _link_action({"/S": "/URI", "/URI": "file:///etc/passwd"}),
        pdfcheck.HOUSE,
        "file on the reader's machine",
    ),
]


@pytest.mark.parametrize(
    ("change", "rule", "words"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_each_rule_fails_on_a_pdf_broken_that_way(
    good: bytes, change: Callable[[PdfWriter], None], rule: str, words: str
) -> None:
    findings = check_pdf(rewrite(good, change))
    assert rules(findings) == {rule}, findings
    assert any(words in f.message for f in findings), findings


def test_a_bad_header_fails(good: bytes) -> None:
    findings = check_pdf(good.replace(b"%PDF-1.7", b"%PDF-1.9", 1))
    assert rules(findings) == {pdfcheck.HEADER}, findings


def test_something_that_is_not_a_pdf_fails_without_a_traceback() -> None:
    findings = check_pdf(b"Dear assessor, please find my portfolio attached.")
    assert rules(findings) == {pdfcheck.HEADER, "PDF"}, findings


@pytest.mark.parametrize(
    "change",
    [
        _link_action({"/S": "/Named", "/N": "/NextPage"}),
        _set_xmp(
            b'pdfaid:part="3" pdfaid:conformance="B" />',
            b"><pdfaid:part>3</pdfaid:part>"
            b"<pdfaid:conformance>B</pdfaid:conformance></rdf:Description>",
        ),
    ],
    ids=["a permitted named action", "pdfaid written as elements"],
)
def test_what_the_rules_allow_passes(good: bytes, change: Callable[[PdfWriter], None]) -> None:
    assert check_pdf(rewrite(good, change)) == []


def test_every_rule_has_a_case_that_breaks_it() -> None:
    broken = {case[2] for case in BROKEN} | {pdfcheck.HEADER}
    assert {rule for rule, _ in RULES} == broken


def test_the_command_passes_a_good_file(good: bytes, tmp_path: Path) -> None:
    path = tmp_path / "good.pdf"
    path.write_bytes(good)
    result = CliRunner().invoke(pdf_check_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"PDF/A-3b checks passed ({len(RULES)} rules)\n"


def test_the_command_lists_each_finding_and_exits_1(good: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(rewrite(good, lambda w: (_remove("/Lang")(w), _add_js(w))))
    result = CliRunner().invoke(pdf_check_command, [str(path)])
    assert result.exit_code == 1
    assert "PDF/UA-1 7.2: there is no /Lang in the catalog" in result.stderr
    assert "PDF/A-3 6.5.1: there is document JavaScript" in result.stderr
    assert "passed" not in result.output


def test_the_command_refuses_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(pdf_check_command, [str(tmp_path / "none.pdf")])
    assert result.exit_code == 2


def test_the_readme_gives_the_rule_count() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"PDF/A-3b checks passed ({len(RULES)} rules)" in readme
