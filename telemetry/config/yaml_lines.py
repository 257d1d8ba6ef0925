"""YAML loading that remembers where every value came from.

Config errors must name the line; PyYAML's composed node tree knows it, the
plain `safe_load` result does not. We compose once, construct the data from
the same nodes, and keep a map from a value's path to its line.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader (libyaml's parser when present) with plain scalars' tags cached:
    a registry repeats the same few values (building types, dates) many times."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or not implicit[0]:
            return super().resolve(kind, value, implicit)
        tag = self._plain_tags.get(value)
        if tag is None:
            tag = self._plain_tags[value] = super().resolve(kind, value, implicit)
        return tag


@dataclass
class LocatedYaml:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path_, int]] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_located(path: Path) -> LocatedYaml:
    text = path.read_text(encoding="utf-8")
    # One parse (libyaml's when PyYAML has it) and one pass over its nodes that
    # builds the data and the line map together: a registry of tens of
    # thousands of households loads in seconds, not minutes.
    loader = _Loader(text)
    try:
        with collection_paused():
            node = loader.get_single_node()
            located = LocatedYaml(data=None)
            if node is not None:
                located.data = _Builder(loader, located).build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(line, f"{exc.problem or exc}") from None
    finally:
        loader.dispose()
    return located


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while building many objects that hold no cycles:
    its passes over everything already built made large loads superlinear."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


@dataclass
class _Builder:
    """Data and lines from one walk; anything unusual (merge keys, tagged
    collections, non-scalar keys) is left to PyYAML's own constructor."""

    loader: Any
    out: LocatedYaml

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.out.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self.loader.construct_object(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP and _plain_keys(node):
            return self._mapping(node, path)
        _lines_only(node, path, self.out)
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            name = key_node.value
            key = name if key_node.tag == _STR else self.loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in data:
                self.out.duplicate_keys.append((path + (name,), line))
            self.out.lines[path + (name,)] = line
            data[key] = self.build(value_node, path + (name,))
            # A mapping value keeps its key's line: that is where a reader looks.
            self.out.lines[path + (name,)] = line
        return data


def _lines_only(node: yaml.Node, path: Path_, out: LocatedYaml) -> None:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key_path = path + (key_node.value,)
                _lines_only(value_node, key_path, out)
                out.lines[key_path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines_only(item, path + (index,), out)


def _plain_keys(node: yaml.MappingNode) -> bool:
    return all(isinstance(k, yaml.ScalarNode) and k.tag != _MERGE for k, _ in node.value)


_MERGE = "tag:yaml.org,2002:merge"
