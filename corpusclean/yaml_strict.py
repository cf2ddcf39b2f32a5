"""Strict YAML for configs: ``yaml.safe_load`` plus the checks it does not make.

``yaml.safe_load`` silently keeps the last of two equal keys in a mapping, and it expands
aliases without bound (a "billion laughs" document of a few hundred bytes becomes gigabytes).
:func:`load_yaml` composes the node tree first and refuses, with a one-line :class:`ConfigError`
naming the key path and line:

* a key written twice in one mapping (``stages[0]: 'gopher_quality' appears twice (lines 3 and 4)``);
* a document whose expansion (aliases counted each time they are used) exceeds
  :data:`MAX_NODES` nodes, or nesting deeper than :data:`MAX_DEPTH`.

Only then is the tree constructed, with the safe constructor (no Python objects).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from corpusclean.errors import ConfigError

#: Largest expanded document accepted (nodes, aliases counted at every use). Real configs: < 500.
MAX_NODES = 100_000
#: Deepest nesting accepted. Real configs: < 10.
MAX_DEPTH = 64


def _child_path(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _check(node: yaml.Node, path: str, depth: int, sizes: dict[int, int]) -> int:
    """Expanded size of ``node``; raises ConfigError on duplicates, depth or size."""
    if depth > MAX_DEPTH:
        raise ConfigError(f"{path or 'config'}: nested deeper than {MAX_DEPTH} levels")
    known = sizes.get(id(node))
    if known is not None:  # an alias: the same node object used again
        return known
    size = 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, str] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<":
                mark = key_node.start_mark
                where = f"line {mark.line + 1}, column {mark.column + 1}"
                if key in seen:
                    entry = " in one entry" if re.fullmatch(r"stages\[\d+\]", path) else ""
                    raise ConfigError(f"{path or 'config'}: {key!r} appears twice{entry} "
                                      f"({seen[key]} and {where}); write it once")
                seen[key] = where
            size += _check(value_node, _child_path(path, key), depth + 1, sizes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            size += _check(item, f"{path or 'config'}[{i}]", depth + 1, sizes)
    if size > MAX_NODES:
        raise ConfigError(f"{path or 'config'}: the document expands to more than {MAX_NODES} values "
                          "(aliases used many times?); refusing it")
    sizes[id(node)] = size
    return size


def load_yaml(text: str, name: str = "config") -> Any:
    """Parse ``text`` as one YAML document with the checks above; ``None`` for an empty one.

    Raises:
        ConfigError: invalid YAML (with line and column), a repeated key, too deep or too large.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node, "", 0, {})
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{name}: invalid YAML{where}: {problem}") from None
    finally:
        loader.dispose()
