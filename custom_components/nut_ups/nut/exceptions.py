"""The one error hierarchy of the NUT client: nothing else escapes its public API.

``ERR <CODE> [extra]`` replies are mapped by their first token, as listed in NUT's
docs/net-protocol.txt ("Error responses"); codes not listed there become a plain
:class:`NUTResponseError`, never a crash.
"""


class NUTError(Exception):
    """Base class of every error the client raises."""


class NUTConnectionError(NUTError):
    """The TCP connection failed: refused, unreachable, reset, or closed by the server early."""


class NUTTLSError(NUTConnectionError):
    """STARTTLS was required but refused by upsd, or the TLS handshake / certificate check failed."""


class NUTTimeoutError(NUTError):
    """An operation (connect, send and the complete reply) did not finish within its deadline."""


class NUTOutcomeUnknownError(NUTTimeoutError):
    """upsd accepted a SET VAR or INSTCMD, but its outcome did not arrive in time.

    The command was sent once and may still take effect: never retry it blindly.
    """


def timeout_error(where: str, timeout: float) -> NUTTimeoutError:
    """Return the error for an operation with ``where`` (``host:port``) that ran past ``timeout`` s."""
    return NUTTimeoutError(f"no complete reply from {where} within {timeout} s")


class NUTProtocolError(NUTError):
    """The server sent something that is not a NUT reply: malformed, oversized or unterminated."""


class NUTInvalidArgumentError(NUTError, ValueError):
    """An argument the client refuses to send (CR, LF, NUL, non-ASCII, empty or over-long).

    upsd silently drops control and non-ASCII bytes, so sending them would change the request.
    """


class NUTResponseError(NUTError):
    """upsd answered ``ERR <code> [detail]``.

    Attributes:
        code: the error code, e.g. ``"VAR-NOT-SUPPORTED"``.
        detail: the rest of the line, often empty.

    """

    def __init__(self, code: str, detail: str = "") -> None:
        """Build the error from the code and the optional detail text of an ``ERR`` line."""
        self.code = code
        self.detail = detail
        super().__init__(f"{code} {detail}".rstrip())


class NUTAuthError(NUTResponseError):
    """ACCESS-DENIED, USERNAME-REQUIRED, PASSWORD-REQUIRED (or the legacy INVALID-* codes).

    upsd also answers ACCESS-DENIED to a valid user who lacks the right for SET/INSTCMD.
    """


class NUTUnknownUPSError(NUTResponseError):
    """UNKNOWN-UPS: upsd has no UPS of that name."""


class NUTDataUnavailableError(NUTResponseError):
    """DATA-STALE or DRIVER-NOT-CONNECTED: the driver is silent; usually transient."""


_BY_CODE: dict[str, type[NUTResponseError]] = {
    "ACCESS-DENIED": NUTAuthError,
    "USERNAME-REQUIRED": NUTAuthError,
    "PASSWORD-REQUIRED": NUTAuthError,
    "INVALID-PASSWORD": NUTAuthError,
    "INVALID-USERNAME": NUTAuthError,
    "UNKNOWN-UPS": NUTUnknownUPSError,
    "DATA-STALE": NUTDataUnavailableError,
    "DRIVER-NOT-CONNECTED": NUTDataUnavailableError,
}


def response_error(code: str, detail: str = "") -> NUTResponseError:
    """Return the most specific :class:`NUTResponseError` subclass instance for an ERR code."""
    return _BY_CODE.get(code.upper(), NUTResponseError)(code, detail)
