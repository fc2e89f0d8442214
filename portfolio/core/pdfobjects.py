"""Walking a parsed PDF's objects (pypdf): what the export's PDF/A check (export/pdfcheck.py)
and the upload check (core/filetypes.py) both read. pypdf has already undone the file's
disguises by then: names written with #xx escapes ("/J#61vaScript") arrive as "/JavaScript",
and objects packed in compressed object streams arrive as objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject


@dataclass(frozen=True)
class Node:
    key: str  # the key it hangs from ("" for the root)
    ref: int | None  # its object number, when it is an indirect object
    value: DictionaryObject


def walk(root: PdfObject, limit: int | None = None) -> Iterator[Node]:
    """Every dictionary and stream reachable from `root`, each once: pages, their resources,
    form XObjects, Type3 glyphs, annotations and their appearance streams, outlines, the
    structure tree, file specifications. Pages point back at their parents, so it remembers
    what it has seen. With `limit`, at most that many (a hostile file can hold millions)."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, PdfObject]] = [("", root)]
    count = 0
    while stack:
        key, item = stack.pop()
        ref = None
        found: PdfObject | None = item
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            ref = item.idnum
            found = item.get_object()
        if isinstance(found, DictionaryObject):  # streams too: StreamObject is one
            count += 1
            if limit is not None and count > limit:
                return
            yield Node(key, ref, found)
            stack.extend((name, value) for name, value in found.items())
        elif isinstance(found, ArrayObject):
            stack.extend((key, value) for value in found)
