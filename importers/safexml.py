"""XML from outside, parsed defensively, with the line of every element.

defusedxml refuses a DTD outright (`forbid_dtd`), so neither external
entities (file or network reads) nor entity expansion ("billion laughs") can
happen; a size cap comes first, before any parsing. The parser is the pure
Python one that defusedxml wraps, so expat's current line is readable as each
element starts: errors then name the line.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from importers.errors import Refused


class _LineBuilder(TreeBuilder):
    def __init__(self, lines: dict[int, int]) -> None:
        super().__init__()
        self.lines = lines
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:  # type: ignore[override]
        elem = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(elem)] = self.parser.parser.CurrentLineNumber
        return elem


class XmlDoc:
    """A parsed document and the line each element started on."""

    def __init__(self, path: Path, root: Element, lines: dict[int, int]) -> None:
        self.path, self.root, self._lines = path, root, lines

    def line(self, elem: Element) -> int | None:
        return self._lines.get(id(elem))

    def refuse(self, elem: Element, message: str) -> Refused:
        return Refused(self.path, f"<{local(elem.tag)}>: {message}", self.line(elem))


def local(tag: str) -> str:
    """`{namespace}Name` -> `Name`."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def load(path: Path, max_bytes: int) -> XmlDoc:
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(path, f"file is {size:,} bytes, more than the limit of {max_bytes:,}")
    lines: dict[int, int] = {}
    builder = _LineBuilder(lines)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                parser.feed(chunk)
        root = parser.close()
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        line = parser.parser.CurrentLineNumber
        raise Refused(path, f"refused: {_what(exc)} (no DTD or entity is accepted)", line) from None
    except ParseError as exc:
        raise Refused(path, f"not well-formed XML: {exc}", exc.position[0]) from None
    return XmlDoc(path, root, lines)


def _what(exc: Exception) -> str:
    if isinstance(exc, DTDForbidden):
        return f"a document type declaration <!DOCTYPE {exc.name}>"
    if isinstance(exc, ExternalReferenceForbidden):
        return f"an external entity reference (system id {exc.sysid!r})"
    return f"an entity declaration <!ENTITY {getattr(exc, 'name', '?')}>"
