"""NUT clients built from a config entry's data: the one place that knows how to reach upsd.

TLS: an entry's ``tls`` setting (:class:`TlsSetting`) says whether STARTTLS is used and how the
certificate is checked; ``ca_file`` optionally names the CA certificate(s) to trust. Any setting
but ``off`` makes STARTTLS required: a server that does not offer it fails, never a silent
downgrade to plain text. Building an SSL context reads certificate files, so it happens in the
executor (:func:`async_ssl_context`), once per entry setup, never on the event loop.
"""

from collections.abc import Mapping
from enum import StrEnum
import ssl
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.util.ssl import client_context_no_verify

from .const import CLIENT_TIMEOUT, CONF_CA_FILE, CONF_TLS, DOMAIN
from .nut import NUTClient, NUTInvalidArgumentError, TLSMode


class TlsSetting(StrEnum):
    """STARTTLS setting of an entry (``data["tls"]``).

    OFF: plain text, upsd's default. VERIFY: STARTTLS required, the certificate checked against
    the system's certificate authorities or the entry's ``ca_file``, and against the host name or
    address. NO_VERIFY: STARTTLS required, any certificate accepted (self-signed upsd
    certificates): the line is encrypted, but nothing proves who answers.
    """

    OFF = "off"
    VERIFY = "verify"
    NO_VERIFY = "no_verify"


def tls_setting(data: Mapping[str, Any]) -> TlsSetting:
    """Return the TLS setting of entry data or a form (``off`` when absent: older entries)."""
    return TlsSetting(data.get(CONF_TLS, TlsSetting.OFF))


def _context_key(data: Mapping[str, Any]) -> tuple[TlsSetting, str | None]:
    setting = tls_setting(data)
    return setting, (data.get(CONF_CA_FILE) or None) if setting is TlsSetting.VERIFY else None


# Verifying contexts made by async_ssl_context, by (setting, ca_file as stored), so that every
# client of an entry reuses the context its setup made (see client_for).
_PREPARED: dict[tuple[TlsSetting, str | None], ssl.SSLContext] = {}


def _verifying_context(cafile: str | None) -> ssl.SSLContext:
    """Blocking: a context that verifies certificates against ``cafile`` or the system CAs."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)


async def async_ssl_context(hass: HomeAssistant, data: Mapping[str, Any]) -> ssl.SSLContext | None:
    """Return the SSL context the TLS setting of ``data`` needs, made outside the event loop.

    Args:
        hass: Home Assistant, for its executor and its configuration folder (a relative
            ``ca_file`` is read from there).
        data: entry data or a form: ``tls`` and optional ``ca_file``.

    Returns:
        None for ``off``; Home Assistant's shared non-verifying context for ``no_verify``; for
        ``verify`` a new context trusting the system CAs, or only those of ``ca_file``. The file
        is read again at every call (each entry setup), so a replaced CA file takes effect on
        reload. The context is remembered for :func:`client_for`.

    Raises:
        ConfigEntryError: ``ca_file_unreadable``: the CA file is missing, unreadable or holds no
            PEM certificate (placeholders ``path`` and ``error``).
    """
    key = _context_key(data)
    setting, ca_file = key
    if setting is TlsSetting.OFF:
        return None
    if setting is TlsSetting.NO_VERIFY:
        return client_context_no_verify()
    path = hass.config.path(ca_file) if ca_file else None
    try:
        context = await hass.async_add_executor_job(_verifying_context, path)
    except (OSError, ssl.SSLError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="ca_file_unreadable",
            translation_placeholders={"path": str(path), "error": reason},
        ) from err
    _PREPARED[key] = context
    return context


def client_for(
    data: Mapping[str, Any],
    *,
    credentials: bool,
    timeout: float = CLIENT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> NUTClient:
    """Return a client for the upsd that ``data`` (a config entry's data or a form) names.

    Args:
        data: ``host``, ``port``, optional ``username``/``password``, optional ``tls`` and
            ``ca_file``.
        credentials: send the username and password (commands, settings, the flow's check);
            polling passes False and stays anonymous.
        timeout: seconds one operation may take as a whole.
        ssl_context: the context from :func:`async_ssl_context` for ``data``; when omitted
            with TLS on, the one the last :func:`async_ssl_context` call for the same setting
            made (the entry's setup makes it before any client).

    Raises:
        NUTInvalidArgumentError: TLS is on and no context was made for it yet (a programming
            error: await :func:`async_ssl_context` first).
    """
    setting = tls_setting(data)
    if setting is not TlsSetting.OFF and ssl_context is None:
        if setting is TlsSetting.NO_VERIFY:
            ssl_context = client_context_no_verify()
        elif (ssl_context := _PREPARED.get(_context_key(data))) is None:
            raise NUTInvalidArgumentError("no SSL context made yet: await async_ssl_context")
    return NUTClient(
        data[CONF_HOST],
        int(data[CONF_PORT]),
        username=(data.get(CONF_USERNAME) or None) if credentials else None,
        password=(data.get(CONF_PASSWORD) or None) if credentials else None,
        timeout=timeout,
        tls=TLSMode.OFF if setting is TlsSetting.OFF else TLSMode.REQUIRE,
        ssl_context=ssl_context if setting is not TlsSetting.OFF else None,
    )
