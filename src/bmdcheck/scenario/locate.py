"""Find the line of every key and array element in a TOML text, for error messages.

``key_lines(text)`` maps a key path — a tuple of table keys and array indices, the same form as a
pydantic error location, e.g. ``("threats", 0, "launch")`` — to the 1-based line where that key
(or array element) starts. It is a small scanner, not a parser: it runs after ``tomllib`` has
accepted the text, so it only has to follow structure (table headers ``[a.b]``, arrays of tables
``[[a]]``, dotted and quoted keys, inline tables, arrays, strings and comments), never to reject
anything. ``line_of(lines, loc)`` returns the line of the longest known prefix of ``loc``.
``parse_toml(text, display)`` parses with ``tomllib`` and turns a syntax error into one line that
names the file and line.
"""

from __future__ import annotations

import re
import tomllib

from ..errors import BmdcheckError

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.line = 1
        self.out: dict[tuple, int] = {}
        self.aot: dict[tuple, int] = {}  # array-of-tables path (indices resolved) -> element count

    # -- low level ------------------------------------------------------------------------------
    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def startswith(self, t: str) -> bool:
        return self.s.startswith(t, self.i)

    def adv(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    def skip_ws(self, newlines: bool = False) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.adv()
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.adv()
            else:
                break

    def record(self, path: tuple, start: int = 0) -> None:
        """Record ``path`` and its prefixes longer than ``start`` (dotted keys, headers)."""
        for n in range(max(start, 1), len(path) + 1):
            self.out.setdefault(path[:n], self.line)

    # -- tokens ---------------------------------------------------------------------------------
    def string(self) -> str:
        for q in ('"""', "'''"):
            if self.startswith(q):
                self.adv(3)
                start = self.i
                while self.i < len(self.s) and not self.startswith(q):
                    self.adv(2 if (q == '"""' and self.peek() == "\\") else 1)
                val = self.s[start:self.i]
                self.adv(3)
                while self.peek() == q[0]:  # up to two quotes may close the string's content
                    self.adv()
                return val
        q = self.peek()
        self.adv()
        start = self.i
        while self.i < len(self.s) and self.peek() != q and self.peek() != "\n":
            self.adv(2 if (q == '"' and self.peek() == "\\") else 1)
        val = self.s[start:self.i]
        self.adv()
        return val

    def key(self) -> tuple:
        parts = []
        while True:
            self.skip_ws()
            c = self.peek()
            if c in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.i
                while self.peek() in _BARE and self.peek():
                    self.adv()
                parts.append(self.s[start:self.i])
            self.skip_ws()
            if self.peek() == ".":
                self.adv()
                continue
            return tuple(parts)

    def value(self, path: tuple) -> None:
        self.skip_ws()
        c = self.peek()
        if c in ('"', "'"):
            self.string()
        elif c == "[":
            self.adv()
            idx = 0
            while True:
                self.skip_ws(newlines=True)
                if self.peek() in ("]", ""):
                    self.adv()
                    return
                self.record(path + (idx,), len(path))
                self.value(path + (idx,))
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.adv()
                    idx += 1
        elif c == "{":
            self.adv()
            while True:
                self.skip_ws()
                if self.peek() in ("}", ""):
                    self.adv()
                    return
                k = self.key()
                self.record(path + k, len(path))
                if self.peek() == "=":
                    self.adv()
                self.value(path + k)
                self.skip_ws()
                if self.peek() == ",":
                    self.adv()
        else:
            while self.peek() and self.peek() not in ",]}\n#":
                self.adv()

    def resolve(self, keys: tuple, new_element: bool) -> tuple:
        """Header keys -> full path, inserting the current index of each array of tables."""
        path: tuple = ()
        for n, k in enumerate(keys):
            path = path + (k,)
            last = n == len(keys) - 1
            if last and new_element:
                count = self.aot.get(path, 0)
                self.aot[path] = count + 1
                self.record(path)
                path = path + (count,)
            elif path in self.aot:
                path = path + (self.aot[path] - 1,)
        return path

    # -- document -------------------------------------------------------------------------------
    def run(self) -> dict[tuple, int]:
        table: tuple = ()
        while True:
            self.skip_ws(newlines=True)
            if self.i >= len(self.s):
                return self.out
            if self.startswith("[["):
                self.adv(2)
                keys = self.key()
                self.adv(2)
                table = self.resolve(keys, new_element=True)
                self.record(table)
            elif self.peek() == "[":
                self.adv()
                keys = self.key()
                self.adv()
                table = self.resolve(keys, new_element=False)
                self.record(table)
            else:
                k = self.key()
                self.record(table + k, len(table))
                if self.peek() == "=":
                    self.adv()
                    self.value(table + k)
                else:  # not TOML after all: step past the line
                    while self.peek() and self.peek() != "\n":
                        self.adv()


def key_lines(text: str) -> dict[tuple, int]:
    """Map each key path in the TOML ``text`` to its 1-based line (see module docstring)."""
    try:
        return _Scanner(text).run()
    except Exception:  # a locator must never hide the real error
        return {}


def line_of(lines: dict[tuple, int], loc: tuple) -> int:
    """The line of ``loc`` or of its longest known prefix; 1 when nothing matches."""
    loc = tuple(loc)
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return 1


def parse_toml(text: str, display: str, where: str = "") -> dict:
    """Parse TOML text; a syntax error becomes one BmdcheckError line ``FILE:LINE: invalid TOML: ...``.

    ``where`` is appended to the message (e.g. " (included from a.toml:3)").
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise BmdcheckError(f"{display}: invalid TOML: arrays or tables nested too deeply for the parser; expected at "
                            f"most {MAX_DEPTH} levels{where}") from None
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", msg)
        line = int(m.group(1)) if m else max(1, text.count("\n"))
        msg = msg[:m.start()] if m else re.sub(r"\s*\(at end of document\)\s*$", "", msg)
        raise BmdcheckError(f"{display}:{line}: invalid TOML: {msg}; expected TOML key = value lines and "
                            f"[table] headers{where}".replace("\n", " ")) from None
    deep = _too_deep(data)
    if deep is not None:
        line = line_of(key_lines(text), deep[:1]) if deep else 1
        raise BmdcheckError(f"{display}:{line}: {deep[0] if deep else 'document'}: arrays or tables nested more than "
                            f"{MAX_DEPTH} levels deep; expected a scenario or rules file{where}")
    return data


MAX_INPUT_BYTES = 16 * 2**20
"""Scenario and rules files larger than this are refused unread (the shipped ones are < 20 kB)."""
MAX_DEPTH = 64
"""Arrays and tables nested deeper than this are refused (no scenario or rules file needs more than 5)."""


def _too_deep(data):
    """The key path (first key only) of a value nested deeper than MAX_DEPTH, else None (iterative walk)."""
    stack = [(data, 0, ())]
    while stack:
        v, d, top = stack.pop()
        if d > MAX_DEPTH:
            return top
        if isinstance(v, dict):
            stack.extend((x, d + 1, top or (k,)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, d + 1, top) for x in v)
    return None


def read_input_text(p, display: str, what: str) -> str:
    """The text of a scenario or rules file ``p``: a regular file of at most MAX_INPUT_BYTES, UTF-8;
    else one BmdcheckError line ``DISPLAY: cannot read the WHAT file (reason); expected a UTF-8 TOML
    file``. A directory, FIFO or device (/dev/zero) is never read."""
    from pathlib import Path

    p = Path(p)
    try:
        if not p.is_file():
            raise IsADirectoryError(21, "not a regular file") if p.is_dir() else OSError(0, "not a regular file")
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise OSError(27, f"larger than {MAX_INPUT_BYTES // 2**20} MiB")
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise BmdcheckError(f"{display}: cannot read the {what} file ({reason}); expected a UTF-8 TOML file") from None
