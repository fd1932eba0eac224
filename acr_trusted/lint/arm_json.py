"""JSON as ARM reads it, with the position of every value.

``json.loads`` cannot say where a value was written, and ARM accepts more than strict JSON:
``//`` and ``/* */`` comments, a UTF-8 byte-order mark, trailing commas and raw control
characters inside strings. This recursive-descent parser accepts exactly that and keeps the
character offsets of every node, so a finding can name ``file:line:col`` and ``--fix`` can
rewrite one literal without touching any other byte. All tokens are found by one
``re.findall`` over the text, each with the whitespace and comments before it, so offsets
are sums of lengths and the parser does no matching of its own.
"""

from __future__ import annotations

import bisect
import json
import re
from itertools import accumulate
from typing import Any, TypeAlias

from acr_trusted.records import field, frozen

MAX_DEPTH = 400  # deeper nesting is refused instead of overflowing Python's stack

# One match per token: the whitespace and comments before it (group 1), then the token
# (group 2): a string, a punctuation mark, a number, a word, an unterminated comment, any other
# character (a syntax error), or nothing at the end of the text.
_TOKENS = re.compile(
    r"((?:[ \t\r\n\ufeff]+|//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)*)"
    r'("[^"\\]*(?:\\[\s\S][^"\\]*)*"'
    r"|[{}\[\]:,]"
    r"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|true|false|null|/\*|[\s\S]|)"
)
_WORDS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
_NUMBER_STARTS = frozenset("-0123456789")


class JsonSyntaxError(ValueError):
    """The text is not (tolerant) JSON; ``offset`` is where reading stopped."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


@frozen
class JScalar:
    """A string, number, ``true``, ``false`` or ``null``; offsets cover the token."""

    value: str | int | float | bool | None
    start: int
    end: int


@frozen
class JArray:
    items: tuple[JNode, ...]
    start: int
    end: int


@frozen
class JObject:
    """An object; ``keys`` keep the key tokens, ``get`` ignores case as ARM does."""

    keys: tuple[JScalar, ...]
    values: tuple[JNode, ...]
    start: int
    end: int
    # made on the first ``get``: most objects of a large template are never looked into
    _index: dict[str, JNode] | None = field(init=False, repr=False, eq=False, default=None)

    def get(self, key: str) -> JNode | None:
        index = self._index
        if index is None:
            index = {str(k.value).lower(): v for k, v in zip(self.keys, self.values, strict=True)}
            object.__setattr__(self, "_index", index)
        return index.get(key.lower())

    def items(self) -> tuple[tuple[str, JNode], ...]:
        return tuple((str(k.value), v) for k, v in zip(self.keys, self.values, strict=True))

    def text(self, key: str) -> str | None:
        """The member ``key`` when it is a string literal."""
        node = self.get(key)
        return node.value if isinstance(node, JScalar) and isinstance(node.value, str) else None


JNode: TypeAlias = "JScalar | JArray | JObject"


def parse(text: str) -> JNode:
    """Parse ``text``; raises :class:`JsonSyntaxError` with the offset of the problem."""
    parser = _Parser(text)
    node = parser.value(0)
    if parser.tokens[parser.at]:
        raise parser.error("unexpected text after the end of the JSON value")
    return node


def plain(node: JNode) -> Any:
    """The node as ``json.loads`` would return it (object keys keep their case)."""
    if isinstance(node, JScalar):
        return node.value
    if isinstance(node, JArray):
        return [plain(item) for item in node.items]
    return {str(k.value): plain(v) for k, v in zip(node.keys, node.values, strict=True)}


class _Parser:
    """Recursive descent over the tokens of :data:`_TOKENS`, all found in one pass.

    ``tokens[i]`` is a token's text ("" at the end of the text) and ``ends[i]`` its end
    offset: the running sum of the lengths of what the pattern matched, so offsets cost no
    work per token. ``at`` is the current token's index.
    """

    def __init__(self, text: str) -> None:
        found = _TOKENS.findall(text)
        self.tokens = [token for _, token in found]
        self.ends = list(accumulate(map(len, map("".join, found))))
        self.at = 0

    def start(self, index: int) -> int:
        return self.ends[index] - len(self.tokens[index])

    def error(self, reason: str) -> JsonSyntaxError:
        return JsonSyntaxError(self.start(self.at), reason)

    def unexpected(self, expected: str) -> JsonSyntaxError:
        """The error for the current token, which is not what ``expected`` says."""
        token = self.tokens[self.at]
        if token == "/*":
            return self.error("unterminated /* comment")
        if token == '"':
            return self.error("unterminated string")
        if not token:
            return self.error(f"unexpected end of file, {expected}")
        return self.error(f"unexpected character {token[0]!r}, {expected}")

    def expected(self, what: str) -> JsonSyntaxError:
        """The error for a current token that is not the punctuation ``what`` names."""
        token = self.tokens[self.at]
        if token == "/*":
            return self.error("unterminated /* comment")
        return self.error(f"expected {what}, found {token[:1] or 'end of file'!r}")

    def value(self, depth: int) -> JNode:
        if depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels")
        at = self.at
        token = self.tokens[at]
        if token == "{":
            return self.object(depth)
        if token == "[":
            return self.array(depth)
        end = self.ends[at]
        start = end - len(token)
        first = token[:1]
        if first == '"' and len(token) > 1:
            self.at = at + 1
            return JScalar(_string(token, start), start, end)
        if first in _NUMBER_STARTS and token != "-":
            self.at = at + 1
            number = float(token) if "." in token or "e" in token or "E" in token else int(token)
            return JScalar(number, start, end)
        if token in _WORDS:
            self.at = at + 1
            return JScalar(_WORDS[token], start, end)
        raise self.unexpected("expected a value")

    def array(self, depth: int) -> JArray:
        tokens = self.tokens
        start = self.start(self.at)
        self.at += 1
        items: list[JNode] = []
        while tokens[self.at] != "]":
            items.append(self.value(depth + 1))
            token = tokens[self.at]
            if token == ",":
                self.at += 1
            elif token != "]":
                raise self.expected("',' or ']' in array")
        self.at += 1
        return JArray(tuple(items), start, self.ends[self.at - 1])

    def object(self, depth: int) -> JObject:
        tokens, ends = self.tokens, self.ends
        start = self.start(self.at)
        self.at += 1
        keys: list[JScalar] = []
        values: list[JNode] = []
        while (token := tokens[self.at]) != "}":
            if token[:1] != '"' or len(token) < 2:
                if token in ("/*", '"'):
                    raise self.unexpected("expected a property name")
                raise self.error("expected a property name in double quotes")
            end = ends[self.at]
            keys.append(JScalar(_string(token, end - len(token)), end - len(token), end))
            self.at += 1
            if tokens[self.at] != ":":
                raise self.expected("':' after property name")
            self.at += 1
            values.append(self.value(depth + 1))
            token = tokens[self.at]
            if token == ",":
                self.at += 1
            elif token != "}":
                raise self.expected("',' or '}' in object")
        self.at += 1
        return JObject(tuple(keys), tuple(values), start, ends[self.at - 1])


def _string(token: str, start: int) -> str:
    """The text of a string token (quotes included in ``token``)."""
    if "\\" not in token:
        return token[1:-1]
    try:
        text: str = json.loads(token, strict=False)
    except ValueError:
        raise JsonSyntaxError(start, "invalid escape sequence in string") from None
    return text


class Positions:
    """Turns offsets into 1-based line and column numbers (columns count characters)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1
