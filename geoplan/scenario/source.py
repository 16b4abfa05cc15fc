"""Reading scenario YAML with the line of every key, and following ``extends:``.

PyYAML's composer gives every node a start mark; :func:`read_document` builds plain Python
data from the nodes and records, for every key path, the file and line that set it.
:func:`load_document` follows ``extends:`` chains (a base scenario, relative to the file that
names it), merges mappings deeply (a later file wins; lists and scalars are replaced whole),
detects cycles, and resolves relative paths against the file that set them.

A scenario file must be a small UTF-8 text file (not a folder, a device, a symlink loop, or
over :data:`MAX_SCENARIO_BYTES`), and YAML anchors and aliases are refused before any node is
built, so a few hundred bytes cannot expand into gigabytes (a "billion laughs" file).
"""

from __future__ import annotations

import errno
import os
import stat
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from geoplan.errors import Problem, ScenarioError

__all__ = [
    "Document",
    "Loc",
    "Mark",
    "ScenarioProblem",
    "display_path",
    "format_loc",
    "load_document",
    "path_patterns",
    "read_document",
]

Loc = tuple[str | int, ...]

MAX_SCENARIO_BYTES = 1 << 20
"""Largest scenario file read (1 MiB); real ones are a few kilobytes."""


@dataclass(frozen=True)
class Mark:
    """Where a value was set: a file as shown to the user and a 1-based line."""

    file: str
    line: int


class ScenarioProblem(Problem):
    """A problem shown as ``file:line: key.path: message (fix: ...)``."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row is not None else str(self.file)
        text = f"{where}: {self.column}: {self.message}" if self.column else \
            f"{where}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


@dataclass
class Document:
    """Scenario data with the mark of every key path, and the files it came from."""

    data: dict[str, Any]
    marks: dict[Loc, Mark]
    files: list[Path]
    problems: list[ScenarioProblem] = field(default_factory=list)

    def mark(self, loc: Loc) -> Mark:
        """Mark of ``loc`` or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.marks:
                return self.marks[loc[:end]]
        return Mark(display_path(self.files[0]), 1)


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when inside it, else absolute."""
    absolute = _absolute(path)
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _absolute(path: str | Path) -> Path:
    """``path`` resolved, or made absolute when it is a symlink loop (cannot be resolved)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13)
        return Path.cwd() / path


def _problem(mark: Mark, message: str, key: str = "", fix: str | None = None) -> ScenarioProblem:
    return ScenarioProblem(message, file=mark.file, row=mark.line, column=key or None, fix=fix)


