"""A lean LALR(1) driver over Lark-generated tables: Lark's trees, faster.

Lark's own parser spent most of a lint run lexing token by token through its lexer objects and
wrapping every reduction in its tree-building layers, and a cold process first pays for
importing Lark and analysing (or unpickling) the grammar. This driver runs the same tables --
Lark's serialisation of an analysed grammar: :data:`acr_trusted.lint.bicep_grammar.TABLES`
for Bicep, :data:`acr_trusted.lint.hcl_grammar.TABLES` for python-hcl2's HCL -- and builds the
tree Lark builds with ``propagate_positions=True`` -- the same rule names, children and
start/end offsets -- as light :class:`Node` / :class:`Token` objects.

Lexing is Lark's contextual lexer: each token is matched with the terminals the current parser
state accepts (``type`` is a keyword at the start of a Bicep statement and a name after
``param``; an HCL string's characters are a terminal only inside quotes), in Lark's order, with
Lark's rule for a keyword its name terminal also matches. A state's pattern is compiled the
first time the state lexes. The post-lexers of both grammars are followed: Bicep's drops
newlines (:data:`Passes`), python-hcl2's merges a newline into a following binary operator
(:class:`Prefix`). When the text does not parse, the driver gives up (:class:`NotHandled`)
and the caller parses with Lark, which reports the error. So a tree from this driver is always
Lark's tree; tests compare the two on every Bicep and Terraform file the project has.

Lark itself is never imported here: a file that parses does not pay for importing it.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from acr_trusted.records import frozen

Passes = Callable[[str, str, int, list[str]], bool]
"""The post-lexer: ``passes(kind, text, end, brackets)`` is false for a token to drop."""


@frozen
class Prefix:
    """The post-lexer that holds a ``kind`` token back until the next token is lexed.

    When that token's type is one of ``into``, the held text is put in front of its value (the
    positions stay the later token's); otherwise the held token reaches the parser first. As in
    Lark, the token after a held one is lexed in the parser state before the held one.
    python-hcl2 so lets a newline or comment continue an expression before a binary operator.
    """

    kind: str
    into: frozenset[str]


class NotHandled(Exception):
    """The driver cannot parse this text exactly as Lark would; parse it with Lark."""


class Token:
    """A terminal in the tree: ``type`` (terminal name), text, and file offsets."""

    __slots__ = ("end_pos", "start_pos", "type", "value")

    def __init__(self, type_: str, value: str, start_pos: int, end_pos: int) -> None:
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.end_pos = end_pos

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r}, {self.start_pos}, {self.end_pos})"


class Node:
    """A rule's subtree: ``data`` (rule or alias name), children, and file offsets.

    ``start_pos`` / ``end_pos`` are ``None`` for a node that covers no token. The container
    offsets include tokens the tree leaves out (a parenthesised expression's parentheses), as
    Lark's ``container_start_pos``; a parent node starts at its first child's container.
    """

    __slots__ = ("children", "container_end", "container_start", "data", "end_pos", "start_pos")

    def __init__(
        self,
        data: str,
        children: list[Any],
        start_pos: int | None = None,
        end_pos: int | None = None,
    ) -> None:
        self.data = data
        self.children = children
        self.start_pos = start_pos
        self.end_pos = end_pos
        self.container_start = start_pos
        self.container_end = end_pos

    def __repr__(self) -> str:
        return f"Node({self.data!r}, {self.children!r}, {self.start_pos}, {self.end_pos})"


def from_lark(tree: Any, offset: int = 0) -> Any:
    """A Lark tree (or token) as :class:`Node` / :class:`Token`, offsets shifted by ``offset``."""
    if not hasattr(tree, "data"):
        return Token(tree.type, str(tree), tree.start_pos + offset, tree.end_pos + offset)
    children = [from_lark(child, offset) for child in tree.children]
    meta = tree.meta
    if meta.empty:
        return Node(str(tree.data), children)
    return Node(str(tree.data), children, meta.start_pos + offset, meta.end_pos + offset)


class _Rule:
    """How a reduction builds its value (Lark's ParseTreeBuilder for one rule)."""

    __slots__ = ("expand1", "keep", "name", "origin", "size")

    def __init__(
        self,
        origin: str,
        size: int,
        name: str,
        keep: tuple[tuple[int, bool], ...] | None,
        expand1: bool,
    ) -> None:
        self.origin = origin
        self.size = size
        self.name = name
        self.keep = keep  # (index, splice?) of the children kept; None: all, none spliced
        self.expand1 = expand1  # ``?rule``: a single child stands for the node

    @property
    def is_unit(self) -> bool:
        """``?a: b``: the reduction keeps the child as it is."""
        return self.size == 1 and self.expand1 and self.keep is None

    def build(self, raw: list[Any]) -> Any:
        keep = self.keep
        if keep is None:
            children = raw
        else:
            children = []
            for index, splice in keep:
                if splice:
                    children += raw[index].children
                else:
                    children.append(raw[index])
        if self.expand1 and len(children) == 1:
            node = children[0]
            if node.__class__ is not Node:
                return node
        else:
            node = Node(self.name, children)
        child = raw[0] if raw else None
        if child.__class__ is Token:
            first = child.start_pos
        elif child is not None and child.start_pos is not None:
            first = child.container_start
        else:
            found = _first_position(raw)
            if found is None:
                return node
            first = found
        child = raw[-1]
        if child.__class__ is Token:
            last = child.end_pos
        elif child.start_pos is not None:
            last = child.container_end
        else:
            last = _last_position(raw)
        if node.start_pos is None:
            node.start_pos = first
            node.end_pos = last
        node.container_start = first
        node.container_end = last
        return node


def _first_position(raw: list[Any]) -> int | None:
    for child in raw:
        if child.__class__ is Token:
            return int(child.start_pos)
        if child.start_pos is not None:
            return int(child.container_start)
    return None


def _last_position(raw: list[Any]) -> int:
    for child in reversed(raw):
        if child.__class__ is Token:
            return int(child.end_pos)
        if child.start_pos is not None:
            return int(child.container_end)
    raise AssertionError("a child with a start has an end")


class Tables:
    """The parse tables and terminals of an analysed LALR grammar, ready for :class:`Parser`.

    ``rows[state]`` (states are numbered from 0) maps a terminal or rule name to the next
    state (shift / goto, >= 0) or to ``~rule_index`` (reduce, < 0); ``accepts(state)`` are
    the terminals that state's lexer matches. Made from Lark's serialisation of the grammar
    (:meth:`from_lark`), or from :meth:`compact`, the same in the driver's terms: what a
    process loads to parse, a fifth of Lark's size and read without analysing anything.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        """Tables from :meth:`compact`'s document."""
        self.terminals = _Terminals(
            [(name, regexp) for name, regexp in document["terminals"]],
            document["yields"],
            document["first"],
        )
        self._names = frozenset(self.terminals.regexps)
        self.ignore = frozenset(document["ignore"])
        self.rules = [
            _Rule(origin, size, name, None if keep is None else tuple(map(tuple, keep)), expand1)
            for origin, size, name, keep, expand1 in document["rules"]
        ]
        self.rows: list[dict[str, int]] = document["rows"]
        self.start_states: dict[str, int] = document["start_states"]
        self.end_states: dict[str, int] = document["end_states"]
        self._shared: dict[frozenset[str], Lexer] = {}
        self._lexers: dict[frozenset[str], Lexer] = {}

    @classmethod
    def from_lark(cls, document: Mapping[str, Any]) -> Tables:
        """Tables from Lark's serialisation (``memo_serialize``, as JSON keeps it)."""
        memo = {int(key): value for key, value in document["memo"].items()}
        data = document["data"]
        options = data["options"]
        if (options["parser"], options["lexer"]) != ("lalr", "contextual"):
            raise ValueError("a parser this driver does not follow")
        if options["keep_all_tokens"]:
            raise ValueError("tree options this driver does not follow")
        frontend = data["parser"]
        lexer_conf = frontend["lexer_conf"]
        if lexer_conf.get("g_regex_flags") or lexer_conf.get("use_bytes"):
            raise ValueError("lexer options this driver does not follow")
        ordered, yields = _lexer_order([_deref(memo, t) for t in lexer_conf["terminals"]])
        table = frontend["parser"]
        symbols = {int(key): name for key, name in table["tokens"].items()}
        rules: list[list[Any]] = []
        rule_index: dict[Any, int] = {}
        rows: dict[int, dict[str, int]] = {}
        for state, actions in table["states"].items():
            row: dict[str, int] = {}
            for token, (action, argument) in actions.items():
                if action == 0:
                    row[symbols[int(token)]] = int(argument)
                    continue
                ref = int(argument["@"])
                if ref not in rule_index:
                    rule_index[ref] = len(rules)
                    rules.append(_rule(memo[ref], placeholders=options["maybe_placeholders"]))
                row[symbols[int(token)]] = ~rule_index[ref]
            rows[int(state)] = row
        return cls(
            {
                "terminals": ordered,
                "yields": yields,
                "first": {name: first_characters(regexp) for name, regexp in ordered},
                "ignore": sorted(lexer_conf["ignore"]),
                "rules": rules,
                "rows": [rows[state] for state in range(len(rows))],
                "start_states": {k: int(v) for k, v in table["start_states"].items()},
                "end_states": {k: int(v) for k, v in table["end_states"].items()},
            }
        )

    def compact(self) -> dict[str, Any]:
        """The document :class:`Tables` is made from (JSON-ready)."""
        return {
            "terminals": [list(entry) for entry in self.terminals.ordered],
            "yields": self.terminals.yields,
            "first": {
                name: None if chars is None else "".join(sorted(chars))
                for name, chars in self.terminals.first.items()
            },
            "ignore": sorted(self.ignore),
            "rules": [
                [
                    r.origin,
                    r.size,
                    r.name,
                    None if r.keep is None else list(map(list, r.keep)),
                    r.expand1,
                ]
                for r in self.rules
            ],
            "rows": self.rows,
            "start_states": self.start_states,
            "end_states": self.end_states,
        }

    def accepts(self, state: int) -> frozenset[str]:
        """The terminals the lexer matches in ``state``: those its row has an action for."""
        return frozenset(name for name in self.rows[state] if name in self._names)

    def lexer(self, accepts: frozenset[str]) -> Lexer:
        """Lark's lexer for a state that accepts the terminals ``accepts`` (and the ignored)."""
        lexer = self._lexers.get(accepts)
        if lexer is None:
            names = accepts | self.ignore
            lexer = self._lexers[accepts] = Lexer(self.terminals, names, self.shared_lexer)
        return lexer

    def shared_lexer(self, excluded: frozenset[str]) -> Lexer:
        """The lexer of all terminals but ``excluded``, which states' lexers follow."""
        lexer = self._shared.get(excluded)
        if lexer is None:
            names = self._names - excluded
            lexer = self._shared[excluded] = Lexer(self.terminals, names, excluded=excluded)
        return lexer


def _deref(memo: Mapping[int, Any], item: Mapping[str, Any]) -> Any:
    return memo[int(item["@"])] if "@" in item else item


def _rule(data: Mapping[str, Any], *, placeholders: bool) -> list[Any]:
    """``[origin, size, name, keep, expand1]``: the arguments of :class:`_Rule` for a rule."""
    options = data["options"]
    if placeholders and any(options["empty_indices"]):  # ``[item]`` gives None when absent
        raise ValueError("placeholders this driver does not build")
    keep_all = bool(options["keep_all_tokens"])
    expansion = data["expansion"]
    keep: list[list[Any]] = []
    for index, symbol in enumerate(expansion):
        terminal = symbol["__type__"] == "Terminal"
        if keep_all or not (terminal and symbol["filter_out"]):
            keep.append([index, not terminal and symbol["name"].startswith("_")])
    trivial = len(keep) == len(expansion) and not any(splice for _, splice in keep)
    alias = data["alias"]
    name = alias or options.get("template_source") or data["origin"]["name"]
    return [
        data["origin"]["name"],
        len(expansion),
        name,
        None if trivial else keep,
        bool(options["expand1"]) and not alias,
    ]


SharedLexers = Callable[[frozenset[str]], "Lexer"]
"""The shared lexer of all terminals but the ones given (:meth:`Tables.shared_lexer`)."""

MAX_EXCLUDED = 3
"""A state whose tokens the shared lexers keep mistaking compiles its own pattern after this
many terminals are left out of the shared lexer it follows."""


class Lexer:
    """Lark's basic lexer over the terminals ``names``, for the states that accept them.

    Lark matches with one pattern holding the terminals in Lark's order, leaving out a string
    terminal that a regexp terminal among them matches whole (``unless[NAME]['resource']`` is
    then ``RESOURCE``). Compiling that pattern for every state would cost a cold run more than
    the lexing, so a state's lexer follows a shared lexer: at first the one of all terminals.
    The terminal it finds is this lexer's when this lexer's pattern has it and no terminal
    before it there, which the shared pattern leaves out, matches too: ``sure`` are the
    terminals before which no such terminal can start with a character they start with,
    ``checked`` the others, with the terminals to try. A keyword the state accepts when the
    shared lexer finds the name it is embedded in is found the same way (``keywords``). When
    the shared lexer finds a terminal this state does not accept (HCL's string characters, say,
    which match most text), the lexer follows the shared lexer without that terminal, which
    the states outside strings share; only a state that this does not settle compiles its own
    pattern (:meth:`resolve`) and uses it from then on.
    """

    __slots__ = (
        "_alternatives",
        "_names",
        "_pattern",
        "_shared",
        "_shared_lexers",
        "_terminals",
        "checked",
        "excluded",
        "keywords",
        "match",
        "sure",
        "unless",
    )

    def __init__(
        self,
        terminals: _Terminals,
        names: frozenset[str],
        shared: SharedLexers | None = None,
        excluded: frozenset[str] = frozenset(),
    ) -> None:
        unless = {
            name: {word: other for word, other in words.items() if other in names}
            for name, words in terminals.yields.items()
            if name in names
        }
        self.unless = {name: words for name, words in unless.items() if words}
        embedded = {other for words in self.unless.values() for other in words.values()}
        ordered = [name for name, _ in terminals.ordered if name in names - embedded]
        self._terminals = terminals
        self._names = names
        self._pattern = "|".join(f"(?P<{name}>{terminals.regexps[name]})" for name in ordered)
        self._alternatives = frozenset(ordered)
        self._shared: object = None
        self._shared_lexers = shared
        self.excluded = excluded  # a shared lexer's: the terminals it leaves out
        if shared is None:
            self.sure = self._alternatives
            self.checked: dict[str, tuple[str, ...]] = {}
            self.keywords: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}
            self.match: Callable[[str, int], re.Match[str] | None] = re.compile(self._pattern).match
            return
        self._follow(shared(frozenset()), ordered)

    def _follow(self, shared: Lexer, ordered: list[str]) -> None:
        """Match with ``shared``: what its answers mean for this state."""
        terminals = self._terminals
        self.match = self._shared = shared.match
        self.excluded = shared.excluded
        self.checked = {}
        self.keywords = {}
        others = [name for name in ordered if name not in shared.sure]
        sure = set(ordered[: ordered.index(others[0])] if others else ordered)
        rank = {name: index for index, (name, _) in enumerate(terminals.ordered)}
        for index, name in enumerate(ordered):
            if name not in sure and name in shared.sure:
                # a terminal that cannot start with the character ``name`` starts with cannot
                # match where ``name`` does
                before = tuple(
                    n for n in ordered[:index] if n in others and terminals.may_overlap(n, name)
                )
                if before:
                    self.checked[name] = before
                else:
                    sure.add(name)
        self.sure = frozenset(sure)
        for name, words in terminals.yields.items():
            for word, keyword in words.items():
                if name not in self._names and keyword in others:
                    between = (
                        n
                        for n in ordered
                        if rank[n] < rank[keyword] and (n in others or rank[n] > rank[name])
                    )
                    self.keywords.setdefault(name, {})[word] = (keyword, tuple(between))

    def resolve(self, found: re.Match[str] | None, text: str, position: int) -> tuple[str, int]:
        """The terminal at ``position`` and its end, when :attr:`match` found ``found`` and its
        terminal is not :attr:`sure` here; raises :class:`NotHandled` when none matches."""
        while found is not None and self.match is self._shared:
            kind = found.lastgroup or ""
            matches = self._terminals.matches
            before = self.checked.get(kind)
            if before is not None and not any(matches(n, text, position) for n in before):
                return kind, found.end()
            keyword = self.keywords.get(kind, {}).get(found.group())
            if keyword is not None and not any(matches(n, text, position) for n in keyword[1]):
                return keyword[0], found.end()
            shared = self._shared_lexers
            if kind in self._names or shared is None or len(self.excluded) >= MAX_EXCLUDED:
                break
            ordered = [name for name, _ in self._terminals.ordered if name in self._alternatives]
            self._follow(shared(self.excluded | {kind}), ordered)
            found = self.match(text, position)
            if found is not None and found.lastgroup in self.sure:
                return found.lastgroup or "", found.end()
        if self.match is self._shared:
            self.match = re.compile(self._pattern).match
            self.sure = self._alternatives
            self.checked = {}
            self.keywords = {}
            found = self.match(text, position)
        if found is None:
            raise NotHandled
        return found.lastgroup or "", found.end()


class _Terminals:
    """The terminals in Lark's lexer order, as (name, regexp); ``yields[regexp terminal]``:
    the string terminals of its priority it matches whole, by their text; ``first[name]``: the
    characters a match can start with (``None``: any)."""

    def __init__(
        self,
        ordered: list[tuple[str, str]],
        yields: dict[str, dict[str, str]],
        first: Mapping[str, str | None],
    ) -> None:
        self.ordered = ordered
        self.regexps = dict(ordered)
        self.yields = yields
        self.first = {name: None if chars is None else set(chars) for name, chars in first.items()}
        self._compiled: dict[str, re.Pattern[str]] = {}

    def matches(self, name: str, text: str, position: int) -> bool:
        """Whether terminal ``name`` matches at ``position``."""
        compiled = self._compiled.get(name)
        if compiled is None:
            compiled = self._compiled[name] = re.compile(self.regexps[name])
        return compiled.match(text, position) is not None

    def may_overlap(self, one: str, other: str) -> bool:
        """Whether terminals ``one`` and ``other`` can match at the same place."""
        first, second = self.first.get(one), self.first.get(other)
        return first is None or second is None or not first.isdisjoint(second)


def _lexer_order(
    terminals: list[Mapping[str, Any]],
) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """Lark's terminal definitions as :class:`_Terminals` takes them: in the order Lark's
    lexer tries them, and which string terminals each regexp terminal matches whole."""
    entries = []
    for terminal in terminals:
        pattern = terminal["pattern"]
        if pattern["flags"]:
            raise ValueError(f"terminal {terminal['name']} has flags")
        literal = pattern["__type__"] == "PatternStr"
        regexp = re.escape(pattern["value"]) if literal else pattern["value"]
        width = len(pattern["value"]) if literal else int(pattern["_width"][1])
        entries.append((terminal, literal, regexp, width))
    entries.sort(
        key=lambda e: (-e[0]["priority"], -e[3], -len(e[0]["pattern"]["value"]), e[0]["name"])
    )
    yields: dict[str, dict[str, str]] = {}
    for terminal, literal, regexp, _ in entries:
        if literal:
            continue
        for other, other_literal, _, _ in entries:
            word = other["pattern"]["value"]
            if not other_literal or other["priority"] != terminal["priority"]:
                continue
            found = re.match(regexp, word)
            if found is not None and found.group(0) == word:
                yields.setdefault(terminal["name"], {}).setdefault(word, other["name"])
    return [(terminal["name"], regexp) for terminal, _, regexp, _ in entries], yields


def first_characters(regexp: str) -> str | None:
    """The characters a match of ``regexp`` can start with, sorted; ``None`` when that is not
    a small set of ASCII characters (or the pattern uses what this does not follow).

    Reads the pattern with Python's own regular-expression parser, which is private: this runs
    when the tables are generated, never while linting.
    """
    try:
        parsed = _SRE_PARSER.parse(regexp)
        chars, nullable = _first_of_sequence(list(parsed))
    except _NotSmall:
        return None
    except Exception:  # whatever the private parser raises or returns in another Python
        return None
    if nullable:
        return None
    return "".join(sorted(chars))


class _NotSmall(Exception):
    pass


_SRE_PARSER: Any = importlib.import_module(
    "re._parser" if sys.version_info >= (3, 11) else "sre_parse"
)
_SRE: Any = importlib.import_module(
    "re._constants" if sys.version_info >= (3, 11) else "sre_constants"
)


def _first_of_sequence(items: list[Any]) -> tuple[set[str], bool]:
    """(first characters, whether the sequence can match the empty string)."""
    chars: set[str] = set()
    for op, argument in items:
        first, nullable = _first_of_item(op, argument)
        chars |= first
        if not nullable:
            return chars, False
    return chars, True


def _first_of_item(op: Any, argument: Any) -> tuple[set[str], bool]:
    if op is _SRE.LITERAL:
        return {_ascii(argument)}, False
    if op is _SRE.IN:
        chars: set[str] = set()
        for kind, value in argument:
            if kind is _SRE.LITERAL:
                chars.add(_ascii(value))
            elif kind is _SRE.RANGE and value[1] < 128:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # a negated set, a category (\s, \w), a range beyond ASCII
                raise _NotSmall
        return chars, False
    if op is _SRE.SUBPATTERN:
        return _first_of_sequence(list(argument[-1]))
    if op in (_SRE.MAX_REPEAT, _SRE.MIN_REPEAT):
        low, _, inner = argument
        chars, nullable = _first_of_sequence(list(inner))
        return chars, nullable or low == 0
    if op is _SRE.BRANCH:
        chars, nullable = set(), False
        for alternative in argument[1]:
            first, empty = _first_of_sequence(list(alternative))
            chars |= first
            nullable = nullable or empty
        return chars, nullable
    if op in (_SRE.ASSERT, _SRE.ASSERT_NOT):  # zero-width: narrows, never widens
        return set(), True
    raise _NotSmall


def _ascii(code: int) -> str:
    if code >= 128:
        raise _NotSmall
    return chr(code)


Lexed = tuple[str, str, int, int]
"""A lexed token on its way to the parser: (type, text, start, end)."""


class Parser:
    """Parses text with :class:`Tables`.

    The post-lexer: ``passes`` (see :data:`Passes`) is called for the token types in
    ``watched``, which every state lexes (Lark's ``always_accept``); ``prefix`` holds tokens
    back (see :class:`Prefix`).
    """

    def __init__(
        self,
        tables: Tables,
        passes: Passes | None = None,
        watched: frozenset[str] = frozenset(),
        *,
        prefix: Prefix | None = None,
    ) -> None:
        self.tables = tables
        self.passes = passes
        self.watched = watched
        self.prefix = prefix
        # each state's lexer, found on the state's first use
        self._lexers: list[Lexer | None] = [None] * len(tables.rows)
        # ``?a: b`` reductions, by rule index: the rule's name, or None for other rules
        self._units = [rule.origin if rule.is_unit else None for rule in tables.rules]
        # the other reductions, by rule index: (children taken, rule name, node builder)
        self._reductions = [(rule.size, rule.origin, rule.build) for rule in tables.rules]
        # (state below, top state, look-ahead) -> top state after the unit reductions it makes
        self._chains: dict[tuple[int, int, str], int] = {}

    def parse(self, text: str, start: str = "start", offset: int = 0) -> Any:
        """The tree of ``text`` from rule ``start``; offsets in it are shifted by ``offset``.

        Raises :class:`NotHandled` for text Lark must parse (every syntax error among it).
        Each token is lexed in the state the parser is in after shifting the tokens before it
        (a held token aside, see :class:`Prefix`), as Lark's contextual lexer does.
        """
        tables = self.tables
        rows = tables.rows
        reductions = self._reductions
        units = self._units
        chains = self._chains
        lexers = self._lexers
        ignore = tables.ignore
        passes = self.passes
        watched = self.watched if passes is not None else frozenset()
        held_kind, into = (self.prefix.kind, self.prefix.into) if self.prefix else ("", frozenset())
        held: Lexed | None = None  # the token the post-lexer holds back
        ready: Lexed | None = None  # a token lexed before the held one was shifted
        brackets: list[str] = []
        states = [tables.start_states[start]]
        values: list[Any] = []
        position, length = 0, len(text)
        while True:
            if ready is not None:
                kind, value, begin, end = ready
                ready = None
                if kind == held_kind:
                    held = (kind, value, begin, end)
                    continue
            elif position < length:
                state = states[-1]
                lexer = lexers[state] or self._lexer(state)
                found = lexer.match(text, position)
                if found is not None and found.lastgroup in lexer.sure:
                    kind = found.lastgroup or ""
                    end = found.end()
                else:
                    kind, end = lexer.resolve(found, text, position)
                if kind in ignore:
                    position = end
                    continue
                begin = position
                position = end
                value = text[begin:end]
                words = lexer.unless.get(kind)
                if words is not None:
                    kind = words.get(value, kind)
                if kind in watched and not passes(kind, text, end, brackets):  # type: ignore[misc]
                    continue
                if held is not None:
                    if kind in into:
                        value = held[1] + value
                    else:
                        ready = (kind, value, begin, end)
                        kind, value, begin, end = held
                    held = None
                elif kind == held_kind:
                    held = (kind, value, begin, end)
                    continue
            elif held is not None:
                kind, value, begin, end = held
                held = None
            else:
                break
            action = rows[states[-1]].get(kind)
            while action is not None and action < 0:
                if units[~action] is not None:
                    key = (states[-2], states[-1], kind)
                    top = chains.get(key)
                    if top is None:
                        top = chains[key] = self._unit_chain(states[-2], action, kind)
                    states[-1] = top
                    action = rows[top].get(kind)
                    continue
                size, origin, build = reductions[~action]
                if size:
                    raw = values[-size:]
                    del values[-size:]
                    del states[-size:]
                else:
                    raw = []
                values.append(build(raw))
                top = rows[states[-1]][origin]
                states.append(top)
                action = rows[top].get(kind)
            if action is None:
                raise NotHandled
            states.append(action)
            values.append(Token(kind, value, begin + offset, end + offset))
        return self._finish(states, values, tables.end_states[start])

    def _lexer(self, state: int) -> Lexer:
        lexer = self.tables.lexer(self.tables.accepts(state) | self.watched)
        self._lexers[state] = lexer
        return lexer

    def _unit_chain(self, below: int, action: int, kind: str) -> int:
        """The top state after the ``?a: b`` reductions that ``kind`` makes above ``below``."""
        rows = self.tables.rows
        units = self._units
        while True:
            top = rows[below][units[~action] or ""]
            following = rows[top].get(kind)
            if following is None or following >= 0 or units[~following] is None:
                return top
            action = following

    def _finish(self, states: list[int], values: list[Any], end_state: int) -> Any:
        rows = self.tables.rows
        rules = self.tables.rules
        while True:
            action = rows[states[-1]].get("$END")
            if action is None or action >= 0:
                raise NotHandled
            rule = rules[~action]
            size = rule.size
            raw = values[-size:] if size else []
            if size:
                del values[-size:]
                del states[-size:]
            values.append(raw[0] if rule.is_unit else rule.build(raw))
            states.append(rows[states[-1]][rule.origin])
            if states[-1] == end_state:
                return values[-1]
