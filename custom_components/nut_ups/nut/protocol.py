r"""Wire format of the NUT network protocol: quoting requests and splitting reply lines.

Facts from NUT's docs/net-protocol.txt and common/parseconf.c, checked against upsd 2.8.0/2.8.5:
requests and replies are LF-terminated text lines; words are separated by spaces; a double-quoted
word may hold spaces; inside quotes ``\\``, ``"`` and ``#`` are escaped with a backslash. upsd caps a
reply line at :data:`MAX_LINE` bytes and then drops its LF, gluing the next line onto it.
"""

from collections.abc import Iterable

from .exceptions import NUTInvalidArgumentError, NUTProtocolError

MAX_LINE = 512
"""upsd's reply buffer (NUT_NET_ANSWER_MAX): longer replies are cut to this many bytes, LF lost."""

MAX_ARGUMENT = 255
"""Longest argument the client sends; NUT values are at most 255 characters."""

_ESCAPED = str.maketrans({"\\": "\\\\", '"': '\\"', "#": "\\#"})


def quote(arg: str) -> str:
    r"""Return ``arg`` as one double-quoted NUT word, with ``\\``, ``"`` and ``#`` escaped.

    Args:
        arg: printable ASCII text, 1 to :data:`MAX_ARGUMENT` characters (empty allowed for values).

    Raises:
        NUTInvalidArgumentError: on CR, LF, NUL, other control or non-ASCII characters, or
            length over :data:`MAX_ARGUMENT` — upsd would silently drop or cut them.

    """
    if len(arg) > MAX_ARGUMENT:
        raise NUTInvalidArgumentError(f"argument longer than {MAX_ARGUMENT} characters")
    if not (arg.isascii() and arg.isprintable()):
        # The argument may be a password: say what is wrong with it, never what it is.
        raise NUTInvalidArgumentError("argument holds control or non-ASCII characters")
    return '"' + arg.translate(_ESCAPED) + '"'


def encode_request(keywords: str, args: Iterable[str]) -> bytes:
    """Encode one request line: ``keywords`` as given, every argument quoted, LF at the end.

    Raises:
        NUTInvalidArgumentError: see :func:`quote`.

    """
    line = " ".join([keywords, *map(quote, args)]) + "\n"
    return line.encode("ascii")


def decode_line(raw: bytes) -> str:
    """Decode one reply line: UTF-8, or Latin-1 when it is not valid UTF-8 (never raises)."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def split_words(text: str, *, lenient: bool = False) -> list[str]:
    """Split a reply line into words, unquoting and unescaping as upsd's parser does.

    Args:
        text: one line without its LF.
        lenient: accept an unterminated quote at the end (a line cut at :data:`MAX_LINE`).

    Returns:
        The words; a quoted word may be empty or hold spaces.

    Raises:
        NUTProtocolError: an unterminated quote or a trailing backslash (unless ``lenient``).

    """
    if "\\" not in text:
        # Fast path: no escapes. At most one quoted word, at the end (VAR/UPS/ENUM lines).
        first = text.find('"')
        if first < 0:
            return text.split()
        if first > 0 and text[first - 1] == " " and text.endswith('"') and text.count('"') == 2:
            words = text[:first].split()
            words.append(text[first + 1 : -1])
            return words
    return _split_slow(text, lenient)


def split_item(raw: bytes, words: int) -> list[str]:
    """Decode and split one list item line expected to hold ``words`` words.

    Same result as ``split_words(decode_line(raw), lenient=<cut>)``, faster for the common
    ``VAR <ups> <var> "<value>"`` shape (no escapes, one quoted word at the end). A line of
    :data:`MAX_LINE` bytes may have been cut by upsd and is split leniently.

    Raises:
        NUTProtocolError: as :func:`split_words`.
    """
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if len(raw) >= MAX_LINE:
        return split_words(text, lenient=True)
    if text.count('"') == 2 and "\\" not in text:
        parts = text.split(" ", words - 1)
        last = parts[-1]
        if len(parts) == words and len(last) > 1 and last[0] == '"' and last[-1] == '"':
            parts[-1] = last[1:-1]
            return parts
    return split_words(text)


def _split_slow(text: str, lenient: bool) -> list[str]:
    words: list[str] = []
    word: list[str] = []
    in_word = in_quotes = False
    chars = iter(text)
    for char in chars:
        if char == "\\":
            nxt = next(chars, None)
            if nxt is None:
                if lenient:
                    break
                raise NUTProtocolError(f"trailing backslash in reply {text[:80]!r}")
            word.append(nxt)
            in_word = True
        elif char == '"':
            if in_quotes:
                in_quotes = False
            else:
                in_quotes = in_word = True
        elif char in " \t" and not in_quotes:
            if in_word:
                words.append("".join(word))
                word.clear()
                in_word = False
        else:
            word.append(char)
            in_word = True
    if in_quotes and not lenient:
        raise NUTProtocolError(f"unterminated quote in reply {text[:80]!r}")
    if in_word:
        words.append("".join(word))
    return words