class _Builder:
    """Turn composed YAML nodes into Python data, recording marks and duplicate keys."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.marks: dict[Loc, Mark] = {}
        self.problems: list[ScenarioProblem] = []
        self.constructor = yaml.constructor.SafeConstructor()

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.shown, node.start_mark.line + 1)

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.marks[(*loc, index)] = self.mark(item)
                items.append(self.value(item, (*loc, index)))
            return items
        return self.constructor.construct_object(node, deep=True)

    def mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        data: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            mark = self.mark(key_node)
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(_problem(mark, "YAML merge keys (<<) are not supported",
                                              fix="use extends: to build on a base scenario"))
                continue
            key = self.value(key_node, loc)
            if not isinstance(key, str):
                key = str(key)
            path = format_loc((*loc, key))
            if key in first:
                self.problems.append(_problem(mark, f"key appears twice (first on line "
                                                    f"{first[key]}); the last one is used",
                                              path, fix="delete one of them"))
            first[key] = mark.line
            self.marks[(*loc, key)] = mark
            data[key] = self.value(value_node, (*loc, key))
        return data


def read_document(path: Path) -> Document:
    """Read one scenario file (no ``extends`` handling) with the mark of every key.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid YAML, or does not hold a mapping.
    """
    shown = display_path(path)
    text = _scenario_text(path, shown)
    try:
        _refuse_aliases(text, shown)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = ScenarioProblem(f"not valid YAML: {exc.problem or exc.context}",
                                  file=shown, row=line)
        raise ScenarioError(f"1 problem in {shown}:", [problem]) from exc
    except yaml.YAMLError as exc:
        problem = ScenarioProblem(f"not valid YAML: {exc}", file=shown)
        raise ScenarioError(f"1 problem in {shown}:", [problem]) from exc
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else 1
        problem = ScenarioProblem("a scenario must be a mapping of keys (name:, inputs:, ...)",
                                  file=shown, row=line)
        raise ScenarioError(f"1 problem in {shown}:", [problem])
    builder = _Builder(shown)
    data = builder.mapping(node, ())
    builder.marks[()] = Mark(shown, 1)
    return Document(data, builder.marks, [_absolute(path)], builder.problems)


def _fail(shown: str, message: str, fix: str, line: int | None = None) -> ScenarioError:
    problem = ScenarioProblem(message, file=shown, row=line, fix=fix)
    return ScenarioError(f"1 problem in {shown}:", [problem])


def _scenario_text(path: Path, shown: str) -> str:
    """Return the text of a scenario file; refuse what is not a small UTF-8 text file."""
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _fail(shown, "the path is a symbolic link that leads back to itself (a "
                        "symlink loop)", "point the link at the real scenario file") from exc
        raise ScenarioError(f"no scenario file {shown}", [ScenarioProblem(
            f"no such scenario file: {path}", file=shown,
            fix="check the path (scenarios are YAML files, e.g. scenarios/x.yaml)")]) from exc
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device " \
            "such as /dev/null, or a pipe)"
        raise _fail(shown, f"the path is {what}, not a scenario file",
                    "give the path of a scenario YAML file")
    if info.st_size > MAX_SCENARIO_BYTES:
        raise _fail(shown, f"the file is {info.st_size:,} bytes; a scenario is a few kilobytes "
                    f"(the limit is {MAX_SCENARIO_BYTES:,})",
                    "give the scenario YAML file; data belongs in the input files it names")
    data = path.read_bytes()
    for bom, name in ((b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise _fail(shown, f"the file looks {name} encoded, not UTF-8",
                        "save it as UTF-8 text")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _fail(shown, f"the file holds NUL bytes (the first at byte {nul:,}), so it is "
                    "not a text file",
                    "give the scenario YAML file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(shown, f"the file is not UTF-8 text (byte {exc.start:,} cannot be read)",
                    "save it as UTF-8 text") from exc


def _refuse_aliases(text: str, shown: str) -> None:
    """Refuse YAML anchors and aliases, before any node is built.

    An alias repeats a node, so a few hundred bytes of nested aliases expand into billions of
    values (a "billion laughs" file); scenarios never need them: ``extends:`` builds on a base.
    """
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) or anchor is not None:
            line = event.start_mark.line + 1
            used = "an alias (*" if isinstance(event, yaml.AliasEvent) else "an anchor (&"
            raise _fail(shown, f"YAML anchors and aliases are not allowed; {used}{anchor}) is "
                        "used here", "write each value out, or use extends: to build on a "
                        "base scenario", line)


def path_patterns(model: type[BaseModel], prefix: Loc = ()) -> list[Loc]:
    """Key paths of ``model`` that hold paths relative to the scenario file (``*``: any key)."""
    from geoplan.scenario.models import Relative

    patterns: list[Loc] = []
    for name, info in model.model_fields.items():
        loc = (*prefix, name)
        if any(isinstance(m, Relative) for m in info.metadata) or _has_marker(info.annotation):
            if typing.get_origin(info.annotation) is dict:
                patterns.append((*loc, "*"))
            else:
                patterns.append(loc)
        for inner in _models_in(info.annotation):
            if typing.get_origin(info.annotation) is None or _is_optional(info.annotation):
                patterns.extend(path_patterns(inner, loc))
            elif typing.get_origin(info.annotation) is dict:  # {label: model} (exclusions)
                patterns.extend(path_patterns(inner, (*loc, "*")))
    return patterns


def _has_marker(annotation: Any) -> bool:
    from geoplan.scenario.models import Relative

    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, Relative) for m in annotation.__metadata__)
    return any(_has_marker(arg) for arg in typing.get_args(annotation))


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _resolve_paths(document: Document, patterns: list[Loc]) -> None:
    base = document.files[0].parent
    for pattern in [*patterns, ("extends",)]:
        for loc in _matching(document.data, pattern):
            parent = _get(document.data, loc[:-1])
            value = parent[loc[-1]]
            if isinstance(value, list):  # several files (inputs.grid)
                parent[loc[-1]] = [_resolved(base, v) for v in value]
            elif isinstance(value, str) and value.strip():
                parent[loc[-1]] = _resolved(base, value)


def _resolved(base: Path, value: Any) -> Any:
    """Make a non-blank text path absolute from ``base``; return anything else as it is."""
    if isinstance(value, str) and value.strip():
        return os.path.normpath(base / Path(value.strip()).expanduser())
    return value


def _matching(data: Any, pattern: Loc, loc: Loc = ()) -> list[Loc]:
    if not pattern:
        return [loc]
    if not isinstance(data, dict):
        return []
    head, rest = pattern[0], pattern[1:]
    keys = list(data) if head == "*" else [head] if head in data else []
    return [m for key in keys for m in _matching(data[key], rest, (*loc, key))]


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def format_loc(loc: Loc) -> str:
    """``("plan", "years", 2)`` -> ``"plan.years[2]"``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _merge(base: Document, child: Document) -> Document:
    """``child`` over ``base``: mappings merge, anything else is replaced."""
    marks = dict(base.marks)
    for loc, mark in child.marks.items():
        if not loc:
            continue
        new, old = _lookup(child.data, loc), _lookup(base.data, loc)
        if not (isinstance(new, dict) and isinstance(old, dict)):
            for other in [k for k in marks if len(k) > len(loc) and k[:len(loc)] == loc]:
                del marks[other]
        marks[loc] = mark
    marks[()] = child.marks[()]
    return Document(_deep_merge(base.data, child.data), marks, [*child.files, *base.files],
                    [*base.problems, *child.problems])


