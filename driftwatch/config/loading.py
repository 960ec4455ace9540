"""Reading a config file: YAML, ``${VAR}`` interpolation, and one precise line per mistake.

A bad file yields one :class:`~driftwatch.errors.ConfigError` naming the file, the key path
(``monitors[1].live.window``), what was found and what was expected; values that came from the
environment (secrets) are masked in it.

Values interpolated into a secret-looking key (a SQL ``query``, a ``password``, a ``token``) are
handed to validation (:data:`~driftwatch.config.sources.SECRET_VALUES`): a SQL source keeps those
in its query as :attr:`secrets`, which every message about it hides (``***``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from driftwatch.config.alerts import SINK_TYPES
from driftwatch.config.models import Config, resolve_sqlite_path
from driftwatch.config.references import DYNAMIC_REFERENCE_TYPES
from driftwatch.config.sources import SECRET_VALUES, SOURCE_TYPES
from driftwatch.errors import ConfigError, mask_secrets
from driftwatch.text import did_you_mean

__all__ = ["load_config", "parse_config"]

_MAX_NODES = 100_000
"""The most values a config may expand to once YAML aliases are resolved: far above any real
config, far below an alias bomb (a few hundred bytes that expand to billions of values)."""
_MAX_DEPTH = 64
"""The deepest a config's collections may nest: a real config nests about six deep; PyYAML
builds nested collections recursively, and ~300 levels exhaust Python's stack."""


class _YamlRefusal(Exception):
    """A YAML document that parses but is refused: a repeated key, an alias bomb."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that reads a file as written or refuses it.

    A key given twice in one mapping is an error (PyYAML keeps the last silently, so a second
    ``monitors:`` block would drop the first); aliases are allowed but the document may expand to
    at most :data:`_MAX_NODES` values and nest at most :data:`_MAX_DEPTH` levels; a timestamp that
    is not a real date (``2024-13-45``) stays text, for the config's validation to name with its
    key path.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= _MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _YamlRefusal(
                event.start_mark.line + 1,
                f"values nest more than {_MAX_DEPTH} levels deep (lists or mappings inside each "
                "other); a driftwatch config nests a few: check the brackets and indentation",
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expansion(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _value in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _YamlRefusal(
                        line,
                        f"key {key!r} is given twice in one mapping (first at line {seen[key]}); "
                        "YAML would silently keep only the last: remove or rename one",
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _timestamp_or_text(loader: _Loader, node: yaml.Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError:  # e.g. month 13: validation says which key and what is expected
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand to more than :data:`_MAX_NODES` values (or to a
    cycle), counting each shared node once per use without expanding anything."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _YamlRefusal(
                node.start_mark.line + 1, "an alias refers to a node that contains it (a cycle)"
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        if total > _MAX_NODES:
            raise _YamlRefusal(
                node.start_mark.line + 1,
                f"YAML aliases (*name) expand this document to more than {_MAX_NODES:,} values; "
                "write the repeated parts out or use fewer nested aliases",
            )
        sizes[key] = total
        return total

    size(root)


_VAR = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SECRET_KEY = re.compile(
    r"(?:^|[.\]])(query|password|passwd|token|secret|credentials?|apikey|(?:\w+_)?key)$", re.I
)
"""A key whose value from the environment is hidden wherever the config's text is shown."""


def _interpolate(
    node: Any, path: str, env: Mapping[str, str], secrets: set[str], hidden: set[str]
) -> Any:
    """``node`` with ``${VAR}`` replaced; every value used goes to ``secrets`` (masked in
    validation errors), those in a secret-looking key (:data:`_SECRET_KEY`) to ``hidden`` too."""
    if isinstance(node, dict):
        return {
            k: _interpolate(v, _join(path, str(k)), env, secrets, hidden) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", env, secrets, hidden) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        if name in env:
            value = env[name]
            if value:
                secrets.add(value)
                if _SECRET_KEY.search(path):
                    hidden.add(value)
            return value
        if default is not None:
            return default
        raise ConfigError(
            f"{path or 'config'}: environment variable {name} is not set; "
            f"export it, or write ${{{name}:-default}} to give a default"
        )

    return _VAR.sub(substitute, node)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _loc_to_path(loc: Sequence[int | str]) -> str:
    parts: list[str] = []
    previous: int | str | None = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif (
            (previous in ("reference", "live") and item in SOURCE_TYPES)
            or (previous == "reference" and item in DYNAMIC_REFERENCE_TYPES)
            or (isinstance(previous, int) and item in SINK_TYPES)
        ):
            pass  # pydantic's discriminated-union tag, not a key the user wrote
        else:
            parts.append(("." if parts else "") + str(item))
        previous = item
    return "".join(parts) or "(top level)"


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation refers to, through unions, tuples, dicts, Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in get_args(annotation):
        yield from _models_in(argument)


def _all_field_names() -> set[str]:
    """Every key a config file may use anywhere, for "did you mean" suggestions."""
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Config]
    seen: set[type[BaseModel]] = set()
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            names.add(field.alias or name)
            stack.extend(_models_in(field.annotation))
    return names


