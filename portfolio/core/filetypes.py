"""Deciding an uploaded file's type from its bytes: the only kinds of file evidence may carry.

The file's name and the browser's declared type are never trusted to say what a file is; the
name's extension is only checked not to contradict the bytes, so a download opens in the program
its name promises and nothing else.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader

from portfolio.core.images import MAX_PIXELS
from portfolio.core.pdfobjects import walk

ALLOWED_KINDS = (
    "PDF documents, PNG or JPEG images, Word, Excel or PowerPoint files (.docx, .xlsx, .pptx), "
    "OpenDocument text or spreadsheets (.odt, .ods) and plain text files (.txt)"
)
# What the upload form's file picker offers; the bytes are still checked.
ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.odt,.ods,.txt"

# Zip containers are checked from their directory before a byte is inflated: a small upload
# must not be able to become gigabytes (a zip bomb) on the way to being recognised.
ZIP_MAX_ENTRIES = 5_000
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100  # XML compresses well, but not a hundredfold over a whole large part
_RATIO_FLOOR = 1024 * 1024  # small parts may compress any amount without harm
_SMALL_PART = 64 * 1024  # the most we ever read from a part ([Content_Types].xml, mimetype)


class FileRejected(ValueError):
    """The upload is not a file evidence may carry; the message tells the learner why."""


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str  # canonical, without the dot
    label: str  # for people: "PDF document"
    extensions: frozenset[str]  # names that do not contradict it


def _kind(content_type: str, label: str, *extensions: str) -> FileKind:
    return FileKind(content_type, extensions[0], label, frozenset(extensions))


PDF = _kind("application/pdf", "PDF document", "pdf")
PNG = _kind("image/png", "PNG image", "png")
JPEG = _kind("image/jpeg", "JPEG image", "jpg", "jpeg", "jpe")
DOCX = _kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
    "docx",
)
XLSX = _kind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook", "xlsx"
)
PPTX = _kind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
    "pptx",
)
ODT = _kind("application/vnd.oasis.opendocument.text", "OpenDocument text", "odt")
ODS = _kind("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", "ods")
TEXT = _kind("text/plain; charset=utf-8", "plain text file", "txt")

KINDS = (PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, TEXT)
BY_CONTENT_TYPE = {kind.content_type: kind for kind in KINDS}

# Office Open XML: the folder of the main part, and the main part's content type as listed in
# [Content_Types].xml (the macro-enabled variants have other types, refused below).
_OOXML = (
    (DOCX, "word/", b"wordprocessingml.document.main+xml"),
    (XLSX, "xl/", b"spreadsheetml.sheet.main+xml"),
    (PPTX, "ppt/", b"presentationml.presentation.main+xml"),
)
# Phone cameras often write JPEGs with extra pictures inside (MPO): still a JPEG to any viewer.
_IMAGE_FORMATS = {"PNG": PNG, "JPEG": JPEG, "MPO": JPEG}
_ODF = {b"application/vnd.oasis.opendocument.text": ODT, ODS.content_type.encode(): ODS}
# Parts that carry code: VBA macros, ActiveX controls, embedded OLE packages (the classic way
# to hide a program in a document), and OpenDocument Basic or script folders.
_CODE_PART = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX/|oleObject[^/]*\.bin|Basic/|Scripts/)",
    re.IGNORECASE,
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What a PDF reader might run or open by itself, read from the parsed objects (core.pdfobjects),
# so escaped names and compressed object streams hide nothing: scripts, actions other than going
# to a page or a web address, triggers, forms that run or submit, and files inside the file.
_PDF_SCRIPT_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/XFA": "an XFA form"}
_PDF_TRIGGER_KEYS = {"/AA": "actions that run by themselves", "/RichMedia": "embedded media"}
_PDF_FILE_KEYS = {"/EF": "a file inside it", "/EmbeddedFiles": "a file inside it"}
_PDF_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named", "/Thread"})
# The keys an action hangs from; elsewhere /S means something else (a structure type, a border
# style, a transparency group).
_PDF_ACTION_KEYS = frozenset({"/A", "/OpenAction", "/Next"})
# Objects looked at, at most: a real document has thousands; a hostile one millions.
_PDF_MAX_OBJECTS = 200_000
# Text that a browser or viewer would treat as a page or a drawing rather than as notes.
_MARKUP = re.compile(rb"^\s*<(!doctype|html|svg|\?xml|script|head|body|iframe)", re.IGNORECASE)
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _not_allowed(detail: str = "This kind of file cannot be attached.") -> FileRejected:
    return FileRejected(f"{detail} You can attach {ALLOWED_KINDS}.")


def _check_pdf(data: bytes) -> FileKind:
    # A PDF ends with %%EOF (then perhaps a line ending): without it the file was cut short.
    if b"%%EOF" not in data[-1024:]:
        raise FileRejected("The PDF is damaged or incomplete: it has no proper ending.")
    found = _pdf_active_content(data)
    if found:
        raise FileRejected(
            f"The PDF contains {' and '.join(found)}, which cannot be attached: scripts, "
            "actions that run programs and files inside a PDF can harm the computer that "
            "opens it. Print it to a new PDF, or save it as a plain PDF, and try again."
        )
    return PDF


def _pdf_active_content(data: bytes) -> list[str]:
    """What in the PDF a reader might run or open by itself, as words for the learner."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileRejected(
                "The PDF is locked with a password, so it cannot be checked. Save a copy "
                "without the password and try again."
            )
        nodes = list(walk(reader.trailer, limit=_PDF_MAX_OBJECTS))
    except FileRejected:
        raise
    except Exception:  # pypdf raises many kinds on a damaged or hostile file
        raise FileRejected(
            "The PDF is damaged or incomplete: it could not be read as a PDF."
        ) from None
    found: dict[str, None] = {}
    for node in nodes:
        value = node.value
        for keys in (_PDF_SCRIPT_KEYS, _PDF_TRIGGER_KEYS, _PDF_FILE_KEYS):
            for key, words in keys.items():
                if key in value:
                    found[words] = None
        if node.key in _PDF_ACTION_KEYS and "/S" in value:
            kind = value.get("/S")
            if kind == "/JavaScript":
                found["JavaScript"] = None
            elif kind == "/Launch":
                found["an action that starts a program"] = None
            elif kind not in _PDF_SAFE_ACTIONS:
                found[f"an action ({str(kind).lstrip('/')})"] = None
    return list(found)