def _lookup(data: Any, loc: Loc) -> Any:
    try:
        return _get(data, loc)
    except (KeyError, IndexError, TypeError):
        return None


def _deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in child.items():
        old = merged.get(key)
        merged[key] = _deep_merge(old, value) if isinstance(old, dict) and \
            isinstance(value, dict) else value
    return merged


def load_document(path: str | Path, patterns: list[Loc],
                  _chain: tuple[Path, ...] = ()) -> Document:
    """Read ``path`` and every base it ``extends``, merged, with marks and resolved paths.

    Raises
    ------
    ScenarioError
        For a missing file, invalid YAML, a bad ``extends`` value or a cycle of extends.
    """
    document = read_document(Path(path))
    here = document.files[0]
    _resolve_paths(document, patterns)
    base = document.data.get("extends")
    if base is None:
        return document
    mark = document.marks[("extends",)]
    if not isinstance(base, str) or not base.strip():
        problem = _problem(mark, f"must be the path of a base scenario (got {base!r})",
                           "extends")
        raise ScenarioError(f"1 problem in {mark.file}:", [problem])
    target = _absolute(base)
    chain = (*_chain, here)
    if target in chain:
        cycle = " -> ".join(display_path(p) for p in (*chain[chain.index(target):], target))
        problem = _problem(mark, f"extends forms a cycle: {cycle}", "extends",
                           fix="remove extends: from one of these files")
        raise ScenarioError(f"1 problem in {mark.file}:", [problem])
    if not target.is_file():
        problem = _problem(mark, f"no such base scenario: {target}", "extends",
                           fix="give a path relative to this file")
        raise ScenarioError(f"1 problem in {mark.file}:", [problem])
    return _merge(load_document(target, patterns, chain), document)