def _describe_error(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    found = error.get("input")
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        hint = did_you_mean(key, _all_field_names() - {key}) or (
            "; remove it or check its indentation"
        )
        return f"{_loc_to_path(loc)}: unknown key {key!r}{hint}"
    if kind == "missing":
        return f"{_loc_to_path(loc)}: required key is missing"
    message = str(error["msg"])
    message = re.sub(r"^(Value error|Assertion failed), ", "", message)
    message = message.replace("Input should be", "expected").replace("Input tag", "type")
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        tag = error.get("ctx", {}).get("tag")
        return f"{_loc_to_path(loc)}.type: unknown type {tag!r}; expected one of: {expected}"
    if kind == "union_tag_not_found":
        return f"{_loc_to_path(loc)}: missing 'type' key"
    path = _loc_to_path(loc)
    if kind.startswith("value_error") or kind == "assertion_error" or isinstance(found, dict):
        return f"{path}: {message}"
    shown = repr(found)
    return f"{path}: {message}, found {shown if len(shown) <= 80 else shown[:77] + '...'}"


def parse_config(
    data: Mapping[str, Any],
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Validate an already-parsed YAML mapping; relative paths resolve against ``base_dir``.

    With ``base_dir`` (a file's folder), a relative SQLite path in ``database`` resolves against it
    too, unless the URL came from an environment variable (``${DRIFTWATCH_DB}``): a URL given in
    the environment, like one given with ``--database``, stays relative to the working directory.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: expected a YAML mapping with a 'monitors' key at the top level, "
            f"found {type(data).__name__}"
        )
    secrets: set[str] = set()
    hidden: set[str] = set()
    environ = os.environ if env is None else env
    try:
        expanded = _interpolate(dict(data), "", environ, secrets, hidden)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if base_dir is not None:
        expanded = _resolve_database(data.get("database"), expanded, base_dir, env)
    context = {
        "base_dir": base_dir if base_dir is not None else Path.cwd(),
        SECRET_VALUES: frozenset(hidden),
    }
    try:
        config = Config.model_validate(expanded, context=context)
    except ValidationError as exc:
        errors = exc.errors()
        locs = [tuple(err["loc"]) for err in errors]
        # pydantic also reports a container as "too short" when its items failed: keep the items
        messages = [
            _describe_error(err)
            for err in errors
            if not any(
                len(o) > len(err["loc"]) and o[: len(err["loc"])] == err["loc"] for o in locs
            )
        ]
        text = mask_secrets("; ".join(dict.fromkeys(messages)), secrets, min_length=4)
        raise ConfigError(f"{source}: {text}") from None
    except ConfigError as exc:  # raised by a validator that builds its own message
        raise ConfigError(f"{source}: {exc}") from None
    if source != "<config>":
        config = config.model_copy(update={"source_file": Path(source)})
    return config


def _resolve_database(
    written: Any, expanded: dict[str, Any], base_dir: Path, env: Mapping[str, str] | None
) -> dict[str, Any]:
    """``expanded`` with its SQLite database path resolved against ``base_dir`` when the file
    itself gave it (literally or as a ``${VAR:-default}`` default), not the environment."""
    url = expanded.get("database")
    if not isinstance(url, str) or not isinstance(written, str):
        return expanded
    environ = os.environ if env is None else env
    if any(name in environ for _, name, _ in _VAR.findall(written)):
        return expanded
    return {**expanded, "database": resolve_sqlite_path(url, base_dir)}


def load_config(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a YAML config file; ConfigError with file, key path and fix on failure."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {str(file)!r} not found; pass --config with the path of a driftwatch "
            "YAML file (e.g. config/example.yaml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(file)!r} cannot be read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except _YamlRefusal as exc:
        raise ConfigError(f"{file}, line {exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"{file}: not valid YAML{where}: {problem}; check indentation and quoting"
        ) from None
    if data is None:
        raise ConfigError(f"{file}: the file is empty; it needs at least a 'monitors' list")
    return parse_config(data, source=str(file), base_dir=file.resolve().parent, env=env)
