"""The Bicep grammar acr-trusted parses with, and the Lark parser built from it.

Derived from pycep-parser 0.7.1's ``bicep.lark`` (Apache-2.0, (c) pycep-parser authors): the
same statement forms (``targetScope``, ``import``, ``extension``, ``metadata``, ``param``,
``var``, ``output``, ``resource`` [``existing``], ``module``, ``type``, ``func``, decorators,
child resources, ``[for ...]`` loops, ``if (...)`` conditions) on the same Lark LALR engine.
pycep's grammar fails on valid Bicep in the corpus and gives wrong trees for valid Bicep it
accepts, so the expression and type parts are rewritten (see ``docs/known-modules.md`` and the
Bicep loader's report for the list):

- every binary operator had one precedence and associated to the right, so
  ``!empty(x) ? a : b`` parsed as ``!(empty(x) ? a : b)``; here the precedence is Bicep's
  (postfix, unary, ``* / %``, ``+ -``, comparisons, equality, ``&&``, ``||``, ``??``, ``?:``,
  ``=>``);
- newlines: Bicep ends statements, object properties and array items at a newline but allows
  them inside parentheses, around ``? :`` of a multi-line ternary, after ``=>``, after a
  binary operator and after the ``=`` of a resource or module declaration (``bicep format``
  breaks a long ``module m '...' = if (...) {`` there). pycep knew only a few of these
  places; :class:`NewlineFilter` drops the newlines Bicep ignores;
- types: ``resourceInput<'...'>.tags?``, nullable ``?``, object and tuple types, unions of
  literals, decorated type properties;
- ``'''`` strings next to other statements, ``.?`` / ``[?...]`` safe access, the ``!``
  non-null assertion, ``::`` child access, lambdas with parenthesised parameters, spread
  ``...`` (in objects, arrays and arguments), ``using`` / ``extends`` (``.bicepparam``),
  ``#disable-next-line`` pragmas;
- strings: pycep's string terminal needs the third-party ``regex`` module's ``(?R)`` and
  rejects a line that contains ``'''`` anywhere after it; here a plain ``re`` pattern allows
  interpolation holes nested three strings deep, which the loader re-parses with the
  ``hole`` start symbol.

The analysed parser ships as generated data (:data:`TABLES`), so a first run need not build it,
and :func:`parse` runs those tables with :mod:`acr_trusted.lint.bicep_lalr`, which gives Lark's
trees several times faster; Lark itself parses only what that driver leaves to it (syntax errors,
for their messages).
"""

from __future__ import annotations

import os
import re
import threading
import zlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acr_trusted.lint.bicep_lalr import Node, NotHandled, Parser, Tables, from_lark

if TYPE_CHECKING:
    from lark import Lark


def _string_pattern(depth: int) -> str:
    """A single-quoted Bicep string whose ``${...}`` holes may hold strings ``depth`` deep."""
    inner = r"[^{}'\n]"
    if depth == 0:
        hole = ""
    else:
        nested = _string_pattern(depth - 1)
        braces = rf"\{{(?:{inner}|{nested})*\}}"
        hole = rf"|\$\{{(?:{inner}|{nested}|{braces})*\}}"
    return rf"'(?:[^'\\$\n]|\\.|\$(?!\{{){hole})*'"


STRING_PATTERN = _string_pattern(3)

