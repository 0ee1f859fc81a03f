"""Wire-format helpers: quoting, splitting, decoding; property tests with hypothesis."""

from __future__ import annotations

import contextlib

from hypothesis import given, strategies as st
import pytest

from custom_components.nut_ups.nut import NUTInvalidArgumentError, NUTProtocolError
from custom_components.nut_ups.nut.exceptions import (
    NUTAuthError,
    NUTDataUnavailableError,
    NUTResponseError,
    NUTUnknownUPSError,
    response_error,
)
from custom_components.nut_ups.nut.lines import LineBuffer
from custom_components.nut_ups.nut.protocol import (
    MAX_LINE,
    decode_line,
    encode_request,
    quote,
    split_item,
    split_words,
)

printable_ascii = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=255
)


def test_quote_escapes() -> None:
    assert quote('a "b" \\ #c') == '"a \\"b\\" \\\\ \\#c"'
    assert encode_request("GET VAR", ["ups", "x y"]) == b'GET VAR "ups" "x y"\n'
    assert quote("") == '""'


@pytest.mark.parametrize("bad", ["\n", "\r", "\0", "\t", "\x7f", "é", "x" * 256])
def test_quote_refuses(bad: str) -> None:
    with pytest.raises(NUTInvalidArgumentError):
        quote(bad)


@given(printable_ascii)
def test_round_trip(value: str) -> None:
    assert split_words(f"VAR ups v {quote(value)}") == ["VAR", "ups", "v", value]


@given(printable_ascii, st.sampled_from(["", " ", "x y"]))
def test_split_item_matches_split_words(value: str, extra: str) -> None:
    for line in (f"VAR ups v {quote(value)}", f"VAR ups v{extra} {quote(value)}", extra + value):
        try:
            expected: list[str] | type[Exception] = split_words(line)
        except NUTProtocolError:
            expected = NUTProtocolError
        if expected is NUTProtocolError:
            with pytest.raises(NUTProtocolError):
                split_item(line.encode(), 4)
        else:
            assert split_item(line.encode(), 4) == expected


@given(st.lists(printable_ascii, min_size=1, max_size=4))
def test_round_trip_many_words(values: list[str]) -> None:
    assert split_words(" ".join(map(quote, values))) == values


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('VAR ups x "a b"', ["VAR", "ups", "x", "a b"]),
        ('RANGE ups v "1" "9"', ["RANGE", "ups", "v", "1", "9"]),
        ("NUMLOGINS ups 2", ["NUMLOGINS", "ups", "2"]),
        ('VAR ups x ""', ["VAR", "ups", "x", ""]),
        ('VAR ups x"y"', ["VAR", "ups", "xy"]),
        ("a\\ b c", ["a b", "c"]),
        ("  ", []),
    ],
)
def test_split_words(line: str, words: list[str]) -> None:
    assert split_words(line) == words


def test_split_words_errors_and_lenient() -> None:
    with pytest.raises(NUTProtocolError, match="unterminated"):
        split_words('VAR ups x "abc')
    with pytest.raises(NUTProtocolError, match="backslash"):
        split_words('VAR ups x "abc\\')
    assert split_words('VAR ups x "abc', lenient=True) == ["VAR", "ups", "x", "abc"]
    assert split_words('VAR ups x "ab\\', lenient=True) == ["VAR", "ups", "x", "ab"]


@given(st.text(max_size=600))
def test_split_words_raises_only_protocol_errors(text: str) -> None:
    with contextlib.suppress(NUTProtocolError):
        split_words(text)


def test_decode_line() -> None:
    assert decode_line(b"caf\xc3\xa9") == "café"
    assert decode_line(b"25\xb0C") == "25°C"


@given(st.binary(max_size=3000))
def test_line_stream_on_arbitrary_bytes(data: bytes) -> None:
    """Any byte stream is cut into lines of at most MAX_LINE bytes that decode and split safely."""
    buffer = LineBuffer()
    for start in range(0, len(data), 700):  # arrival in chunks must not matter
        buffer.feed(data[start : start + 700])
    buffer.feed(b"\n")  # flush what is still incomplete
    lines = buffer.take_lines()
    for line in lines:
        assert len(line) <= MAX_LINE
        # Anything but a NUTProtocolError escapes and fails the test.
        with contextlib.suppress(NUTProtocolError):
            split_item(line, 4)
    # Nothing is lost or reordered.
    assert b"".join(lines) == data.replace(b"\n", b"")
    assert buffer.next_line() is None


def test_line_buffer_glued_line() -> None:
    buffer = LineBuffer()
    cut = b'UPS long "' + b"d" * (MAX_LINE - 10)
    buffer.feed(b"BEGIN LIST UPS\n" + cut[:300])
    assert buffer.take_lines() == [b"BEGIN LIST UPS"]
    buffer.feed(cut[300:] + b"END LIST UPS\nOK Goodbye\n")
    assert buffer.next_line() == cut
    assert split_item(cut, 3) == ["UPS", "long", "d" * (MAX_LINE - 10)]
    lines = buffer.take_lines()
    assert lines == [b"END LIST UPS", b"OK Goodbye"]
    buffer.unread(lines[1:])
    assert buffer.next_line() == b"OK Goodbye"
    assert buffer.next_line() is None


def test_response_error_mapping() -> None:
    assert isinstance(response_error("ACCESS-DENIED"), NUTAuthError)
    assert isinstance(response_error("password-required"), NUTAuthError)
    assert isinstance(response_error("UNKNOWN-UPS"), NUTUnknownUPSError)
    assert isinstance(response_error("DATA-STALE"), NUTDataUnavailableError)
    assert isinstance(response_error("DRIVER-NOT-CONNECTED"), NUTDataUnavailableError)
    err = response_error("NEW-CODE", "x")
    assert type(err) is NUTResponseError and str(err) == "NEW-CODE x"
