"""Load a scenario file into a validated :class:`~geoplan.scenario.models.Scenario`.

Every problem is reported at once, each with the file and line that set the value and its
key path, e.g. ``scenarios/x.yaml:12: workstreams.chargers.walk_distance_m: must be > 0
(got -5)``. Input files and assumption overrides are checked here, so a bad scenario fails
before any work starts.
"""

from __future__ import annotations

import difflib
import json
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from geoplan.errors import ScenarioError
from geoplan.scenario.models import UNION_TAGS, Scenario
from geoplan.scenario.source import (
    Document,
    Loc,
    ScenarioProblem,
    display_path,
    format_loc,
    load_document,
    path_patterns,
)

__all__ = ["load_scenario", "scenario_json_schema"]

_BOUNDS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
           "less_than": ("<", "lt"), "less_than_equal": ("<=", "le")}


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends:``) and validate a scenario file.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario YAML file.

    Returns
    -------
    Scenario
        Validated, with defaults filled in and paths absolute; ``files`` lists the files read.

    Raises
    ------
    ScenarioError
        Listing every problem with its file, line and key path.
    """
    document = load_document(Path(path), path_patterns(Scenario))
    problems = list(document.problems)
    scenario = None
    try:
        scenario = Scenario.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(_from_errors(exc.errors(), document))
    reported = {(p.file, p.row, p.column) for p in problems}
    problems.extend(p for p in _assumption_problems(document)
                    if (p.file, p.row, p.column) not in reported)  # e.g. a blank source
    if problems or scenario is None:
        order = {display_path(f): i for i, f in enumerate(document.files)}
        problems.sort(key=lambda p: (order.get(p.file or "", 0), p.row or 0))
        count = len(problems)
        shown = display_path(document.files[0])
        raise ScenarioError(f"{count} problem{'s' if count > 1 else ''} in {shown}:", problems)
    scenario._files = tuple(document.files)
    return scenario


def scenario_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a scenario file, for editors (``geoplan scenario schema``)."""
    schema = Scenario.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **json.loads(json.dumps(schema, sort_keys=True))}


def _data_prefix(data: Any, loc: tuple[Any, ...]) -> Loc:
    """Return the longest start of ``loc`` that exists in ``data``."""
    found: list[str | int] = []
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            break
        data = data[part]
        found.append(part)
    return tuple(found)


def _from_errors(errors: list[Any], document: Document) -> list[ScenarioProblem]:
    problems: dict[tuple[str, int | None, str], ScenarioProblem] = {}
    for error in errors:
        loc = tuple(p for p in error["loc"] if p not in UNION_TAGS)
        prefix = _data_prefix(document.data, loc)
        message, fix, key = _message(error, loc)
        where = (*prefix, *key) if key else prefix
        if error["type"] == "missing":
            where = (*prefix, *loc[len(prefix):])
        mark = document.mark(where)
        problem = ScenarioProblem(message, file=mark.file, row=mark.line,
                                  column=format_loc(where) or None, fix=fix)
        key_ = (mark.file, mark.line, problem.column or "")
        if key_ not in problems:  # a union reports once per member: keep the first
            problems[key_] = problem
    return list(problems.values())


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Any, loc: tuple[Any, ...]) -> tuple[str, str | None, Loc]:
    """Message, fix and (for ``@key:`` validator errors) the key the message is about."""
    kind, ctx, got = error["type"], error.get("ctx") or {}, _shown(error.get("input"))
    if kind == "missing":
        return "is required", None, ()
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in _BOUNDS:
        symbol, name = _BOUNDS[kind]
        bound = ctx[name]
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"must be {symbol} {shown} (got {got})", None, ()
    if kind == "literal_error":
        return f"{got} is not allowed", f"use one of {ctx['expected']}", ()
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", error["msg"]))
        if text.startswith("@"):
            key, _, text = text[1:].partition(": ")
            return text, None, tuple(key.split("."))
        return text, None, ()
    if kind == "too_short":
        return f"must not be empty (got {got})", None, ()
    msg = error["msg"]
    return f"{msg[:1].lower()}{msg[1:]} (got {got})", None, ()


def _unknown_key(loc: tuple[Any, ...]) -> tuple[str, str | None, Loc]:
    allowed = _allowed_keys(loc[:-1])
    if not allowed:
        return "unknown key", None, ()
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return "unknown key", f"{hint}allowed keys: {', '.join(allowed)}", ()


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    annotation: Any = Scenario
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    models = _models(annotation)
    return list(models[0].model_fields) if models else []


def _step(annotation: Any, part: Any) -> Any:
    models = _models(annotation)
    if models and isinstance(part, str):
        field = models[0].model_fields.get(part)
        return field.annotation if field else None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (list, dict):
        return []
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _checkable(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("table"), str) and all(
        isinstance(entry.get(k), dict) and entry[k] for k in ("where", "values"))


def _assumption_problems(document: Document) -> list[ScenarioProblem]:
    """Check replacement tables and overrides against the tables geoplan knows.

    Entries that failed validation are already reported; the others are checked here.
    """
    raw = document.data.get("assumptions")
    if not isinstance(raw, dict):
        return []
    from geoplan.assumptions import AssumptionSet
    from geoplan.scenario.tables import known_tables

    tables = raw.get("tables")
    tables = tables if isinstance(tables, dict) else {}
    paths = {k: v for k, v in tables.items() if isinstance(v, str) and Path(v).is_file()}
    entries = raw.get("set")
    entries = entries if isinstance(entries, list) else []
    overrides, indexes = [], []
    for index, entry in enumerate(entries):
        if _checkable(entry):  # even when it failed validation, to list all problems
            overrides.append(entry)
            indexes.append(index)
    problems = []
    for item in AssumptionSet.problems(known_tables(), paths, overrides):
        loc = item.loc
        if loc[0] == "set":
            loc = ("set", indexes[int(loc[1])], *loc[2:])
        where: Loc = ("assumptions", *loc)
        mark = document.mark(where)
        problems.append(ScenarioProblem(item.message, file=mark.file, row=mark.line,
                                        column=format_loc(where), fix=item.fix))
    return problems