GRAMMAR = r"""
start: _NL* (_statement _NL+)* _statement?
hole: _NL* expr _NL*

_statement: decorators? declaration
          | using
          | extends

decorators: (decorator _NL+)+
decorator: "@" postfix

?declaration: "targetScope" "=" expr                                       -> target_scope
            | "metadata" NAME "=" expr                                     -> metadata
            | "import" import_spec                                         -> import_
            | ("extension" | "provider") (NAME | STRING) ("with" expr)? ("as" NAME)? -> extension
            | "param" NAME type_expr? ("=" expr)?                          -> param
            | "var" NAME type_expr? "=" expr                               -> var
            | "output" NAME type_expr "=" expr                             -> output
            | resource_decl
            | "module" NAME STRING "=" _NL* body                           -> module
            | "type" NAME "=" type_expr                                    -> type_decl
            | "func" NAME "(" [func_param ("," func_param)*] ")" type_expr "=>" _NL* expr -> func
            | "test" NAME STRING "=" body                                  -> test
            | "assert" NAME "=" expr                                       -> assert_

using: "using" (STRING | NAME) ("with" expr)?
extends: "extends" STRING

resource_decl: "resource" NAME STRING EXISTING? "=" _NL* body
EXISTING: "existing"

import_spec: STRING ("with" expr)? ("as" NAME)?
           | "{" _sep* (import_item _sep+)* import_item? "}" "from" STRING
           | "*" "as" NAME "from" STRING
import_item: NAME ("as" NAME)?

func_param: NAME type_expr

?body: expr
     | "if" "(" expr ")" expr                                              -> if_body

// ---- expressions, lowest precedence first
?expr: ternary
     | ternary "=>" _NL* expr                                              -> lambda_

?ternary: coalesce_expr
        | coalesce_expr _QM _NL* expr _NL* _COLON _NL* expr                   -> conditional

?coalesce_expr: or_expr
              | coalesce_expr _COALESCE _NL* or_expr                            -> coalesce

?or_expr: and_expr
        | or_expr _OR _NL* and_expr                                       -> or_op

?and_expr: eq_expr
         | and_expr _AND _NL* eq_expr                                      -> and_op

?eq_expr: rel_expr
        | eq_expr EQ_OP _NL* rel_expr                                      -> compare

?rel_expr: add_expr
         | rel_expr REL_OP _NL* add_expr                                   -> compare

?add_expr: mul_expr
         | add_expr ADD_OP _NL* mul_expr                                   -> arith

?mul_expr: unary
         | mul_expr MUL_OP _NL* unary                                      -> arith

?unary: postfix
      | "!" unary                                                          -> not_op
      | "-" unary                                                          -> negate

?postfix: primary
        | postfix "." member_name                                          -> property
        | postfix "." _QM member_name                                      -> safe_property
        | postfix "[" expr "]"                                             -> index
        | postfix "[" _QM expr "]"                                         -> safe_index
        | postfix "::" NAME                                                -> child_access
        | postfix "(" [argument ("," argument)*] ","? ")"                  -> call
        | postfix "!"                                                      -> non_null

?argument: expr
         | spread

?member_name: NAME
            | keyword

// a keyword used as a property name: `type: 'x'`, `x.type`
!keyword: "resource" | EXISTING | "type" | "param" | "var" | "output" | "module" | "func"
        | "metadata" | "import" | "targetScope" | "extension" | "provider" | "test" | "assert"
        | "using" | "extends" | "if" | "for" | "in" | "as" | "with" | "from"

?primary: STRING                                                           -> string
        | MULTILINE_STRING                                                 -> multiline_string
        | INT                                                              -> int_
        | "true"                                                           -> true
        | "false"                                                          -> false
        | "null"                                                           -> null
        | NAME                                                             -> name
        | object
        | array
        | loop
        | "(" expr ")"
        | "(" expr ("," expr)+ ")"                                         -> tuple_

object: "{" _sep* (_object_item _sep+)* _object_item? "}"
_object_item: property
            | decorators? resource_decl
            | spread
spread: "..." expr
property: key _COLON _NL* expr
?key: NAME | STRING | keyword

array: "[" _sep* (_array_item _sep+)* _array_item? "]"
_array_item: expr
           | spread

loop: "[" _sep* "for" loop_vars "in" expr _COLON _NL* body _sep* "]"
loop_vars: NAME
         | "(" NAME "," NAME ")"

_sep: _NL | ","

// ---- types
?type_expr: type_postfix
          | "|"? type_postfix ("|" _NL* type_postfix)+                     -> type_union

?type_postfix: type_primary
             | type_postfix "[" "]"                                        -> type_array
             | type_postfix _QM                                            -> type_nullable
             | type_postfix "!"                                            -> type_non_null
             | type_postfix "." NAME                                       -> type_member
             | type_postfix "[" (INT | "*") "]"                            -> type_index
             | type_postfix "<" type_expr ("," type_expr)* ">"             -> type_generic

?type_primary: NAME                                                        -> type_name
             | STRING                                                      -> type_literal
             | INT                                                         -> type_literal
             | "-" INT                                                     -> type_literal
             | "true"                                                      -> type_literal
             | "false"                                                     -> type_literal
             | "null"                                                      -> type_literal
             | "resource" STRING                                           -> type_resource
             | "{" _sep* (type_property _sep+)* type_property? "}"               -> type_object
             | "[" _sep* (type_expr _sep+)* type_expr? "]"                 -> type_tuple
             | "(" type_expr ")"

type_property: decorators? type_key _QM? _COLON type_expr
?type_key: NAME | STRING | keyword | "*" -> any_key

_QM: "?"
_COLON: ":"
_AND: "&&"
_OR: "||"
_COALESCE: "??"
EQ_OP: "==" | "!=" | "=~" | "!~"
REL_OP: ">=" | "<=" | ">" | "<"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%"

NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /[0-9]+/
STRING: /__STRING__/
MULTILINE_STRING.3: /'''[\s\S]*?'''/

_NL: /(\r?\n)+/
COMMENT: /\/\/[^\n]*/
BLOCK_COMMENT: /\/\*[\s\S]*?\*\//
PRAGMA: /#[^\n]*/
WS: /[ \t\f\r]+/

%ignore WS
%ignore COMMENT
%ignore BLOCK_COMMENT
%ignore PRAGMA
""".replace("__STRING__", STRING_PATTERN.replace("/", "\\/"))

