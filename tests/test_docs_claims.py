"""Claims in the documentation that can be checked mechanically, checked.

- Every built-in part of every registry is in its guide's table, and the tables name no part
  that does not exist.
- Every ``pygan`` command is in the command-line guide.
- Every extra of ``pyproject.toml`` is in the installation page's extras table, and the
  ``all`` row names what ``all`` includes.
- No code block in ``docs/**/*.md`` or ``README.md`` names a run-directory file that a run
  does not write (``best.ckpt`` exists only with a checkpoint ``monitor``).
- Every type alias in a public signature is rendered on an API page.
- Every complete config in the docs is a valid config.

Each check is a function of the text, so the tests below also feed it broken text and expect
it to complain: a check that cannot fail checks nothing.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from pygan import CALLBACKS, DATASETS, DISCRIMINATORS, GENERATORS, LOSSES, TERMS
from pygan.cli import build_parser
from pygan.registry import Registry
from test_docs import code_blocks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "pygan"


def read(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


def built_in(registry: Registry) -> set[str]:
    """The names pygan itself registers (not those of plugins installed here)."""
    return {n for n in registry.names() if (registry.get(n).__module__ or "").startswith("pygan.")}


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row (separator rows left out)."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|") and not re.fullmatch(r"\|[\s:|-]+\|", line):
            rows.append([cell.strip() for cell in line[1:-1].split("|")])
    return rows


def names_in(cell: str) -> set[str]:
    """The backticked words of a table cell."""
    return set(re.findall(r"`([A-Za-z_][\w.-]*)`", cell))


# ----------------------------------------------------------------------------- registries
def callback_table_problems(text: str, names: set[str]) -> list[str]:
    rows = table_rows(text.split("## The built-in callbacks", 1)[-1])
    listed = {next(iter(names_in(r[0])), "") for r in rows if r and r[0] != "Name" and names_in(r[0])}
    return [f"callback {n!r} missing from the table" for n in sorted(names - listed)] + [
        f"the table lists {n!r}, which is not a registered callback" for n in sorted(listed - names)
    ]


def concepts_table_problems(text: str, kinds: dict[str, set[str]]) -> list[str]:
    """The 'Built in' column of the Concepts page's table of parts, one row per kind."""
    rows = {r[0]: r for r in table_rows(text) if r}
    problems = []
    for kind, names in kinds.items():
        if kind not in rows:
            problems.append(f"no row {kind!r} in the table of parts")
            continue
        cell = rows[kind][-1]
        listed = names_in(cell)
        complete = not cell.rstrip().endswith("...")  # a row ending in ... lists examples
        problems += [f"{kind}: {n!r} missing" for n in sorted(names - listed) if complete]
        problems += [f"{kind}: lists {n!r}, which is not registered" for n in sorted(listed - names)]
    return problems


def dataset_table_problems(text: str, names: set[str]) -> list[str]:
    listed = {next(iter(names_in(r[0])), "") for r in table_rows(text) if r and r[0] != "Name"}
    listed &= {n for r in table_rows(text) for n in names_in(r[0]) if r[0].startswith("`") and len(r) == 3}
    return [f"dataset {n!r} missing from the table" for n in sorted(names - listed)]


def concept_kinds() -> dict[str, set[str]]:
    return {
        "Generator": built_in(GENERATORS),
        "Discriminator": built_in(DISCRIMINATORS),
        "Loss": built_in(LOSSES),
        "Loss term": built_in(TERMS),
        "Callback": built_in(CALLBACKS),
        "Dataset": built_in(DATASETS),
    }


def test_every_callback_is_in_the_callbacks_guide_table() -> None:
    assert not callback_table_problems(read("docs/guides/callbacks.md"), built_in(CALLBACKS))


def test_every_built_in_part_is_in_the_concepts_table() -> None:
    assert not concepts_table_problems(read("docs/concepts.md"), concept_kinds())


def test_every_dataset_is_in_the_installation_table() -> None:
    assert not dataset_table_problems(read("docs/installation.md"), built_in(DATASETS))