def _check_image(data: bytes, declared: FileKind) -> FileKind:
    # Like core.images.check_image (the bomb guard, verify), then every pixel is decoded too:
    # verify() reads a PNG's chunks but no pixels and little of a JPEG, so only a full load
    # refuses a cut-short or corrupt image here rather than in the assessor's viewer.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise FileRejected(
                        f"The image has too many pixels (over {MAX_PIXELS // 1_000_000} "
                        "megapixels). Make it smaller and try again."
                    )
                image.verify()
                found = _IMAGE_FORMATS.get(image.format or "")
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except FileRejected:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise FileRejected("The file is damaged or is not really a PNG or JPEG image.") from None
    if found is None or found != declared:
        raise FileRejected("The file's contents do not match a PNG or JPEG image.")
    return found


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _not_allowed("The file is damaged, or is a zip archive we cannot open.") from None
    if not entries or len(entries) > ZIP_MAX_ENTRIES:
        raise _not_allowed("The file is not a document we can open.")
    # Anything stuck before the first part (a program with a document appended, say) makes
    # the file something else as well: a document starts with its first part.
    if min(entry.header_offset for entry in entries) != 0:
        raise _not_allowed("The file is not a plain document.")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRejected(
                "The document is password-protected, so your assessor could not open it. "
                "Remove the password and try again."
            )
        total += entry.file_size
        if entry.file_size > _RATIO_FLOOR and (
            entry.compress_size == 0 or entry.file_size / entry.compress_size > ZIP_MAX_RATIO
        ):
            raise FileRejected("The document unpacks to far more than its size, so it is refused.")
    if total > ZIP_MAX_UNCOMPRESSED:
        raise FileRejected("The document unpacks to far more than its size, so it is refused.")
    for entry in entries:
        if _CODE_PART.search(entry.filename):
            raise FileRejected(
                "The document contains macros or embedded programs, which cannot be attached. "
                "Save it as an ordinary document (.docx, .xlsx, .pptx, .odt or .ods) and try again."
            )
    return archive


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        entry = archive.getinfo(name)
    except KeyError:
        return None
    if entry.file_size > _SMALL_PART:
        return None
    try:
        return archive.read(entry)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # Bad CRC, an unsupported compression method, a truncated part...
        return None


def _check_zip(data: bytes) -> FileKind:
    with _open_zip(data) as archive:
        first = archive.infolist()[0]
        if first.filename == "mimetype":
            kind = _ODF.get((_read_small(archive, "mimetype") or b"").strip())
            if kind is None or first.compress_type != zipfile.ZIP_STORED:
                raise _not_allowed("The file is not a kind of OpenDocument file we accept.")
            if "META-INF/manifest.xml" not in archive.namelist():
                raise FileRejected("The OpenDocument file is damaged: it has no manifest.")
            return kind
        types = _read_small(archive, "[Content_Types].xml")
        if types is None:
            raise _not_allowed("The file is a zip archive, not a document.")
        if b"macroenabled" in types.lower():
            raise FileRejected(
                "The document is macro-enabled, which cannot be attached. "
                "Save it as an ordinary document (.docx, .xlsx or .pptx) and try again."
            )
        names = archive.namelist()
        found = [
            kind
            for kind, folder, main in _OOXML
            if main in types and any(n.startswith(folder) for n in names)
        ]
        if len(found) != 1:
            raise _not_allowed("The file is not a Word, Excel or PowerPoint document we accept.")
        return found[0]


def _check_text(data: bytes) -> FileKind:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_allowed() from None
    if "\x00" in text or _TEXT_CONTROLS.search(text):
        raise _not_allowed()
    if _MARKUP.match(data.removeprefix(b"\xef\xbb\xbf")):
        raise _not_allowed("Web pages, SVG drawings and XML files cannot be attached.")
    return TEXT


def detect(data: bytes) -> FileKind:
    """The kind of file these bytes are, or FileRejected saying why none we accept."""
    if not data:
        raise FileRejected("The file is empty.")
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(data, PNG)
    if data.startswith(b"\xff\xd8\xff"):
        return _check_image(data, JPEG)
    if data.startswith(b"PK\x03\x04"):
        return _check_zip(data)
    if data.startswith(_OLE2):
        raise FileRejected(
            "Older Office files (.doc, .xls, .ppt) cannot be attached. Save the file in the "
            "newer format (.docx, .xlsx or .pptx), or as a PDF, and try again."
        )
    return _check_text(data)


def extension_of(filename: str) -> str:
    _, dot, extension = filename.rpartition(".")
    return extension.lower() if dot else ""


def check_file(data: bytes, filename: str) -> FileKind:
    """Detect the kind from the bytes, then refuse a name whose extension says otherwise."""
    kind = detect(data)
    extension = extension_of(filename)
    if extension and extension not in kind.extensions:
        raise FileRejected(
            f"The file's name ends in .{extension} but it is really a {kind.label}. "
            f"Rename it to end in .{kind.extension}, or choose the right file."
        )
    return kind