_OPENERS = {"LPAR", "LSQB", "LBRACE"}
_CLOSERS = {"RPAR", "RSQB", "RBRACE"}
_NEWLINE_KINDS = frozenset({"_NL", *_OPENERS, *_CLOSERS})  # the tokens newline_passes reads
# a line that starts with one of these continues the expression of the line before
_CONTINUATION = re.compile(r"(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*(?:\?|:(?!:)|&&|\|)")


def newline_passes(kind: str, text: str, end: int, brackets: list[str]) -> bool:
    """Whether a token of type ``kind`` ending at ``end`` reaches the parser.

    Inside parentheses every newline is whitespace; elsewhere a newline followed by ``?``,
    ``:``, ``&&``, ``||``, ``??`` or ``|`` (a union type) continues the previous line.
    Newlines the grammar must see (statement, property and item separators) pass through.
    ``brackets`` is the stack of open brackets, kept up to date here.
    """
    if kind == "_NL":
        if brackets and brackets[-1] == "LPAR":
            return False
        return _CONTINUATION.match(text, end) is None
    if kind in _OPENERS:
        brackets.append(kind)
    elif kind in _CLOSERS and brackets:
        brackets.pop()
    return True


class NewlineFilter:
    """Lark post-lexer: drop the newlines Bicep ignores (see :func:`newline_passes`).

    The look-ahead reads the source text (``text``, set by :func:`parse`) rather than the next
    token, because Lark's contextual lexer must lex each token in the parser state it follows.
    """

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.text = ""

    def process(self, stream: Iterator[Any]) -> Iterator[Any]:
        brackets: list[str] = []
        for token in stream:
            if newline_passes(token.type, self.text, token.end_pos, brackets):
                yield token


_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "start": ["start", "hole"],
    "maybe_placeholders": False,
}
TABLES = Path(__file__).with_name("bicep_tables.json")
"""Lark's analysed parser for :data:`GRAMMAR`; regenerate with
``python -m acr_trusted.lint.bicep_grammar`` after editing the grammar.

Analysing the grammar takes about 0.3 s, half of a cold lint run; loading the tables takes
about 0.03 s. The file is Lark's own serialisation (``Lark.memo_serialize``) written as JSON --
text, not a pickle -- with the grammar's digest and the Lark version it was made with; a test
keeps it in step with the grammar. When it does not match (another Lark version, an edited
grammar), the parser is built and kept in a per-user cache instead.
"""


DRIVER = Path(__file__).with_name("bicep_driver.json")
""":data:`TABLES` in the LALR driver's compact form (:meth:`Tables.compact`): what a run loads
to parse, in a tenth of the time. :data:`TABLES` itself is loaded only when Lark must report
a syntax error. Both are written by ``python -m acr_trusted.lint.bicep_grammar``."""


def grammar_digest() -> str:
    """A checksum of :data:`GRAMMAR`, to tell generated tables made from another grammar.

    CRC-32 rather than a cryptographic hash: it guards against staleness, not tampering, and
    ``hashlib`` alone takes longer to import than the tables take to load.
    """
    return f"{zlib.crc32(GRAMMAR.encode()):08x}"


