"""TLS modes for STARTTLS (NUT's docs/net-protocol.txt, "STARTTLS")."""

from enum import StrEnum


class TLSMode(StrEnum):
    """How the client uses STARTTLS.

    OFF: plain text. TRY: STARTTLS, falling back to plain text when upsd answers
    FEATURE-NOT-CONFIGURED or FEATURE-NOT-SUPPORTED. REQUIRE: STARTTLS with a verified
    certificate, or fail with NUTTLSError.
    """

    OFF = "off"
    TRY = "try"
    REQUIRE = "require"