def test_the_registry_checks_can_fail() -> None:
    guide = read("docs/guides/callbacks.md")
    broken = "\n".join(line for line in guide.splitlines() if not line.startswith("| `time_limit` |"))
    assert callback_table_problems(broken, built_in(CALLBACKS)) == ["callback 'time_limit' missing from the table"]
    assert callback_table_problems(guide + "\n| `nope` | x | y |\n", built_in(CALLBACKS))
    concepts = read("docs/concepts.md").replace("`acgan`, ", "")
    assert concepts_table_problems(concepts, concept_kinds()) == ["Loss term: 'acgan' missing"]
    installation = read("docs/installation.md").replace("| `csv` |", "| csv |")
    assert dataset_table_problems(installation, built_in(DATASETS)) == ["dataset 'csv' missing from the table"]


REGISTRIES = (GENERATORS, DISCRIMINATORS, LOSSES, TERMS, CALLBACKS, DATASETS)


def group_problems(text: str) -> list[str]:
    return [f"entry-point group {r.group!r} missing" for r in REGISTRIES if f"`{r.group}`" not in text]


def test_every_entry_point_group_is_in_the_plugin_guide_and_concepts() -> None:
    for page in ("docs/guides/plugins.md", "docs/concepts.md"):
        assert not group_problems(read(page)), page


def test_the_group_check_can_fail() -> None:
    assert group_problems(read("docs/guides/plugins.md").replace("`pygan.terms`", "terms")) == [
        "entry-point group 'pygan.terms' missing"
    ]


# ----------------------------------------------------------------------------- commands
def cli_commands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")  # the subparsers
    return set(action.choices)  # type: ignore[arg-type]


def command_problems(text: str, commands: set[str]) -> list[str]:
    return [f"`pygan {c}` is not in the guide" for c in sorted(commands) if not re.search(rf"\bpygan {c}\b", text)]


def test_every_cli_command_is_in_the_command_line_guide() -> None:
    commands = cli_commands()
    assert {"train", "sample", "export", "evaluate", "list"} <= commands
    assert not command_problems(read("docs/guides/configs-cli.md"), commands)


def test_the_command_check_can_fail() -> None:
    guide = read("docs/guides/configs-cli.md")
    assert command_problems(guide.replace("pygan export", "pygan exp0rt"), cli_commands()) == [
        "`pygan export` is not in the guide"
    ]


# ----------------------------------------------------------------------------- extras
def extras() -> dict[str, list[str]]:
    return tomllib.loads(read("pyproject.toml"))["project"]["optional-dependencies"]


NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def extras_table_problems(text: str, declared: dict[str, list[str]]) -> list[str]:
    rows = {next(iter(names_in(r[0])), ""): r for r in table_rows(text) if r and r[0].startswith("`")}
    problems = [f"extra {e!r} missing from the extras table" for e in sorted(declared) if e not in rows]
    if "all" in declared and "all" in rows:
        included = {
            name.strip()
            for requirement in declared["all"]
            for name in re.findall(r"\[([^\]]*)\]", requirement)[0].split(",")
        }
        row = " ".join(rows["all"][1:])
        problems += [f"the `all` row does not name {e!r}" for e in sorted(included - names_in(row))]
        problems += [f"the `all` row names {e!r}, which `all` does not include" for e in sorted(names_in(row) - included)]
        counts = [NUMBER_WORDS[w] for w in re.findall(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", row.lower())]
        counts += [int(d) for d in re.findall(r"\b(\d+)\b", row)]
        problems += [f"the `all` row says {n} extras, `all` includes {len(included)}" for n in counts if n != len(included)]
    return problems


def test_every_extra_is_in_the_extras_table() -> None:
    assert "export" in extras()
    assert not extras_table_problems(read("docs/installation.md"), extras())


def test_the_extras_check_can_fail() -> None:
    page = read("docs/installation.md")
    assert extras_table_problems(page.replace("| `export` | safetensors", "| export | safetensors"), extras()) == [
        "extra 'export' missing from the extras table"
    ]
    assert extras_table_problems(page.replace("all four above", "all three above"), extras()) == [
        "the `all` row says 3 extras, `all` includes 4"
    ]
    wrong = {**extras(), "all": ["pygan[plot,tensorboard,mnist5k]"]}
    assert extras_table_problems(page, wrong) == [
        "the `all` row names 'export', which `all` does not include",
        "the `all` row says 4 extras, `all` includes 3",
    ]


# ----------------------------------------------------------------------------- run files
# What a run directory holds (see pygan.config.STANDARD_CALLBACKS and pygan train):
# checkpoints/last.ckpt and epoch-NNNN.ckpt always; best.ckpt only with a checkpoint monitor.
RUN_FILE = re.compile(r"(?:checkpoints/|\b)(best|last|epoch-[\d*]+|[\w-]+)\.ckpt\b")
WRITTEN = re.compile(r"last|epoch-(\d{4}|\*)")


def markdown_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


def run_file_problems(text: str, where: str) -> list[str]:
    """Checkpoint names in code blocks that no run writes. ``best.ckpt`` is allowed on a page
    that sets a checkpoint ``monitor`` in one of its code blocks, or on a line that says it
    needs one."""
    blocks = [(line, code) for line, language, code in code_blocks(text) if language != "snippet"]
    monitored = any(re.search(r"\bmonitor\s*=", code) for _, code in blocks)
    problems = []
    for line, code in blocks:
        for offset, code_line in enumerate(code.splitlines(), start=1):
            for match in re.finditer(r"checkpoints/([\w*.-]+)\.ckpt\b|\b(best)\.ckpt\b", code_line):
                name = match.group(1) or match.group(2)
                if WRITTEN.fullmatch(name) or (name == "best" and (monitored or "monitor" in code_line)):
                    continue
                problems.append(f"{where}:{line + offset}: {match.group(0)} ({code_line.strip()})")
    return problems


def test_no_docs_command_names_a_file_a_run_does_not_write() -> None:
    problems = [p for page in markdown_pages() for p in run_file_problems(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))]
    assert not problems, (
        "Code blocks name run-directory files that the run they refer to does not write "
        "(runs write checkpoints/last.ckpt and epoch-NNNN.ckpt; best.ckpt only with a "
        "checkpoint monitor):\n  " + "\n  ".join(problems)
    )


def test_the_run_file_check_can_fail() -> None:
    page = "```bash\npygan sample runs/x/checkpoints/best.ckpt -o a.png\npygan sample runs/x/checkpoints/last.ckpt\n```\n"
    assert run_file_problems(page, "p.md") == ["p.md:2: checkpoints/best.ckpt (pygan sample runs/x/checkpoints/best.ckpt -o a.png)"]
    monitored = page + '\n```toml\n[[callbacks]]\nname = "checkpoint"\nmonitor = "frechet_distance"\n```\n'
    assert run_file_problems(monitored, "p.md") == []
    assert run_file_problems("```bash\nls runs/x/checkpoints/final.ckpt\n```\n", "p.md")
    assert not run_file_problems("```bash\nls runs/x/checkpoints/epoch-0030.ckpt\n```\n", "p.md")


# ----------------------------------------------------------------------------- type aliases
ALIAS_VALUE = (ast.BinOp, ast.Subscript)


def type_aliases() -> dict[str, set[str]]:
    """``{alias: {module, ...}}`` for module-level aliases (``X = A | B``, ``X = Literal[...]``)
    that annotate a parameter or return value of a public function or method."""
    defined: dict[str, set[str]] = {}
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(("pygan", *path.relative_to(SRC).with_suffix("").parts))
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id[:1].isupper()
                and not node.targets[0].id.isupper()
                and isinstance(node.value, ALIAS_VALUE)
                and _is_type_expression(node.value)
            ):
                defined.setdefault(node.targets[0].id, set()).add(module)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_") or (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "__init__"
            ):
                annotations = [a.annotation for a in (*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs)]
                annotations += [node.returns, getattr(node.args.vararg, "annotation", None), getattr(node.args.kwarg, "annotation", None)]
                for annotation in filter(None, annotations):
                    used |= {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}
                    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                        used |= set(re.findall(r"[A-Za-z_]\w*", annotation.value))
    return {name: modules for name, modules in defined.items() if name in used}