def tables_text(built: Lark) -> str:
    """The content of :data:`TABLES` for a parser built from :data:`GRAMMAR`."""
    import json

    import lark
    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    data, memo = built.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    data["parser"]["parser"] = _canonical_table(data["parser"]["parser"])
    document = {"grammar": grammar_digest(), "lark": lark.__version__, "data": data, "memo": memo}
    _check_keys(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"


def driver_text(tables: str) -> str:
    """The content of :data:`DRIVER` for the content ``tables`` of :data:`TABLES`."""
    import json

    compact = Tables.from_lark(json.loads(tables)).compact()
    document = {"grammar": grammar_digest(), "driver": compact}
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"


def _canonical_table(table: dict[str, Any]) -> dict[str, Any]:
    """The serialised LALR table with states numbered breadth-first and tokens by name.

    Lark numbers states in the iteration order of a set of objects hashed by identity, so two
    builds of one grammar differ; renumbering makes the generated file reproducible.
    """
    names: dict[int, str] = table["tokens"]
    states: dict[int, dict[int, tuple[int, Any]]] = table["states"]
    number: dict[int, int] = {}
    queue = [table["start_states"][start] for start in sorted(table["start_states"])]
    while queue:
        state = queue.pop(0)
        if state in number:
            continue
        number[state] = len(number)
        for token in sorted(states[state], key=names.__getitem__):
            action, target = states[state][token]
            if action == 0:  # shift: ``target`` is the next state
                queue.append(target)
    for state in states:  # unreachable states, if any, keep their relative order
        number.setdefault(state, len(number))
    token_ids = {name: index for index, name in enumerate(sorted(names.values()))}
    renumbered = {
        number[state]: {
            token_ids[names[token]]: (action, number[target] if action == 0 else target)
            for token, (action, target) in actions.items()
        }
        for state, actions in states.items()
    }
    return {
        "tokens": {index: name for name, index in token_ids.items()},
        "states": renumbered,
        "start_states": {k: number[v] for k, v in table["start_states"].items()},
        "end_states": {k: number[v] for k, v in table["end_states"].items()},
    }


def _check_keys(node: Any) -> None:
    """JSON keeps only string keys: integer keys come back from digit strings (see
    _with_int_keys), so no string key may be made of digits."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.isdigit():
                raise ValueError(f"key {key!r} would be read back as an integer")
            _check_keys(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _check_keys(value)


def _with_int_keys(node: Any) -> Any:
    """The document as Lark serialised it: digit-string keys back to integers."""
    if isinstance(node, dict):
        return {int(k) if k.isdigit() else k: _with_int_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_int_keys(v) for v in node]
    return node


@lru_cache(maxsize=2)
def _document(path: Path) -> dict[str, Any] | None:
    """The generated tables at ``path`` (as JSON has them, keys strings) when they were made
    from :data:`GRAMMAR`."""
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("grammar") != grammar_digest():
        return None
    return document


def _load_tables(postlex: NewlineFilter) -> Lark | None:
    """Lark's parser from :data:`TABLES`, or ``None`` when they are missing or do not match."""
    import lark

    document = _document(TABLES)
    if document is None or document.get("lark") != lark.__version__:
        return None
    serialised = _with_int_keys(document)
    loaded: Lark = lark.Lark._load_from_dict(  # type: ignore[no-untyped-call]
        serialised["data"], serialised["memo"], postlex=postlex, propagate_positions=True
    )
    return loaded


def _cache_path(lark_version: str) -> str | bool:
    """A per-user cache file for the analysed grammar (Lark pickles it), or no cache.

    Lark's own ``cache=True`` writes to the shared temp directory; a per-user directory keeps
    another local user from planting the pickle the parser would load.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "acr-trusted"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return str(directory / f"bicep-lark-{lark_version}-{grammar_digest()}.pickle")


def build_parser(postlex: NewlineFilter, *, cache: bool = True) -> Lark:
    """Analyse :data:`GRAMMAR` (slow), through the per-user cache unless ``cache`` is false."""
    import lark

    return lark.Lark(
        GRAMMAR,
        **_OPTIONS,
        propagate_positions=True,
        postlex=postlex,
        cache=_cache_path(lark.__version__) if cache else False,
    )


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, NewlineFilter]:
    newlines = NewlineFilter()
    return _load_tables(newlines) or build_parser(newlines), newlines


@lru_cache(maxsize=1)
def _fast_parser() -> Parser | None:
    """The driver over :data:`DRIVER` (any Lark version made it), or ``None`` without it."""
    document = _document(DRIVER)
    if document is None:
        return None
    try:
        tables = Tables(document["driver"])
    except (KeyError, TypeError, ValueError, IndexError, re.error):
        return None
    return Parser(tables, newline_passes, _NEWLINE_KINDS)


def prepare() -> None:
    """Load the parser's tables now, rather than at the first parse (see the engine's
    ``prepare``: a process about to fork loads what its children will use)."""
    _fast_parser()


_LOCK = threading.Lock()


def parse(text: str, start: str = "start", offset: int = 0) -> Node:
    """Parse Bicep ``text`` (a whole file, or one interpolation hole with ``start="hole"``).

    Offsets in the tree are shifted by ``offset`` (a hole's place in its file). Text is parsed
    by :mod:`acr_trusted.lint.bicep_lalr`; what it does not handle -- every syntax error -- by
    Lark, made once per process from :data:`TABLES` (or built, see there), which raises its
    exceptions (``UnexpectedInput`` subclasses) for text that is not Bicep.
    """
    fast = _fast_parser()
    if fast is not None:
        try:
            tree: Node = fast.parse(text, start, offset)
            return tree
        except NotHandled:
            pass
    built, newlines = _parser()
    with _LOCK:
        newlines.text = text
        return from_lark(built.parse(text, start=start), offset)  # type: ignore[no-any-return]


if __name__ == "__main__":
    TABLES.write_text(tables_text(build_parser(NewlineFilter(), cache=False)), encoding="utf-8")
    DRIVER.write_text(driver_text(TABLES.read_text(encoding="utf-8")), encoding="utf-8")
