"""The settings of one upsd server: address, credentials, deadline and TLS, validated once."""

from dataclasses import dataclass, field
import socket
import ssl

from .channel import ip_family
from .exceptions import NUTInvalidArgumentError
from .tls import TLSMode

DEFAULT_PORT = 3493
"""upsd's registered TCP port (IANA "nut", docs/net-protocol.txt)."""
DEFAULT_TIMEOUT = 5.0
"""Seconds one operation may take as a whole: connect, send and the complete reply."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where upsd is and how to talk to it; owned by a :class:`~.client.NUTClient`.

    Connections read these and never the client, so the package's imports run one way
    (client → connection → channel). ``repr`` leaves the credentials and the SSL context out.

    Attributes:
        host: host name or IP address of upsd.
        port: TCP port, 3493 by default.
        username, password: NUT credentials from upsd.users, or None; only SET VAR and INSTCMD
            need them.
        timeout: seconds one operation may take as a whole (connect, send, complete reply).
        tls: STARTTLS mode.
        ssl_context: context for STARTTLS, or None for ``ssl.create_default_context()``.
        family: the address family when ``host`` is an IP literal (no resolver call), else None.

    Raises:
        NUTInvalidArgumentError: a port outside 1 to 65535 or a timeout that is not positive.
    """

    host: str
    port: int = DEFAULT_PORT
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    tls: TLSMode = TLSMode.OFF
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    family: socket.AddressFamily | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the port and the timeout; note the address family of an IP literal."""
        if not 0 < self.port < 65536:
            raise NUTInvalidArgumentError(f"invalid port {self.port}")
        if not self.timeout > 0:
            raise NUTInvalidArgumentError(f"timeout must be positive, not {self.timeout}")
        object.__setattr__(self, "family", ip_family(self.host))

    @property
    def where(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"
