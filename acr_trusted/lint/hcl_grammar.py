"""python-hcl2's HCL parser as generated tables, run by acr-trusted's LALR driver.

python-hcl2 parses with Lark: importing it imports Lark's grammar machinery (about 0.15 s) and
its first parse loads the analysed grammar (about 0.1 s more), most of a cold lint run over a
Terraform repository. :data:`TABLES` is that analysed parser -- built by python-hcl2's own
``hcl2.parser.parser()`` from its ``hcl2.lark``, so with its Lark options (LALR, the contextual
lexer, its post-lexer, ``propagate_positions``, ``maybe_placeholders``, start ``start``) --
serialised by Lark and kept in the driver's compact form (see
:class:`~acr_trusted.lint.bicep_lalr.Tables`) -- and :func:`parse` runs it with
:mod:`acr_trusted.lint.bicep_lalr`, the driver the Bicep parser uses, which builds the tree
python-hcl2's ``parses_to_tree`` builds.

The tables belong to one python-hcl2: they carry the digest of the installed files that decide
its parsing (the grammar, its Lark options, its post-lexer, its version, and Lark's version).
When the installed ones differ, or the driver cannot parse a text (every syntax error among
them), :func:`parse` asks python-hcl2 itself, so its trees and error messages are the ones a
run sees. ``python -m acr_trusted.lint.hcl_grammar`` regenerates the tables; a test keeps them
in step with the installed python-hcl2.
"""

from __future__ import annotations

import importlib.util
import json
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from acr_trusted.lint.bicep_lalr import Node, NotHandled, Parser, Prefix, Tables, from_lark

TABLES = Path(__file__).with_name("hcl_tables.json")

HELD = "NL_OR_COMMENT"
"""The token python-hcl2's post-lexer holds back (see :class:`~acr_trusted.lint.bicep_lalr.Prefix`);
the operators it merges into are in the tables, read from ``hcl2.postlexer.OPERATOR_TYPES``."""

_SOURCES = {
    "hcl2": ("hcl2.lark", "parser.py", "postlexer.py", "version.py", "api.py"),
    "lark": ("__init__.py",),
}
"""The files whose content the tables depend on, per package: python-hcl2's grammar, Lark
options, post-lexer, version and ``parses_to_tree``; Lark's version."""


def source_digest() -> str | None:
    """The digest of the installed :data:`_SOURCES`, found without importing python-hcl2 or
    Lark (importing them is what the tables save); ``None`` when one is missing."""
    digest = 0  # CRC-32 (see bicep_grammar.grammar_digest)
    for package, names in _SOURCES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        directory = Path(next(iter(spec.submodule_search_locations)))
        for name in names:
            try:
                data = f"{package}/{name}\0".encode() + (directory / name).read_bytes()
                digest = zlib.crc32(data, digest)
            except OSError:
                return None
    return f"{digest:08x}"


def tables_text() -> str:
    """The content of :data:`TABLES` for the installed python-hcl2 (imports it and Lark)."""
    import lark
    from hcl2.parser import parser
    from hcl2.postlexer import OPERATOR_TYPES, PostLexer
    from hcl2.version import version as hcl2_version
    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    from acr_trusted.lint.bicep_grammar import _canonical_table, _check_keys

    built = parser()
    postlex: Any = built.options.postlex
    if not (isinstance(postlex, PostLexer) and built.options.propagate_positions is True):
        raise ValueError("python-hcl2 builds its parser in a way this module does not follow")
    if postlex.always_accept:
        raise ValueError("python-hcl2's post-lexer asks for terminals in every state")
    data, memo = built.memo_serialize([TerminalDef, Rule])
    volatile = {*_LOAD_ALLOWED_OPTIONS, "cache", "source_path"}
    data["options"] = {k: v for k, v in data["options"].items() if k not in volatile}
    data["parser"]["parser"] = _canonical_table(data["parser"]["parser"])
    lark_document = {"data": data, "memo": memo}
    _check_keys(lark_document)  # as JSON would give it back: keys are strings
    # in a fixed order: Lark's own follows object identities, so rules would be numbered
    # differently by each process that builds the parser
    driver = Tables.from_lark(json.loads(json.dumps(lark_document, sort_keys=True))).compact()
    document = {
        "source": source_digest(),
        "hcl2": hcl2_version,
        "lark": lark.__version__,
        "merged_into": sorted(OPERATOR_TYPES),
        "driver": driver,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"


@lru_cache(maxsize=1)
def _fast_parser() -> Parser | None:
    """The driver over :data:`TABLES`, or ``None`` when they are missing or were made for
    another python-hcl2 or Lark than the installed ones."""
    try:
        document = json.loads(TABLES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("source") != source_digest():
        return None
    try:
        tables = Tables(document["driver"])
        merged = frozenset(document["merged_into"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return Parser(tables, prefix=Prefix(HELD, merged))


def prepare() -> None:
    """Load the parser's tables now, rather than at the first parse (see
    :func:`acr_trusted.lint.bicep_grammar.prepare`)."""
    _fast_parser()


def parse(text: str) -> Node:
    """The tree ``hcl2.parses_to_tree(text)`` gives, as :class:`Node` / ``Token``.

    Raises what python-hcl2 raises for text that is not HCL (Lark's ``UnexpectedInput``
    subclasses).
    """
    fast = _fast_parser()
    if fast is not None:
        try:
            # python-hcl2 ends the text with a newline, which its grammar needs after the last line
            tree: Node = fast.parse(text + "\n")
            return tree
        except NotHandled:
            pass
    import hcl2

    return from_lark(hcl2.parses_to_tree(text))  # type: ignore[no-any-return]


if __name__ == "__main__":
    TABLES.write_text(tables_text(), encoding="utf-8")
