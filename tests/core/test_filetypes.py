"""File types decided from the bytes: each allowed kind accepted, everything else refused with a
message that names the allowed kinds, and a name that contradicts the bytes refused."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from PIL import Image

from portfolio.core import filetypes
from portfolio.core.filetypes import ALLOWED_KINDS, FileRejected, check_file, detect
from tests.core import samples


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "extension"),
    [
        (samples.pdf_bytes(), "returns-form.pdf", "application/pdf", "pdf"),
        (samples.png_bytes(), "screenshot.PNG", "image/png", "png"),
        (samples.jpeg_bytes(), "receipt.jpeg", "image/jpeg", "jpg"),
        (
            samples.office_bytes("docx"),
            "letter.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        (
            samples.office_bytes("xlsx"),
            "log.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        (
            samples.office_bytes("pptx"),
            "briefing.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
        ),
        (
            samples.opendocument_bytes("odt"),
            "notes.odt",
            "application/vnd.oasis.opendocument.text",
            "odt",
        ),
        (
            samples.opendocument_bytes("ods"),
            "tally.ods",
            "application/vnd.oasis.opendocument.spreadsheet",
            "ods",
        ),
        (samples.TEXT, "call-log.txt", "text/plain; charset=utf-8", "txt"),
        (
            "Café notes: £12.99 refunded ✓\r\n".encode(),
            "notes.txt",
            "text/plain; charset=utf-8",
            "txt",
        ),
        (samples.pdf_bytes(), "no extension at all", "application/pdf", "pdf"),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "pptx", "odt", "ods", "txt", "utf8-txt", "no-ext"],
)
def test_each_allowed_kind_is_recognised_from_its_bytes(
    data: bytes, filename: str, content_type: str, extension: str
) -> None:
    kind = check_file(data, filename)
    assert (kind.content_type, kind.extension) == (content_type, extension)


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (samples.EXE, "setup.pdf"),
        (samples.EXE, "setup.exe"),
        (samples.HTML, "page.pdf"),
        (samples.HTML, "page.html"),
        (samples.HTML, "page.txt"),
        (samples.SVG, "logo.png"),
        (samples.SVG, "logo.svg"),
        (b'<?xml version="1.0"?><svg/>', "drawing.txt"),
        (samples.plain_zip_bytes(), "archive.docx"),
        (samples.plain_zip_bytes(), "archive.zip"),
        (samples.opendocument_bytes("odp"), "slides.odp"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anim.gif"),
        (b"\xff\xfe" + "UTF-16 text".encode("utf-16-le"), "notes.txt"),
        (b"text with a \x00 NUL byte", "notes.txt"),
        (b"text with an escape \x1b[31m", "notes.txt"),
    ],
    ids=[
        "exe-renamed-pdf",
        "exe",
        "html-renamed-pdf",
        "html",
        "html-renamed-txt",
        "svg-renamed-png",
        "svg",
        "xml-renamed-txt",
        "zip-renamed-docx",
        "zip",
        "odp",
        "gif",
        "utf16",
        "nul",
        "escape",
    ],
)
def test_other_kinds_are_refused_naming_the_allowed_ones(data: bytes, filename: str) -> None:
    with pytest.raises(FileRejected) as refused:
        check_file(data, filename)
    assert ALLOWED_KINDS in str(refused.value)


def test_older_office_files_are_refused_with_a_way_forward() -> None:
    with pytest.raises(FileRejected, match=r"Older Office files .* newer format"):
        detect(samples.OLD_WORD)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(FileRejected, match=r"The file is empty\."):
        detect(b"")


@pytest.mark.parametrize(
    "data",
    [
        samples.docm_bytes(),
        samples.office_bytes("docx", extra=(("word/vbaProject.bin", b"\x00" * 100),)),
        samples.office_bytes("xlsx", extra=(("xl/activeX/activeX1.bin", b"\x00" * 100),)),
        samples.office_bytes("pptx", extra=(("ppt/embeddings/oleObject1.bin", b"\x00" * 100),)),
        samples.office_bytes(
            "xlsx", main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        ),
        samples._zip(
            [
                ("mimetype", b"application/vnd.oasis.opendocument.text"),
                ("META-INF/manifest.xml", b"<manifest/>"),
                ("Basic/Standard/Module1.xml", b"<script/>"),
            ],
            stored_first=True,
        ),
    ],
    ids=["docm", "vba-in-docx", "activex", "ole-object", "xlsm-type", "odt-basic"],
)
def test_documents_with_macros_or_programs_are_refused(data: bytes) -> None:
    with pytest.raises(FileRejected, match="macro"):
        detect(data)


def test_a_zip_bomb_is_refused_from_its_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = samples.zip_bomb_bytes()
    assert len(bomb) < 64 * 1024
    read: list[str] = []
    real_read = zipfile.ZipFile.read

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        read.append(name if isinstance(name, str) else name.filename)
        return real_read(self, name, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "read", spy)
    with pytest.raises(FileRejected, match="unpacks to far more than its size"):
        detect(bomb)
    assert read == []  # refused before any part was inflated


def test_a_document_too_large_unpacked_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many parts each of a modest ratio, together over the ceiling.
    monkeypatch.setattr(filetypes, "ZIP_MAX_UNCOMPRESSED", 1024)
    with pytest.raises(FileRejected, match="unpacks to far more than its size"):
        detect(samples.office_bytes("docx", extra=(("word/more.xml", b"<p>x</p>" * 200),)))


def test_a_password_protected_document_is_refused() -> None:
    data = bytearray(samples.office_bytes("docx"))
    # Set the "encrypted" flag on every entry, local headers and central directory alike.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    with pytest.raises(FileRejected, match="password-protected"):
        detect(bytes(data))


def test_a_document_with_something_stuck_in_front_is_refused() -> None:
    with pytest.raises(FileRejected):
        detect(b"PK\x03\x04" + samples.EXE + samples.office_bytes("docx"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (samples.pdf_bytes()[:-12], "The PDF is damaged or incomplete"),
        (samples.pdf_bytes()[:200], "The PDF is damaged or incomplete"),
        (samples.png_bytes()[:80], "damaged or is not really a PNG or JPEG"),
        (samples.jpeg_bytes()[: len(samples.jpeg_bytes()) // 2], "damaged or is not really"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "damaged or is not really"),
        (samples.office_bytes("docx")[:300], "damaged"),
    ],
    ids=["pdf-no-eof", "pdf-cut", "png-cut", "jpeg-cut", "png-header-only", "docx-cut"],
)
def test_damaged_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(FileRejected, match=message):
        detect(data)


@pytest.mark.parametrize(
    ("catalog", "extra", "found"),
    [
        (b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>", (), "JavaScript"),
        # Names written with #xx escapes are the same names to a reader.
        (b"/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>", (), "JavaScript"),
        (b"/OpenAction 5 0 R", (b"<</S/Launch/F(cmd.exe)>>",), "starts a program"),
        (b"/OpenAction<</S/L#61unch/F(cmd.exe)>>", (), "starts a program"),
        (
            b"/Names<</JavaScript 5 0 R>>",
            (b"<</Names[(a) 6 0 R]>>", b"<</S/JavaScript/JS(x)>>"),
            "JavaScript",
        ),
        (
            b"/Names<</EmbeddedFiles<</Names[(x.exe) 5 0 R]>>>>",
            (b"<</Type/Filespec/F(x.exe)/EF<</F 6 0 R>>>>", b"<</Length 2>>stream\nMZ\nendstream"),
            "a file inside it",
        ),
        (b"/AA<</O<</S/URI/URI(http://x.example)>>>>", (), "actions that run by themselves"),
        (b"/OpenAction<</S/SubmitForm/F(http://x.example)>>", (), "an action (SubmitForm)"),
        (b"/AcroForm<</Fields[]/XFA 5 0 R>>", (b"<</Length 0>>stream\n\nendstream",), "XFA"),
    ],
    ids=[
        "js",
        "js-escaped",
        "launch",
        "launch-escaped",
        "js-names",
        "embedded",
        "aa",
        "submit",
        "xfa",
    ],
)
def test_a_pdf_with_active_content_is_refused(
    catalog: bytes, extra: tuple[bytes, ...], found: str
) -> None:
    with pytest.raises(FileRejected, match=re.escape(found)) as refused:
        detect(samples.pdf_bytes(catalog=catalog, extra=extra))
    assert "cannot be attached" in str(refused.value)


@pytest.mark.parametrize(
    ("action", "found"),
    [
        (b"<</S/JavaScript/JS(app.alert(1))>>", "JavaScript"),
        (b"<</S/Launch/F(cmd.exe)>>", "starts a program"),
    ],
)
def test_an_action_packed_in_a_compressed_object_stream_is_refused(
    action: bytes, found: str
) -> None:
    data = samples.pdf_with_packed_action(action)
    assert b"JavaScript" not in data and b"Launch" not in data  # nothing for a byte search
    with pytest.raises(FileRejected, match=found):
        detect(data)
    assert detect(samples.pdf_with_packed_action(b"<</S/GoTo/D[3 0 R/Fit]>>")) is filetypes.PDF


def test_a_pdf_with_links_and_page_actions_is_accepted() -> None:
    links = b"/OpenAction[3 0 R/Fit]/Outlines<</Count 0>>"
    pdf = samples.pdf_bytes(catalog=links).replace(
        b"/Contents 4 0 R",
        b"/Contents 4 0 R/Annots[<</Type/Annot/Subtype/Link/Rect[0 0 9 9]"
        b"/A<</S/URI/URI(https://www.gov.uk/consumer-protection-rights)>>>>]",
    )
    assert detect(pdf) is filetypes.PDF


def test_a_pdf_locked_with_a_password_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(samples.pdf_bytes())))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(FileRejected, match="locked with a password"):
        detect(out.getvalue())


def test_an_image_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filetypes, "MAX_PIXELS", 100)
    with pytest.raises(FileRejected, match="too many pixels"):
        detect(samples.png_bytes())


def test_an_image_whose_header_lies_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    # JPEG signature, GIF body: Pillow finds a GIF, which is not what the bytes claimed.
    with pytest.raises(FileRejected):
        detect(b"\xff\xd8\xff" + out.getvalue())


@pytest.mark.parametrize(
    ("data", "filename", "ext", "real"),
    [
        (samples.png_bytes(), "photo.pdf", "pdf", "png"),
        (samples.pdf_bytes(), "form.docx", "docx", "pdf"),
        (samples.office_bytes("xlsx"), "log.docx", "docx", "xlsx"),
        (samples.TEXT, "notes.pdf", "pdf", "txt"),
        (samples.jpeg_bytes(), "photo.png", "png", "jpg"),
        (samples.pdf_bytes(), "form.pdf.exe", "exe", "pdf"),
        (samples.opendocument_bytes("ods"), "sheet.odt", "odt", "ods"),
    ],
)
def test_an_extension_that_contradicts_the_bytes_is_refused(
    data: bytes, filename: str, ext: str, real: str
) -> None:
    with pytest.raises(FileRejected) as refused:
        check_file(data, filename)
    message = str(refused.value)
    assert f"ends in .{ext}" in message and f"Rename it to end in .{real}" in message


def test_the_name_and_declared_type_never_decide_the_kind() -> None:
    assert check_file(samples.pdf_bytes(), "image.PDF").content_type == "application/pdf"
    assert detect(samples.png_bytes()) is filetypes.PNG
    assert filetypes.extension_of("archive.tar.gz") == "gz"
    assert filetypes.extension_of("README") == ""