def _is_type_expression(value: ast.expr) -> bool:
    if isinstance(value, ast.BinOp):
        return isinstance(value.op, ast.BitOr)
    assert isinstance(value, ast.Subscript)
    head = value.value
    name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
    return name in {"Literal", "Callable", "Sequence", "Mapping", "tuple", "Union", "Optional", "dict", "list"}


def rendered_on_api_pages() -> set[str]:
    return {
        m.group(1)
        for page in (DOCS / "api").glob("*.md")
        for m in re.finditer(r"^::: *([\w.]+)", page.read_text(encoding="utf-8"), re.M)
    }


def alias_problems(aliases: dict[str, set[str]], rendered: set[str]) -> list[str]:
    return [
        f"{module}.{name}"
        for name, modules in sorted(aliases.items())
        for module in sorted(modules)
        if f"{module}.{name}" not in rendered
    ]


def test_every_type_alias_in_a_public_signature_is_on_an_api_page() -> None:
    aliases = type_aliases()
    assert {"OptimizerSpec", "Precision", "Target", "Labels"} <= set(aliases)
    problems = alias_problems(aliases, rendered_on_api_pages())
    assert not problems, "Type aliases of public signatures not rendered on an API page (add `::: path`):\n  " + "\n  ".join(problems)


def test_the_alias_check_can_fail() -> None:
    rendered = rendered_on_api_pages() - {"pygan.trainer.Precision"}
    assert alias_problems(type_aliases(), rendered) == ["pygan.trainer.Precision"]


# ----------------------------------------------------------------------------- configs
def complete_configs() -> list[tuple[str, str]]:
    """``(where, text)`` of every TOML block in the docs that is a whole config."""
    found = []
    for page in markdown_pages():
        for line, language, code in code_blocks(page.read_text(encoding="utf-8")):
            if language == "toml" and re.search(r"^\[generator\]", code, re.M) and re.search(r"^\[trainer\]", code, re.M):
                found.append((f"{page.relative_to(ROOT)}:{line}", code))
    return found


@pytest.fixture
def example_plugin_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts of examples/plugin registered (in copies of the registries), as installing
    the plugin would: the plugin guide's config names them."""
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "plugin"))
    import pygan_example_plugin as plugin

    for registry in (GENERATORS, LOSSES):
        registry.names()  # plugins first, so the copy holds them
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    GENERATORS.register("residual_mlp", override=True)(plugin.ResidualMLPGenerator)
    LOSSES.register("focal", override=True)(plugin.FocalLoss)


def test_every_complete_config_in_the_docs_is_valid(example_plugin_parts: None) -> None:
    from pygan.config import ConfigError, RunConfig

    configs = complete_configs()
    assert any(where.startswith("docs/guides/wgan-gp.md") for where, _ in configs)
    problems = []
    for where, text in configs:
        try:
            RunConfig.from_dict(tomllib.loads(text))
        except (ConfigError, tomllib.TOMLDecodeError) as error:
            problems.append(f"{where}: {error}")
    assert not problems, "Configs in the docs that pygan refuses:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("bad", ["d_stepz = 5", 'name = "wassersteen"'])
def test_the_config_check_can_fail(bad: str) -> None:
    from pygan.config import ConfigError, RunConfig

    where, text = next(c for c in complete_configs() if c[0].startswith("docs/guides/wgan-gp.md"))
    broken = text.replace("d_steps = 5", bad) if "d_stepz" in bad else text.replace('name = "wasserstein"', bad)
    with pytest.raises(ConfigError):
        RunConfig.from_dict(tomllib.loads(broken))
