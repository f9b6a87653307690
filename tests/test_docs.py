"""The docs are the specification (as in sqlite-utils' tests/test_docs.py): these tests fail
when a command, option, setting, endpoint or picture is missing from docs/, or when the
docs name one that does not exist. docs/development.md says what each test wants."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from devtools.docs_images import CONSOLE, PICTURES
from kiosk import __version__
from kiosk.cli import build_parser as kiosk_parser
from kiosk.config import KioskConfig
from sync.ledger.ops.cli import build_parser as ledger_parser
from sync.ledger.ops.config import LedgerConfig

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]
PROGRAMS = {"kiosk": kiosk_parser, "kiosk-ledger": ledger_parser}
HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")
COMMAND_HEADING = re.compile(r"^(kiosk|kiosk-ledger)( [a-z][a-z0-9-]*)*$")
OPTION = re.compile(r"--[a-z][a-z0-9-]*")
SPAN = re.compile(r"`([^`\n]+)`")


# -- reading the docs ---------------------------------------------------------------------


@dataclasses.dataclass
class Section:
    page: Path
    title: str
    lines: list[str]

    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}, section {self.title!r}"


def sections(pages=PAGES) -> list[Section]:
    out: list[Section] = []
    for page in pages:
        current: Section | None = None
        fenced = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                fenced = not fenced
            m = None if fenced else HEADING.match(line)
            if m:
                current = Section(page, m.group(2).strip("` "), [])
                out.append(current)
            elif current is not None:
                current.lines.append(line)
    return out


def code_texts(page: Path) -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    texts: list[str] = []
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            texts.append(line)
        else:
            texts.extend(SPAN.findall(line))
    return texts


def synopsis(section: Section) -> str | None:
    for line in section.lines:
        spans = SPAN.findall(line)
        if (
            line.startswith("`")
            and spans
            and spans[0].split()[0 : len(section.title.split())] == (section.title.split())
        ):
            return spans[0]
    return None


def table_first_cells(section: Section) -> list[str]:
    """The code spans in the first cell of each table row (header and rule rows left out)."""
    cells = []
    for line in section.lines:
        if line.startswith("|") and not re.match(r"^\|\s*-", line):
            cells.extend(SPAN.findall(line.split("|")[1]))
    return cells


# -- reading the commands -----------------------------------------------------------------


@dataclasses.dataclass
class Command:
    name: str
    parser: argparse.ArgumentParser
    help: str | None
    children: dict[str, Command]

    @property
    def options(self) -> set[str]:
        return {
            o
            for a in self.parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
            for o in a.option_strings
            if o.startswith("--")
        }

    @property
    def positionals(self) -> list[str]:
        return [
            a.metavar or a.dest.upper()
            for a in self.parser._actions
            if not a.option_strings and not isinstance(a, argparse._SubParsersAction)
        ]


def command_tree(program: str) -> Command:
    def walk(name: str, parser: argparse.ArgumentParser, help: str | None) -> Command:
        children: dict[str, Command] = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                for sub, subparser in action.choices.items():
                    children[sub] = walk(f"{name} {sub}", subparser, helps.get(sub))
        return Command(name, parser, help, children)

    return walk(program, PROGRAMS[program](), "")


def all_commands(root: Command) -> list[Command]:
    out = [root]
    for child in root.children.values():
        out.extend(all_commands(child))
    return out


def leaves(root: Command) -> list[Command]:
    return [c for c in all_commands(root) if not c.children]


def common_options(root: Command) -> set[str]:
    """The options every subcommand takes: documented once, with the program itself."""
    return set.intersection(*(c.options for c in leaves(root)))


TREES = {program: command_tree(program) for program in PROGRAMS}
LEAVES = [c for tree in TREES.values() for c in leaves(tree)]


def sections_titled(title: str) -> list[Section]:
    return [s for s in sections() if s.title == title]


# -- commands and options -----------------------------------------------------------------


@pytest.mark.parametrize("command", LEAVES, ids=lambda c: c.name)
def test_every_subcommand_is_documented(command):
    found = sections_titled(command.name)
    assert len(found) == 1, (
        f"`{command.name}` needs exactly one section headed '### {command.name}' in docs/ "
        f"(found {len(found)}): a synopsis line and a table row per argument and option"
    )
    [section] = found
    program = command.name.split()[0]
    wanted = command.options - common_options(TREES[program])
    line = synopsis(section)
    assert line is not None, f"{section.where()}: no synopsis line `{command.name} ...`"
    in_synopsis = set(OPTION.findall(line))
    assert in_synopsis == wanted, (
        f"{section.where()}: the synopsis names {sorted(in_synopsis)}, "
        f"the command takes {sorted(wanted)}"
    )
    cells = table_first_cells(section)
    in_rows = {o for cell in cells for o in OPTION.findall(cell)}
    assert in_rows == wanted, (
        f"{section.where()}: the table explains {sorted(in_rows)}, "
        f"the command takes {sorted(wanted)}"
    )
    words = {w for cell in cells for w in re.findall(r"\b[A-Z][A-Z_]*\b", cell)}
    for positional in command.positionals:
        assert re.search(rf"\b{positional}\b", line), (
            f"{section.where()}: {positional} not in synopsis"
        )
        assert positional in words, f"{section.where()}: no table row for {positional}"


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_program_and_its_common_options_are_documented(program):
    tree = TREES[program]
    found = sections_titled(program)
    assert len(found) == 1, f"docs/ needs one section headed '### {program}'"
    [section] = found
    own = tree.options | common_options(tree)
    assert "--version" in own
    cells = table_first_cells(section)
    in_rows = {o for cell in cells for o in OPTION.findall(cell)}
    assert in_rows == own, f"{section.where()}: rows for {sorted(in_rows)}, wanted {sorted(own)}"
    assert "--version" in (synopsis(section) or "")


def test_every_command_heading_is_a_command():
    known = {c.name for tree in TREES.values() for c in all_commands(tree)}
    stale = [
        s.where() for s in sections() if COMMAND_HEADING.match(s.title) and s.title not in known
    ]
    assert not stale, f"sections about commands that do not exist: {stale}"


@pytest.mark.parametrize(
    "command", [c for t in TREES.values() for c in all_commands(t)[1:]], ids=lambda c: c.name
)
def test_every_subcommand_has_help(command):
    assert command.help, f"`{command.name}` has no help= (so `--help` does not list what it does)"


def _mentions(text: str):
    """(program, words) for each `kiosk ...` or `kiosk-ledger ...` command line in ``text``."""
    for part in re.split(r"&&|;", text.split(" #")[0]):
        for m in re.finditer(r"(?<![\w/.-])(kiosk-ledger|kiosk)(?= |$)", part):
            yield m.group(1), part[m.end() :].split()


def _resolve(program: str, words: list[str]) -> tuple[Command, str | None]:
    """The command the words name, and an error when a word is not one."""
    command = TREES[program]
    for word in words:
        if not command.children or not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        if word not in command.children:
            return command, f"`{command.name}` has no subcommand {word!r}"
        command = command.children[word]
    return command, None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_commands_named_in_the_docs_exist(page):
    problems = []
    for text in code_texts(page):
        for program, words in _mentions(text):
            command, error = _resolve(program, words)
            if error:
                problems.append(f"{text!r}: {error}")
                continue
            tree = TREES[program]
            allowed = command.options | tree.options | common_options(tree) | {"--help"}
            for option in OPTION.findall(" ".join(words)):
                if option not in allowed:
                    problems.append(f"{text!r}: `{command.name}` takes no {option}")
    assert not problems, f"{page.name} names what does not exist:\n" + "\n".join(problems)


@pytest.mark.parametrize("program", PROGRAMS)
def test_version(program, capsys):
    from kiosk.cli import main as kiosk_main
    from sync.ledger.ops.cli import main as ledger_main

    main = {"kiosk": kiosk_main, "kiosk-ledger": ledger_main}[program]
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"{program} {__version__}"


# -- settings -----------------------------------------------------------------------------


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    return str(value)


@pytest.mark.parametrize(
    ("page", "title", "cls"),
    [
        ("kiosk.md", "Settings: kiosk.toml", KioskConfig),
        ("deploying.md", "Settings: ledger.toml", LedgerConfig),
    ],
)
def test_every_setting_is_documented_with_its_default(page, title, cls):
    [section] = [s for s in sections([DOCS / page]) if s.title == title]
    rows = {}
    for line in section.lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1].strip("`")
    names = {f.name: f.default for f in dataclasses.fields(cls)}
    assert set(rows) == set(names), (
        f"docs/{page} '{title}': undocumented {sorted(set(names) - set(rows))}, "
        f"not settings {sorted(set(rows) - set(names))}"
    )
    for name, default in names.items():
        assert rows[name] == _toml(default), f"{name}: docs say {rows[name]}, default {default!r}"


# -- pictures and the changelog -----------------------------------------------------------


def test_every_picture_shown_exists_and_is_made_by_the_docs_images_tool():
    made = {out for _, _, out, _ in PICTURES} | {out for _, _, out, _ in CONSOLE}
    shown = set()
    for page in PAGES:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            assert path.exists(), f"{page.name} shows {target}, which does not exist"
            assert path.parent == DOCS / "images", f"{page.name}: pictures live in docs/images"
            shown.add(path.name)
    assert shown <= made, f"not made by devtools/docs_images.py: {sorted(shown - made)}"
    assert made <= shown, f"made but shown nowhere: {sorted(made - shown)}"
    for name in made:
        assert (DOCS / "images" / name).stat().st_size < 80_000, f"{name}: keep it small"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_files_the_docs_name_exist(page):
    """A path in backquotes (`sync/ledger/rules/validate.py`, `kiosk/store/`) is in the tree
    (docs/build is made by `make docs`)."""
    top = r"(?:kiosk|sync|devtools|deploy|tests|bench|assets|docs)/"
    missing = [
        text
        for text in code_texts(page)
        for path in re.findall(rf"^{top}[\w./-]*$", text)
        if "*" not in path and not path.startswith("docs/build") and not (ROOT / path).exists()
    ]
    assert not missing, f"{page.name} names files that are not in the tree: {missing}"


@pytest.mark.parametrize("page", [*PAGES, ROOT / "CHANGELOG.md"], ids=lambda p: p.name)
def test_links_between_pages_lead_somewhere(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" not in target:
            assert (page.parent / target).exists(), f"{page.name} links to {target}: not there"


def test_changelog_starts_with_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## (\S+)", text, re.M)
    assert first and first.group(1) == __version__, (
        f"CHANGELOG.md's top heading is {first and first.group(1)}, the version {__version__}"
    )


# -- HTTP endpoints -----------------------------------------------------------------------

METHOD_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_./{}-]*[A-Za-z0-9_}])")


def _api_routes(routes) -> list:
    """Every endpoint route, through included routers (FastAPI keeps those as wrappers)."""
    from fastapi.routing import APIRoute

    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            found.extend(_api_routes(inner.routes))
    return found


@pytest.fixture(scope="module")
def ledger_app(tmp_path_factory):
    """The ledger's app on an empty SQLite ledger, and its API routes (the console's pages,
    left out of the OpenAPI, are held to docs/console.md by their own test)."""
    from sync.ledger.app import create_app
    from sync.ledger.db import open_db

    store = open_db(tmp_path_factory.mktemp("docs-openapi") / "ledger.db")
    app = create_app(store)
    yield app, [r for r in _api_routes(app.routes) if r.include_in_schema]
    store.close()


def test_every_endpoint_is_described_in_the_openapi(ledger_app):
    app, _ = ledger_app
    undescribed = [
        f"{method.upper()} {path}"
        for path, ops in app.openapi()["paths"].items()
        for method, op in ops.items()
        if not (op.get("description") or "").strip()
    ]
    assert not undescribed, f"no description (a docstring on the route): {undescribed}"


def test_every_endpoint_is_in_the_docs_and_every_documented_one_exists(ledger_app):
    _, routes = ledger_app
    served = {(m, r.path) for r in routes for m in r.methods if m != "HEAD"}
    documented = {
        (m, p) for page in PAGES for m, p in METHOD_PATH.findall(page.read_text(encoding="utf-8"))
    }
    assert served - documented == set(), f"not in docs/: {sorted(served - documented)}"
    assert documented - served == set(), f"documented, not served: {sorted(documented - served)}"


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {
        name
        for line in text.splitlines()
        if (m := re.match(r"^([A-Za-z][\w .-]*?)\s*:(?!=)", line))
        for name in m.group(1).split()
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_make_targets_named_in_the_docs_exist(page):
    targets = _make_targets()
    named = {
        m.group(1)
        for text in code_texts(page)
        for m in re.finditer(r"(?<![\w-])make ([a-z][\w-]*)", text)
    }
    assert named <= targets, f"{page.name} names make targets the Makefile lacks: {named - targets}"


def _served(routes, prefix: str = ""):
    """(path, methods) of every route, with the prefixes of the routers it is included in
    (FastAPI keeps an included router as a wrapper whose include context holds its prefix)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route.methods
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _served(inner.routes, prefix + (getattr(context, "prefix", "") or ""))


def test_every_console_page_is_in_docs_console_md(ledger_app):
    """Each page of the staff console (a GET without a path parameter or a file suffix)
    is named in docs/console.md by its address, and every address named there is served."""
    app, _ = ledger_app
    pages = {
        path
        for path, methods in _served(app.routes)
        if path.startswith("/console/")
        and "GET" in methods
        and "{" not in path
        and not re.search(r"\.\w+$", path)
    }
    text = (DOCS / "console.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(/console/[\w/-]*)`", text))
    assert pages, "the console serves no pages"
    assert pages - named == set(), f"not in docs/console.md: {sorted(pages - named)}"
    assert named - pages == set(), f"in docs/console.md, not served: {sorted(named - pages)}"
