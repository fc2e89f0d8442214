"""Reading YAML data files with line numbers, so every error reads `file:line: what is wrong`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml


class DataError(Exception):
    """A data file is wrong; the message names the file and line."""

    def __init__(self, path: str, line: int, message: str, field: str = "") -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message
        # Where in the data the fault is ("options[1].text"), so a browser form built from
        # the same data can show the message next to the field it concerns.
        self.field = field


class _LineDict(dict[str, Any]):
    line: int
    key_lines: dict[str, int]


class _LineList(list[Any]):
    line: int
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that remembers where each mapping, key and list item starts."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise DataError("", key_node.start_mark.line + 1, "keys must be text")
        if key in result:
            raise DataError("", key_node.start_mark.line + 1, f"duplicate key {key!r}")
        try:
            result[key] = loader.construct_object(value_node, deep=True)
        except ValueError as exc:  # a date that does not exist, such as 2026-02-30
            raise DataError("", value_node.start_mark.line + 1, f"{key!r}: {exc}") from None
        result.key_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


@dataclass(frozen=True)
class Record:
    """One YAML mapping with typed, line-aware accessors."""

    path: str
    data: _LineDict
    where: str = ""

    @property
    def line(self) -> int:
        return self.data.line

    def line_of(self, key: str) -> int:
        return self.data.key_lines.get(key, self.data.line)

    def error(self, message: str, key: str | None = None) -> DataError:
        line = self.line_of(key) if key else self.line
        return DataError(self.path, line, message, (self.where + (key or "")).rstrip("."))

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.error(f"'{key}' is required", key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{key}' must be non-empty text", key)
        return value.strip()

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key, default)
        if value is None:
            raise self.error(f"'{key}' is required", key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.error(f"'{key}' must be a whole number of 1 or more", key)
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"'{key}' must be true or false", key)
        return value

    def date(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, date):
            raise self.error(f"'{key}' must be a date written as YYYY-MM-DD", key)
        return value

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(f"'{key}' is required", key)
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"'{key}' must be a list of text", key)
        return tuple(v.strip() for v in value)

    def records(self, key: str, required: bool = True) -> Iterator[Record]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(f"'{key}' is required", key)
            return
        if not isinstance(value, _LineList) or (required and not value):
            raise self.error(f"'{key}' must be a non-empty list", key)
        for index, (item, line) in enumerate(zip(value, value.item_lines, strict=True)):
            where = f"{self.where}{key}[{index}]"
            if not isinstance(item, _LineDict):
                raise DataError(self.path, line, f"each item of '{key}' must be a mapping", where)
            yield Record(self.path, item, f"{where}.")

    def allow_keys(self, *keys: str) -> None:
        for key in self.data:
            if key not in keys:
                raise self.error(f"unknown key '{key}' (expected one of: {', '.join(keys)})", key)


def parse_yaml(text: str, path: str, first_line: int = 1) -> Record:
    """Parse YAML text whose first line is `first_line` of the file at `path`."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except DataError as exc:
        raise DataError(path, exc.line + first_line - 1, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        # Where the broken construct began (an unclosed bracket's own line), else where
        # the parser noticed.
        mark = exc.context_mark or exc.problem_mark
        line = (mark.line + first_line) if mark else first_line
        raise DataError(path, line, f"not valid YAML: {exc.problem or exc}") from None
    if not isinstance(data, _LineDict):
        raise DataError(path, first_line, "the file must hold a mapping at the top level")
    if first_line != 1:
        _shift(data, first_line - 1)
    return Record(path, data)


def _shift(value: Any, offset: int) -> None:
    if isinstance(value, _LineDict):
        value.line += offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for child in value.values():
            _shift(child, offset)
    elif isinstance(value, _LineList):
        value.line += offset
        value.item_lines = [v + offset for v in value.item_lines]
        for child in value:
            _shift(child, offset)


def record_from_data(data: Mapping[str, Any], path: str) -> Record:
    """A Record over plain data (a browser form's), validated by the same rules as a file.
    Errors carry line 0 and the field they concern."""
    return Record(path, _with_lines(data))


def _with_lines(value: Any) -> Any:
    if isinstance(value, Mapping):
        result = _LineDict((k, _with_lines(v)) for k, v in value.items())
        result.line, result.key_lines = 0, {}
        return result
    if isinstance(value, list | tuple):
        items = _LineList(_with_lines(v) for v in value)
        items.line, items.item_lines = 0, [0] * len(items)
        return items
    return value


def load_yaml(path: Path) -> Record:
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))
