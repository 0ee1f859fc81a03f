"""Cutting upsd's byte stream into reply lines (NUT's docs/net-protocol.txt: LF-terminated)."""

from collections import deque

from .protocol import MAX_LINE


class LineBuffer:
    """Splits received bytes into reply lines, a whole chunk at a time.

    upsd cuts a reply longer than :data:`~.protocol.MAX_LINE` bytes and drops its LF, gluing the
    next line onto it. Any run of more than ``MAX_LINE`` bytes without LF is therefore split into
    ``MAX_LINE``-byte pieces: the first is the cut line, the rest is what followed it. A line of
    exactly ``MAX_LINE`` bytes may have been cut (:func:`~.protocol.split_item` knows). Memory stays bounded by what
    the caller has not consumed, however long a line a misbehaving server sends.
    """

    __slots__ = ("_partial", "_ready")

    def __init__(self) -> None:
        """Start empty."""
        self._partial = b""
        self._ready: deque[bytes] = deque()

    def feed(self, data: bytes) -> None:
        """Add received bytes; complete lines become available."""
        lines = (self._partial + data).split(b"\n")
        partial = lines.pop()
        if len(partial) > MAX_LINE or (lines and max(map(len, lines)) > MAX_LINE):
            lines = [piece for line in lines for piece in _pieces(line)]
            *cut, partial = _pieces(partial)
            lines += cut
        self._partial = partial
        self._ready.extend(lines)

    def next_line(self) -> bytes | None:
        """Return the next complete line without its LF, or None if there is none yet."""
        return self._ready.popleft() if self._ready else None

    def take_lines(self) -> list[bytes]:
        """Return every complete line available now (possibly none), in order."""
        lines = list(self._ready)
        self._ready.clear()
        return lines

    def unread(self, lines: list[bytes]) -> None:
        """Put lines taken by :meth:`take_lines` but not used back in front, in order."""
        self._ready.extendleft(reversed(lines))


def _pieces(run: bytes) -> list[bytes]:
    """Split a run without LF into MAX_LINE-byte pieces; the last may be shorter or empty."""
    pieces = [run[i : i + MAX_LINE] for i in range(0, len(run) - MAX_LINE, MAX_LINE)]
    pieces.append(run[len(pieces) * MAX_LINE :])
    return pieces
