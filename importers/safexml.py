"""XML from outside, parsed defensively, with the line of every element.

defusedxml refuses a DTD outright (`forbid_dtd`), so neither external
entities (file or network reads) nor entity expansion ("billion laughs") can
happen; a size cap comes first, before any parsing. The parser is the pure
Python one that defusedxml wraps, so expat's current line is readable as each
element starts: errors then name the line.

A large file's repeated elements (Green Button's IntervalReading, hundreds of
thousands in a 50 MB download) can be handed to a callback as each ends and
then dropped from the tree (`prune`), so memory holds the document's
skeleton and what the callback keeps, not every element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from importers.errors import Refused

# (parent, element, the line of each element of its subtree) → None; may raise Refused.
OnPruned = Callable[[Element, Element, Callable[[Element], int | None]], None]


@dataclass(frozen=True)
class Prune:
    """Elements named `tag` (`{namespace}Name`) are given to `handle` as each ends, then
    dropped from the tree."""

    tag: str
    handle: OnPruned


class _LineBuilder(TreeBuilder):
    def __init__(self, lines: dict[int, int], prune: Prune | None = None) -> None:
        super().__init__()
        self.lines = lines
        self.parser: DefusedXMLParser | None = None
        self.prune = prune
        self.open: list[Element] = []  # the C TreeBuilder keeps its stack private

    def start(self, tag: str, attrs: dict[str, str]) -> Element:  # type: ignore[override]
        elem = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(elem)] = self.parser.parser.CurrentLineNumber
        self.open.append(elem)
        return elem

    def end(self, tag: str) -> Element:
        elem = super().end(tag)
        self.open.pop()
        if self.prune is not None and tag == self.prune.tag and self.open:
            parent = self.open[-1]
            self.prune.handle(parent, elem, lambda e: self.lines.get(id(e)))
            parent.remove(elem)  # the last child: found at once
            for e in elem.iter():
                self.lines.pop(id(e), None)  # an id may be reused by a later element
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


def load(
    path: Path,
    max_bytes: int,
    prune: Prune | None = None,
    read: Callable[[int], None] = lambda _n: None,
) -> XmlDoc:
    """The document; `read` is told the bytes of each chunk parsed (a progress bar)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(path, f"file is {size:,} bytes, more than the limit of {max_bytes:,}")
    lines: dict[int, int] = {}
    builder = _LineBuilder(lines, prune)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                parser.feed(chunk)
                read(len(chunk))
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
