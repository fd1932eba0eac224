"""A lean LALR(1) driver over the Bicep grammar's generated tables: Lark's trees, faster.

Lark's own parser spent most of a lint run on the corpus lexing token by token through
per-state lexers and wrapping every reduction in its tree-building layers. This driver runs the
same tables (:data:`acr_trusted.lint.bicep_grammar.TABLES`, Lark's serialisation of the
analysed grammar) with one regular expression for all terminals, and builds the tree Lark
builds with ``propagate_positions=True, maybe_placeholders=False`` -- the same rule names,
children and start/end offsets -- as light :class:`Node` / :class:`Token` objects.

Lark's contextual lexer picks, for each token, the terminal the current parser state accepts
(``type`` is a keyword at the start of a statement and a name after ``param``). The driver
matches with all terminals at once, in Lark's order, and then resolves a keyword-like match the
way the state's own lexer would: the keyword when the state accepts it, else the general
terminal (``NAME``, ``ADD_OP``) when the state accepts that. When neither is accepted the
state's lexer might have matched something else, so the driver gives up (:class:`NotHandled`)
and the caller parses with Lark, which reports the error (or, for a corner of lexing this driver
does not follow, gives the tree). So a tree from this driver is always Lark's tree; tests
compare the two on every Bicep file the project has.

Lark itself is never imported here: a Bicep file that parses does not pay for importing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Passes = Callable[[str, str, int, list[str]], bool]
"""The post-lexer: ``passes(kind, text, end, brackets)`` is false for a token to drop."""


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
    """The parse tables and terminals of Lark's serialised parser, ready for :class:`Parser`.

    ``rows[state]`` (states are numbered from 0) maps a terminal or rule name to the next
    state (shift / goto, >= 0) or to ``~rule_index`` (reduce, < 0).
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        memo = {int(key): value for key, value in document["memo"].items()}
        data = document["data"]
        frontend = data["parser"]
        lexer_conf = frontend["lexer_conf"]
        if lexer_conf.get("g_regex_flags") or lexer_conf.get("use_bytes"):
            raise ValueError("lexer options this driver does not follow")
        if data["options"].get("maybe_placeholders") or data["options"].get("keep_all_tokens"):
            raise ValueError("tree options this driver does not follow")
        terminals = [_deref(memo, t) for t in lexer_conf["terminals"]]
        self.ignore = frozenset(lexer_conf["ignore"])
        self.pattern, self.unless = _lexer(terminals)
        table = frontend["parser"]
        names = {int(key): name for key, name in table["tokens"].items()}
        rules: list[_Rule] = []
        rule_index: dict[Any, int] = {}
        rows: dict[int, dict[str, int]] = {}
        for state, actions in table["states"].items():
            row: dict[str, int] = {}
            for token, (action, argument) in actions.items():
                if action == 0:
                    row[names[int(token)]] = int(argument)
                    continue
                ref = int(argument["@"])
                if ref not in rule_index:
                    rule_index[ref] = len(rules)
                    rules.append(_rule(memo[ref]))
                row[names[int(token)]] = ~rule_index[ref]
            rows[int(state)] = row
        self.rows = [rows[state] for state in range(len(rows))]
        self.rules = rules
        self.start_states = {name: int(state) for name, state in table["start_states"].items()}
        self.end_states = {name: int(state) for name, state in table["end_states"].items()}


def _deref(memo: Mapping[int, Any], item: Mapping[str, Any]) -> Any:
    return memo[int(item["@"])] if "@" in item else item


def _rule(data: Mapping[str, Any]) -> _Rule:
    options = data["options"]
    keep_all = bool(options["keep_all_tokens"])
    expansion = data["expansion"]
    keep: list[tuple[int, bool]] = []
    for index, symbol in enumerate(expansion):
        terminal = symbol["__type__"] == "Terminal"
        if keep_all or not (terminal and symbol["filter_out"]):
            keep.append((index, not terminal and symbol["name"].startswith("_")))
    trivial = len(keep) == len(expansion) and not any(splice for _, splice in keep)
    alias = data["alias"]
    name = alias or options.get("template_source") or data["origin"]["name"]
    return _Rule(
        data["origin"]["name"],
        len(expansion),
        name,
        None if trivial else tuple(keep),
        bool(options["expand1"]) and not alias,
    )


def _lexer(terminals: list[Mapping[str, Any]]) -> tuple[re.Pattern[str], dict[str, dict[str, str]]]:
    """One pattern for all terminals, in Lark's order, and the words a regexp terminal yields
    to a string terminal (``NAME`` 'resource' -> ``RESOURCE``), as Lark's lexer builds them."""
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
    unless: dict[str, dict[str, str]] = {}
    embedded: set[str] = set()
    for terminal, literal, regexp, _ in entries:
        if literal:
            continue
        for other, other_literal, _, _ in entries:
            word = other["pattern"]["value"]
            if not other_literal or other["priority"] != terminal["priority"]:
                continue
            found = re.match(regexp, word)
            if found is not None and found.group(0) == word:
                unless.setdefault(terminal["name"], {}).setdefault(word, other["name"])
                embedded.add(other["name"])
    alternatives = "|".join(
        f"(?P<{t['name']}>{regexp})" for t, _, regexp, _ in entries if t["name"] not in embedded
    )
    return re.compile(alternatives), unless


class Parser:
    """Parses text with :class:`Tables`.

    ``passes`` is the post-lexer (see :data:`Passes`), called for the token types in ``watched``.
    """

    def __init__(self, tables: Tables, passes: Passes, watched: frozenset[str]) -> None:
        self.tables = tables
        self.passes = passes
        self.watched = watched
        # ``?a: b`` reductions, by rule index: the rule's name, or None for other rules
        self._units = [rule.origin if rule.is_unit else None for rule in tables.rules]
        # the other reductions, by rule index: (children taken, rule name, node builder)
        self._reductions = [(rule.size, rule.origin, rule.build) for rule in tables.rules]
        # (state below, top state, look-ahead) -> top state after the unit reductions it makes
        self._chains: dict[tuple[int, int, str], int] = {}

    def parse(self, text: str, start: str = "start", offset: int = 0) -> Any:
        """The tree of ``text`` from rule ``start``; offsets in it are shifted by ``offset``.

        Raises :class:`NotHandled` for text Lark must parse (every syntax error among it).
        """
        tables = self.tables
        match = tables.pattern.match
        rows = tables.rows
        reductions = self._reductions
        ignore = tables.ignore
        unless = tables.unless
        passes = self.passes
        watched = self.watched
        units = self._units
        chains = self._chains
        states = [tables.start_states[start]]
        values: list[Any] = []
        brackets: list[str] = []
        position, length = 0, len(text)
        while position < length:
            found = match(text, position)
            if found is None:
                raise NotHandled
            kind = found.lastgroup or ""
            end = found.end()
            if kind in ignore:
                position = end
                continue
            row = rows[states[-1]]
            value = text[position:end]
            words = unless.get(kind)
            if words is not None:
                special = words.get(value)
                if special is not None and special in row:
                    kind = special
            if kind in watched and not passes(kind, text, end, brackets):
                position = end
                continue
            action = row.get(kind)
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
            values.append(Token(kind, value, position + offset, end + offset))
            position = end
        return self._finish(states, values, tables.end_states[start])

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
