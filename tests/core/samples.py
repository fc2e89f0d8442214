"""Small real files made in code, of every kind evidence may carry and of kinds it may not."""

from __future__ import annotations

import io
import zipfile

from tests.factories import image_bytes

CONTENT_TYPES = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def pdf_bytes(
    text: str = "Returns form", catalog: bytes = b"", extra: tuple[bytes, ...] = ()
) -> bytes:
    """A one-page PDF with a correct cross-reference table; `catalog` is added to the
    catalog's entries, and `extra` objects (numbered from 5) to the file."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R" + catalog + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>",
    ]
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects.append(b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream")
    objects += extra
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_with_packed_action(action: bytes) -> bytes:
    """A one-page PDF 1.5 whose catalog's /OpenAction is object 5, packed into a compressed
    object stream (object 6) and found through a cross-reference stream (object 7): none of
    the action's bytes can be seen in the file."""
    import struct
    import zlib

    plain = [
        b"<</Type/Catalog/Pages 2 0 R/OpenAction 5 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]>>",
        b"<</Length 0>>stream\n\nendstream",
    ]
    header = b"5 0 "
    packed = zlib.compress(header + action)
    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(plain, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(len(out))  # object 6, the object stream
    out += b"6 0 obj\n<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>stream\n" % (
        len(header),
        len(packed),
    )
    out += packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in offsets[:4]]
    rows.append(struct.pack(">BIH", 2, 6, 0))  # object 5: in object stream 6, index 0
    rows.append(struct.pack(">BIH", 1, offsets[4], 0))
    rows.append(struct.pack(">BIH", 1, xref_at, 0))
    table = b"".join(rows)
    out += b"7 0 obj\n<</Type/XRef/Size 8/W[1 4 2]/Root 1 0 R/Length %d>>stream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def png_bytes() -> bytes:
    return image_bytes("PNG", 40, 30)


def jpeg_bytes() -> bytes:
    return image_bytes("JPEG", 120, 90)


def _zip(parts: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(parts):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 1, 12, 0, 0)), data, method)
    return out.getvalue()


def office_bytes(
    kind: str = "docx",
    *,
    extra: tuple[tuple[str, bytes], ...] = (),
    main_type: str | None = None,
) -> bytes:
    """A minimal Office Open XML file: [Content_Types].xml, the package relationships and the
    main part, plus `extra` parts."""
    main, suffix = CONTENT_TYPES[kind]
    main_type = main_type or f"application/vnd.openxmlformats-officedocument.{suffix}"
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main}" ContentType="{main_type}"/></Types>'
    ).encode()
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{main}"/></Relationships>'
    ).encode()
    body = b'<?xml version="1.0"?><document><p>Refund of 12.99 to the original card.</p></document>'
    return _zip([("[Content_Types].xml", types), ("_rels/.rels", rels), (main, body), *extra])


def docm_bytes() -> bytes:
    """A macro-enabled Word file: its own content type and a VBA project."""
    return office_bytes(
        "docx",
        main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
        extra=(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(200)),),
    )


def opendocument_bytes(kind: str = "odt") -> bytes:
    mimetype = {
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
    }[kind]
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        "</manifest:manifest>"
    ).encode()
    return _zip(
        [
            ("mimetype", mimetype.encode()),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
        ],
        stored_first=True,
    )


def zip_bomb_bytes() -> bytes:
    """A Word file whose one extra part inflates 8 MB of zeros from a few kilobytes."""
    return office_bytes("docx", extra=(("word/media/padding.xml", bytes(8 * 1024 * 1024)),))


def plain_zip_bytes() -> bytes:
    return _zip([("notes.txt", b"just a zip"), ("photo.png", png_bytes())])


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64) + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
OLD_WORD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
TEXT = b"Call log, 3 March 2026: refund agreed, RA number 4471.\n"
