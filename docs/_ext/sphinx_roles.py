"""A griffe extension: turn the Sphinx roles in pygan's docstrings into mkdocstrings links.

pygan's docstrings use ``:class:`Trainer``` and friends, which read well in ``help()`` and
in an editor. mkdocstrings renders Markdown, where such a role would show as literal text.
This extension rewrites each role into an autorefs link ``[`Trainer`][pygan.trainer.Trainer]``
when the name resolves to an object of the package, and into plain code otherwise (builtins
such as ``KeyError``). Because the link targets are checked by ``mkdocs build --strict``, a
docstring that names something the API pages do not show fails the build.

It also adapts a few reStructuredText habits to Markdown:

- an ``Example:`` section becomes griffe's ``Examples:`` section, so its ``>>>`` lines render
  as highlighted code rather than as a quotation;
- a summary that wraps onto a second line is joined into one (summary tables show one line);
- a line ending in ``::`` (a literal-block marker) ends in ``:`` (a lone ``::`` goes), and a
  simple table (rows between ``===`` border lines) becomes a Markdown table.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|data|exc|obj):`(~?)([\w.]+)(?:\(\))?`")
_LITERAL_MARKER = re.compile(r"(?<=\S)::$", re.MULTILINE)
_LONE_LITERAL_MARKER = re.compile(r"^[ \t]*::[ \t]*$", re.MULTILINE)
_EXAMPLE_HEADER = re.compile(r"^(\s*)Example:$", re.MULTILINE)
_TABLE_BORDER = re.compile(r"^\s*=+(?:\s+=+)+\s*$")


def _rst_tables(text: str) -> str:
    """Rewrite RST simple tables as Markdown tables (the first row heads a 3-border table)."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        if not _TABLE_BORDER.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", lines[i])]
        borders, rows, j = [i], [], i + 1
        while j < len(lines) and lines[j].strip():
            if _TABLE_BORDER.match(lines[j]):
                borders.append(j)
            else:
                rows.append((len(borders), lines[j]))
            j += 1
        cells = [
            [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])] for _, line in rows
        ]
        header = cells.pop(0) if len(borders) == 3 else [""] * len(starts)
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + " --- |" * len(starts))
        out.extend("| " + " | ".join(row) + " |" for row in cells)
        i = j
    return "\n".join(out)


def _find(scope: griffe.Object | griffe.Alias, dotted: str) -> griffe.Object | griffe.Alias | None:
    try:
        return scope[dotted]
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _resolve(name: str, obj: griffe.Object, package: griffe.Module) -> str | None:
    """The canonical path of ``name`` as seen from ``obj``, or ``None`` if it is not ours."""
    if name == package.name:
        return package.path
    if name.startswith(package.name + "."):
        found = _find(package, name[len(package.name) + 1 :])
    else:
        found = None
        scope: Any = obj
        while scope is not None and found is None:  # the object, its class, module, package
            found = _find(scope, name)
            scope = scope.parent
    try:
        if found is None or (found.is_attribute and not found.docstring):
            return None  # undocumented attributes get no entry on the API pages
        return found.canonical_path
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _join_summary(text: str) -> str:
    """Put the first paragraph on one line, unless it holds a section or a code example."""
    first, sep, rest = text.partition("\n\n")
    lines = first.split("\n")
    if len(lines) == 1 or any(line.rstrip().endswith(":") or ">>>" in line for line in lines):
        return text
    return " ".join(line.strip() for line in lines) + sep + rest


def _rewrite(text: str, obj: griffe.Object, package: griffe.Module) -> str:
    def replace(match: re.Match[str]) -> str:
        short, name = match.group(1) == "~", match.group(2)
        shown = name.rsplit(".", 1)[-1] if short else name
        target = _resolve(name, obj, package)
        return f"[`{shown}`][{target}]" if target else f"`{shown}`"

    text = _LITERAL_MARKER.sub(":", _ROLE.sub(replace, text))
    text = _LONE_LITERAL_MARKER.sub("", text)
    return _rst_tables(_EXAMPLE_HEADER.sub(r"\1Examples:", _join_summary(text)))


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of a package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Walk the package and rewrite each docstring in place."""
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj.docstring.value, obj, pkg)
            stack.extend(m for m in obj.members.values() if not m.is_alias)
