"""An ESPI Atom feed as entries and the links between them.

Entries relate by exact link strings (links are opaque). Two layouts exist:
"direct", where a parent's `related` link is the child's `self`, and
"containerized", where the parent's `related` link names a collection that is
the child's `up`. Both are followed; nothing is inferred from URL shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from importers.espi_codes import ATOM_NS, ESPI_NS
from importers.safexml import XmlDoc, local, namespace

# ESPI resources that carry nothing this importer stores.
IGNORED = frozenset(
    {"LocalTimeParameters", "ElectricPowerUsageSummary", "UsageSummary", "ApplicationInformation"}
    | {"Authorization", "Subscription", "RetailCustomer", "CustomerAccount", "Customer"}
    | {"ServiceLocation", "ServiceSupplier", "MeterReadingSummary", "BatchList"}
)
USED = ("UsagePoint", "MeterReading", "ReadingType", "IntervalBlock")


@dataclass
class Entry:
    kind: str
    resource: Element  # the ESPI element inside <content>
    line: int | None
    self_link: str = ""
    up: str = ""
    related: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.kind} entry {self.self_link or '(no self link)'}"


def entries(doc: XmlDoc) -> dict[str, list[Entry]]:
    """The feed's UsagePoint, MeterReading, ReadingType and IntervalBlock entries, by kind."""
    root = doc.root
    if root.tag != f"{{{ATOM_NS}}}feed":
        raise doc.refuse(
            root, f"root element must be an Atom <feed> ({ATOM_NS}), got {_named(root.tag)}"
        )
    out: dict[str, list[Entry]] = {k: [] for k in USED}
    for child in root:
        if child.tag == f"{{{ATOM_NS}}}entry":
            entry = _entry(doc, child)
            if entry is not None:
                out[entry.kind].append(entry)
        elif namespace(child.tag) != ATOM_NS and local(child.tag) == "entry":
            raise doc.refuse(
                child, f"<entry> must be in the Atom namespace, got {_named(child.tag)}"
            )
    if not out["UsagePoint"]:
        raise doc.refuse(root, "the feed holds no UsagePoint entry")
    return out


def _entry(doc: XmlDoc, elem: Element) -> Entry | None:
    content = elem.find(f"{{{ATOM_NS}}}content")
    if content is None:
        return None  # an Atom entry without content carries no data
    resources = list(content)
    if len(resources) != 1:
        raise doc.refuse(content, f"expected one ESPI resource, found {len(resources)}")
    res = resources[0]
    if namespace(res.tag) != ESPI_NS:
        raise doc.refuse(res, f"expected an ESPI element ({ESPI_NS}), got {_named(res.tag)}")
    kind = local(res.tag)
    if kind in IGNORED:
        return None
    if kind not in USED:
        raise doc.refuse(res, f"unknown ESPI resource (known: {', '.join(USED)})")
    entry = Entry(kind, res, doc.line(res))
    for link in elem.findall(f"{{{ATOM_NS}}}link"):
        rel, href = link.get("rel", ""), link.get("href", "")
        if rel == "self":
            entry.self_link = href
        elif rel == "up":
            entry.up = href
        elif rel == "related":
            entry.related.append(href)
    return entry


def children(parent: Entry, candidates: list[Entry]) -> list[Entry]:
    """The entries `parent` relates to: directly (self) or through a collection (up)."""
    targets = set(parent.related)
    return [c for c in candidates if c.self_link in targets or (c.up and c.up in targets)]


def _named(tag: str) -> str:
    ns = namespace(tag)
    return f"<{local(tag)}> in namespace {ns!r}" if ns else f"<{local(tag)}> without a namespace"
