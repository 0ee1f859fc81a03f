"""Config flow: host, port, UPS and credentials, checked against upsd before anything is created.

Validation, one path for every step: credentials and a typed UPS name must be text NUT's protocol
can carry (printable ASCII); a TCP connect plus ``LIST UPS`` within the client timeout; the UPS
must be on the server's list; given credentials are checked with the side-effect-free SET probe
(``NUTConnection.check_credentials``). An unexpected error shows ``unknown``, never a 500.

TLS: the user step, reconfigure, the discovery confirmation and the options offer STARTTLS in a
collapsed ``encryption`` section (:class:`~.connect.TlsSetting`). Any setting but ``off`` makes
STARTTLS required: a server that does not offer it is the ``tls_not_offered`` error, never a
silent downgrade.

Discovery (zeroconf ``_nut._tcp.local.``, which NUT's Avahi service file announces with the host
name as instance name and no TXT records): one flow per server, whose unique ID is
``<mDNS host name>:<port>`` (ignoring it ignores the server). The confirmation lists the server's
UPSes not added yet. Entries remember the mDNS host name their server was announced from
(``zeroconf_hostname``); when the same host name and port are announced from a new address, an
entry whose host is an IP address gets the new one in place (unique ID and default title
follow) and reloads: the *discovery-update-info* rule, without duplicates.
"""

from collections.abc import Awaitable, Mapping
import ipaddress
import logging
import ssl
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow, section
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio

from .battery import DEFAULT_BATTERY_AGE_YEARS
from .battery_health import DEFAULT_PEUKERT, DEFAULT_THRESHOLD
from .connect import TlsSetting, async_ssl_context, client_for, tls_setting
from .const import (
    CLIENT_TIMEOUT,
    CONF_BATTERY_AGE,
    CONF_CA_FILE,
    CONF_ENCRYPTION,
    CONF_HEALTH_THRESHOLD,
    CONF_PEUKERT,
    CONF_SCAN_INTERVAL,
    CONF_SELF_TEST_DAYS,
    CONF_SELF_TEST_OVERDUE,
    CONF_SELF_TEST_TIME,
    CONF_STATUS_INTERVAL,
    CONF_TLS,
    CONF_UPS,
    CONF_ZEROCONF_HOSTNAME,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SELF_TEST_TIME,
    DEFAULT_STATUS_INTERVAL,
    DOMAIN,
)
from .nut import (
    NUTAuthError,
    NUTClient,
    NUTError,
    NUTProtocolError,
    NUTResponseError,
    NUTTimeoutError,
    NUTTLSError,
    NUTUnknownUPSError,
)

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TLS = SelectSelector(
    SelectSelectorConfig(
        options=[setting.value for setting in TlsSetting],
        translation_key=CONF_TLS,
        mode=SelectSelectorMode.LIST,
    )
)


class FlowError(Exception):
    """A validation failure: ``error`` is a translation key of config.error.

    Placeholders never hold a credential: they are shown in the form.
    """

    def __init__(self, key: str, field: str = "base", **placeholders: str) -> None:
        """Remember the error key, the form field it belongs to and its placeholders."""
        super().__init__(key)
        self.error = key
        self.field = field
        self.placeholders = placeholders


def protocol_text(text: str) -> bool:
    """Whether NUT's protocol can carry ``text`` as one word: 1 to 255 printable ASCII characters.

    Spaces, quotes, backslashes and ``#`` are fine: the client quotes and escapes every argument
    (docs/net-protocol.txt); control and non-ASCII characters are not (upsd drops them).
    """
    return 0 < len(text) <= 255 and text.isascii() and text.isprintable()


def check_credential_text(data: Mapping[str, Any]) -> None:
    """Refuse a username or password NUT's protocol cannot carry, before anything is sent.

    Raises:
        FlowError: ``invalid_credential_text`` on the offending field (the value is never shown).
    """
    for field in (CONF_USERNAME, CONF_PASSWORD):
        value = data.get(field)
        if value is not None and not protocol_text(value):
            raise FlowError("invalid_credential_text", field)


def _client(data: Mapping[str, Any], ssl_context: ssl.SSLContext | None) -> NUTClient:
    return client_for(data, credentials=True, timeout=CLIENT_TIMEOUT, ssl_context=ssl_context)


def _tls_error(err: NUTTLSError) -> FlowError:
    """Tell a server without STARTTLS from a certificate that fails the check."""
    cause = err.__cause__
    if isinstance(cause, NUTResponseError):  # ERR FEATURE-NOT-CONFIGURED and the like
        return FlowError("tls_not_offered")
    if isinstance(cause, ssl.SSLCertVerificationError):
        return FlowError("tls_untrusted", error=cause.verify_message or str(cause))
    return FlowError("tls_failed", error=str(err))


def _flow_error(err: NUTError) -> FlowError:
    """Translate a client error into the form's error (messages hold no credentials)."""
    if isinstance(err, NUTTLSError):
        return _tls_error(err)
    if isinstance(err, NUTTimeoutError):
        return FlowError("timeout")
    if isinstance(err, NUTProtocolError):
        return FlowError("invalid_response")
    if isinstance(err, NUTAuthError):
        return FlowError("invalid_auth")
    if isinstance(err, NUTUnknownUPSError):
        return FlowError("ups_gone")
    return FlowError("cannot_connect", error=str(err))


async def flow_ssl_context(hass: HomeAssistant, data: Mapping[str, Any]) -> ssl.SSLContext | None:
    """Return the SSL context the TLS setting of the form ``data`` needs (None: TLS off).

    Raises:
        FlowError: invalid_ca_file (the CA file is missing, unreadable or holds no certificate).
    """
    try:
        return await async_ssl_context(hass, data)
    except ConfigEntryError as err:
        reason = (err.translation_placeholders or {}).get("error", "")
        raise FlowError("invalid_ca_file", error=reason) from err


async def fetch_ups_list(
    data: Mapping[str, Any], ssl_context: ssl.SSLContext | None = None
) -> dict[str, str]:
    """Connect (with STARTTLS when ``data`` asks for it) and ``LIST UPS``: ``{name: description}``.

    Args:
        data: host, port, credentials and TLS setting.
        ssl_context: from :func:`flow_ssl_context` for ``data``; None when TLS is off.

    Raises:
        FlowError: cannot_connect, timeout, invalid_response, invalid_auth, tls_not_offered,
            tls_untrusted or tls_failed.
    """
    try:
        return await _client(data, ssl_context).list_ups()
    except NUTError as err:
        raise _flow_error(err) from err


async def verify_credentials(
    data: Mapping[str, Any], ups: str, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Check the username and password of ``data`` for ``ups``, if any were given.

    Raises:
        FlowError: invalid_auth, ups_gone, cannot_connect, timeout, invalid_response or a TLS
            error (as :func:`fetch_ups_list`).
    """
    if not (data.get(CONF_USERNAME) or data.get(CONF_PASSWORD)):
        return
    try:
        await _client(data, ssl_context).check_credentials(ups)
    except NUTError as err:
        raise _flow_error(err) from err


def match_ups(name: str, ups_list: Mapping[str, str]) -> str:
    """Return the server's spelling of ``name`` (UPS names are case-insensitive).

    Raises:
        FlowError: invalid_ups_name, or unknown_ups listing the names the server has.
    """
    if not protocol_text(name):
        raise FlowError("invalid_ups_name", CONF_UPS)
    for known in ups_list:
        if known.lower() == name.lower():
            return known
    raise FlowError("unknown_ups", CONF_UPS, available=", ".join(ups_list) or "—")


def entry_unique_id(data: Mapping[str, Any], ups: str) -> str:
    """Return the config entry's unique ID: ``<host>:<port>/<ups>``, lower case."""
    return f"{data[CONF_HOST]}:{int(data[CONF_PORT])}/{ups}".lower()


def tls_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """Return the entry data for the TLS setting of a form (flat: ``tls``, ``ca_file``).

    Nothing for ``off`` (the default); else ``tls`` and, for ``verify`` only, a non-empty
    ``ca_file``.
    """
    setting = tls_setting(values)
    if setting is TlsSetting.OFF:
        return {}
    fields = {CONF_TLS: setting.value}
    ca_file = str(values.get(CONF_CA_FILE) or "").strip()
    if setting is TlsSetting.VERIFY and ca_file:
        fields[CONF_CA_FILE] = ca_file
    return fields


def encryption_section(defaults: Mapping[str, Any]) -> section:
    """Return the form section for STARTTLS, collapsed while TLS is off in ``defaults``."""
    setting = tls_setting(defaults)
    return section(
        probatio.Schema(
            {
                probatio.Required(CONF_TLS, default=setting.value): _TLS,
                probatio.Optional(
                    CONF_CA_FILE, description={"suggested_value": defaults.get(CONF_CA_FILE)}
                ): str,
            }
        ),
        {"collapsed": setting is TlsSetting.OFF},
    )


def connection_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    """Return the form for host, port, UPS name, credentials and TLS.

    Pre-filled from ``defaults``: flat entry data (``tls`` and ``ca_file`` at the top level).
    """
    return probatio.Schema(
        {
            probatio.Required(CONF_HOST, default=defaults.get(CONF_HOST, DEFAULT_HOST)): str,
            probatio.Required(
                CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)
            ): probatio.All(probatio.Coerce(int), probatio.Range(min=1, max=65535)),
            probatio.Optional(
                CONF_UPS, description={"suggested_value": defaults.get(CONF_UPS)}
            ): str,
            probatio.Optional(
                CONF_USERNAME, description={"suggested_value": defaults.get(CONF_USERNAME)}
            ): str,
            probatio.Optional(CONF_PASSWORD): _PASSWORD,
            probatio.Optional(CONF_ENCRYPTION, default={}): encryption_section(defaults),
        }
    )


def _ups_options(candidates: Mapping[str, str]) -> SelectSelector:
    """Return a list of UPSes to pick from: name and description."""
    options = [
        SelectOptionDict(value=name, label=f"{name} — {desc}" if desc else name)
        for name, desc in candidates.items()
    ]
    return SelectSelector(SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST))


def confirm_schema(candidates: Mapping[str, str], defaults: Mapping[str, Any]) -> probatio.Schema:
    """Return the discovery confirmation form.

    The UPS (the first of ``candidates`` preselected), optional credentials and TLS.
    """
    first = next(iter(candidates), None)
    return probatio.Schema(
        {
            probatio.Required(CONF_UPS, **({"default": first} if first else {})): _ups_options(
                candidates
            ),
            probatio.Optional(
                CONF_USERNAME, description={"suggested_value": defaults.get(CONF_USERNAME)}
            ): str,
            probatio.Optional(CONF_PASSWORD): _PASSWORD,
            probatio.Optional(CONF_ENCRYPTION, default={}): encryption_section(defaults),
        }
    )


def _address(host: str) -> str:
    """``host`` as compared with announced addresses: an IP literal normalised, a name lower."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower().rstrip(".")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class NutUpsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a UPS served by upsd: typed in, or announced over zeroconf."""

    VERSION = 1
    MINOR_VERSION = 2
    """1.2: a saved status check interval of 2 s, 1.1's default, became 0.4 s (__init__.py)."""

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._data: dict[str, Any] = {}
        self._candidates: dict[str, str] = {}
        self._ssl_context: ssl.SSLContext | None = None
        self._server_name = ""

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> NutUpsOptionsFlow:
        """Return the options flow (polling intervals and TLS)."""
        return NutUpsOptionsFlow()

    async def _async_validate(self, data: dict[str, Any], ups: str | None) -> str | None:
        """Validate like every step does: credentials' text, TLS, then LIST UPS, then the UPS.

        Args:
            data: cleaned host, port, credentials and TLS setting.
            ups: the UPS name typed (or kept), or None to choose from the server's list.

        Returns:
            The server's spelling of the UPS, or None when the user must pick one of
            ``self._candidates`` (the UPSes not added yet).

        Raises:
            FlowError: as validation fails; AbortFlow when every UPS is added already.
        """
        check_credential_text(data)
        if ups is not None and not protocol_text(ups):
            raise FlowError("invalid_ups_name", CONF_UPS)
        self._ssl_context = await flow_ssl_context(self.hass, data)
        ups_list = await fetch_ups_list(data, self._ssl_context)
        self._data = data
        if ups is not None:
            return match_ups(ups, ups_list)
        carried = {name: desc for name, desc in ups_list.items() if protocol_text(name)}
        if not ups_list:
            raise FlowError("no_ups")
        if not carried:
            raise FlowError("invalid_ups_name", CONF_UPS)
        configured = {entry.unique_id for entry in self._async_current_entries()}
        self._candidates = {
            name: desc
            for name, desc in carried.items()
            if entry_unique_id(data, name) not in configured
        }
        if not self._candidates:
            raise AbortFlow("already_configured" if len(carried) == 1 else "all_configured")
        if len(carried) == 1:
            return next(iter(carried))
        return None

    async def _async_form_errors(
        self,
        errors: dict[str, str],
        placeholders: dict[str, str],
        step: Awaitable[ConfigFlowResult],
    ) -> ConfigFlowResult | None:
        """Run ``step``; on a FlowError (or anything unexpected) fill ``errors`` and return None."""
        try:
            return await step
        except FlowError as err:
            errors[err.field] = err.error
            placeholders.update(err.placeholders)
        except AbortFlow:
            raise
        except Exception:
            _LOGGER.exception("Unexpected error while validating a connection to upsd")
            errors["base"] = "unknown"
        return None

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for host, port, UPS name, credentials and TLS; validate them against upsd."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"available": "", "error": ""}
        if user_input is not None:
            result = await self._async_form_errors(
                errors, placeholders, self._async_user_input(_form_data(user_input))
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id="user",
            data_schema=connection_schema(_form_defaults(user_input)),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_user_input(self, data: dict[str, Any]) -> ConfigFlowResult:
        ups = await self._async_validate(data, data.pop(CONF_UPS, None))
        if ups is None:
            return await self.async_step_pick_ups()
        return await self._async_finish(ups)

    async def async_step_pick_ups(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick one of the server's UPSes not added yet (name and description)."""
        errors: dict[str, str] = {}
        placeholders = {"host": self._data[CONF_HOST], "available": "", "error": ""}
        if user_input is not None:

            async def pick() -> ConfigFlowResult:
                return await self._async_finish(match_ups(user_input[CONF_UPS], self._candidates))

            result = await self._async_form_errors(errors, placeholders, pick())
            if result is not None:
                return result
        return self.async_show_form(
            step_id="pick_ups",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_UPS): _ups_options(self._candidates)}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_finish(self, ups: str) -> ConfigFlowResult:
        await self.async_set_unique_id(entry_unique_id(self._data, ups))
        self._abort_if_unique_id_configured()
        await verify_credentials(self._data, ups, self._ssl_context)
        return self.async_create_entry(
            title=f"{ups}@{self._data[CONF_HOST]}", data={**self._data, CONF_UPS: ups}
        )

    # -- discovery ----------------------------------------------------------------------------

    @override
    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """Follow an announced upsd (``_nut._tcp.local.``) if it moved; offer its new UPSes.

        Lists its UPSes and offers those not added yet in a confirmation.

        Aborts: already_configured (every UPS added, or the server ignored), already_in_progress,
        cannot_connect, no_ups.
        """
        server = discovery_info.hostname.lower().rstrip(".")
        port = discovery_info.port or DEFAULT_PORT
        addresses = {_address(address) for address in discovery_info.addresses}
        self._async_follow_server(server, port, discovery_info.host, addresses)
        await self.async_set_unique_id(f"{server}:{port}")
        self._abort_if_unique_id_configured()  # the user ignored this server
        data: dict[str, Any] = {
            CONF_HOST: discovery_info.host,
            CONF_PORT: port,
            CONF_ZEROCONF_HOSTNAME: server,
        }
        try:
            ups_list = await fetch_ups_list(data)
        except FlowError:
            return self.async_abort(reason="cannot_connect")
        carried = {name: desc for name, desc in ups_list.items() if protocol_text(name)}
        if not carried:
            return self.async_abort(reason="no_ups")
        added = self._async_added_ups(server, port, addresses)
        self._candidates = {
            name: desc for name, desc in carried.items() if name.lower() not in added
        }
        if not self._candidates:
            return self.async_abort(reason="already_configured")
        self._data = data
        self._server_name = (
            discovery_info.name.removesuffix(f".{discovery_info.type}").strip() or server
        )
        self.context["title_placeholders"] = {
            "name": self._server_name,
            "host": discovery_info.host,
        }
        return await self.async_step_zeroconf_confirm()

    def _async_server_entries(
        self, server: str, port: int, addresses: set[str]
    ) -> list[ConfigEntry]:
        """Return the entries of the announced server.

        Same port, and its mDNS host name remembered, or (none remembered) a host that is one
        of its addresses or its mDNS host name.
        """
        found = []
        for entry in self._async_current_entries(include_ignore=False):
            data = entry.data
            if CONF_HOST not in data or int(data[CONF_PORT]) != port:
                continue
            known = data.get(CONF_ZEROCONF_HOSTNAME)
            host = _address(str(data[CONF_HOST]))
            if known == server or (known is None and (host in addresses or host == server)):
                found.append(entry)
        return found

    def _async_added_ups(self, server: str, port: int, addresses: set[str]) -> set[str]:
        """Lower-case names of the announced server's UPSes that have an entry."""
        return {
            str(entry.data[CONF_UPS]).lower()
            for entry in self._async_server_entries(server, port, addresses)
        }

    @callback
    def _async_follow_server(
        self, server: str, port: int, address: str, addresses: set[str]
    ) -> None:
        """Update the entries of an announced server in place (discovery-update-info).

        An entry reached at one of the announced addresses learns the mDNS host name. An entry
        that knows the host name but has another IP address as host gets ``address`` (unique
        ID, and the title while it is the default one, follow) and reloads. A host typed as a
        name is left alone: it follows the server by itself. A stopped entry (setup retrying)
        of a server that just announced itself is reloaded.
        """
        entries = self.hass.config_entries
        reload: list[str] = []
        for entry in self._async_server_entries(server, port, addresses):
            data = entry.data
            host = str(data[CONF_HOST])
            if data.get(CONF_ZEROCONF_HOSTNAME) is None:
                entries.async_update_entry(entry, data={**data, CONF_ZEROCONF_HOSTNAME: server})
            elif _is_ip(host) and _address(host) not in addresses:
                ups = str(data[CONF_UPS])
                moved = {**data, CONF_HOST: address}
                unique_id = entry_unique_id(moved, ups)
                if entries.async_entry_for_domain_unique_id(DOMAIN, unique_id) is not None:
                    _LOGGER.debug("Not moving %s to %s: added there already", entry.title, address)
                    continue
                _LOGGER.info("upsd of %s moved from %s to %s", entry.title, host, address)
                title = f"{ups}@{address}" if entry.title == f"{ups}@{host}" else entry.title
                entries.async_update_entry(entry, data=moved, unique_id=unique_id, title=title)
                reload.append(entry.entry_id)
                continue
            if entry.state is ConfigEntryState.SETUP_RETRY:
                reload.append(entry.entry_id)
        # Only once every entry is updated: a reload may set up the integration, and with it
        # every entry of the domain.
        for entry_id in reload:
            entries.async_schedule_reload(entry_id)

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the discovered server's UPSes not added yet; add the chosen one.

        With optional credentials and TLS, checked against upsd like the user step.
        """
        errors: dict[str, str] = {}
        placeholders = {
            "name": self._server_name,
            "host": str(self._data.get(CONF_HOST, "")),
            "port": str(self._data.get(CONF_PORT, "")),
            "available": "",
            "error": "",
        }
        discovered: dict[str, Any] = {
            key: self._data[key]
            for key in (CONF_HOST, CONF_PORT, CONF_ZEROCONF_HOSTNAME)
            if key in self._data
        }
        if user_input is not None:
            data = {**_form_data(user_input), **discovered}

            async def confirm() -> ConfigFlowResult:
                ups = await self._async_validate(data, data.pop(CONF_UPS))
                assert ups is not None  # a name was given
                return await self._async_finish(ups)

            result = await self._async_form_errors(errors, placeholders, confirm())
            if result is not None:
                return result
        return self.async_show_form(
            step_id="zeroconf_confirm",
            data_schema=confirm_schema(self._candidates, _form_defaults(user_input)),
            errors=errors,
            description_placeholders=placeholders,
        )

    # -- reauth, reconfigure ------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Upsd refused our credentials when they were used: ask for new ones."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the username and password again and check them (over TLS if set)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title, "available": "", "error": ""}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            for field in (CONF_USERNAME, CONF_PASSWORD):
                if field not in user_input or not user_input[field].strip():
                    data.pop(field, None)  # left empty: monitor without credentials

            async def check() -> ConfigFlowResult:
                check_credential_text(data)
                ssl_context = await flow_ssl_context(self.hass, data)
                await verify_credentials(data, entry.data[CONF_UPS], ssl_context)
                return self.async_update_reload_and_abort(entry, data=data)

            result = await self._async_form_errors(errors, placeholders, check())
            if result is not None:
                return result
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Optional(
                        CONF_USERNAME,
                        description={"suggested_value": entry.data.get(CONF_USERNAME)},
                    ): str,
                    probatio.Optional(CONF_PASSWORD): _PASSWORD,
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change host, port, UPS, credentials or TLS; entities and their history stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"available": "", "error": ""}
        if user_input is not None:
            data = _form_data(user_input)
            same_user = data.get(CONF_USERNAME) == entry.data.get(CONF_USERNAME)
            if CONF_PASSWORD not in data and same_user and entry.data.get(CONF_PASSWORD):
                data[CONF_PASSWORD] = entry.data[CONF_PASSWORD]  # left empty: keep it
            same_place = str(data[CONF_HOST]) == str(entry.data[CONF_HOST]) and int(
                data[CONF_PORT]
            ) == int(entry.data[CONF_PORT])
            if same_place and CONF_ZEROCONF_HOSTNAME in entry.data:
                data[CONF_ZEROCONF_HOSTNAME] = entry.data[CONF_ZEROCONF_HOSTNAME]
            result = await self._async_form_errors(
                errors, placeholders, self._async_reconfigure(entry, data)
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=connection_schema(
                _form_defaults(user_input) if user_input is not None else _form_defaults(entry.data)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_reconfigure(
        self, entry: ConfigEntry, data: dict[str, Any]
    ) -> ConfigFlowResult:
        ups = await self._async_validate(data, data.pop(CONF_UPS, None) or entry.data[CONF_UPS])
        assert ups is not None  # a name was given
        new_id = entry_unique_id(data, ups)
        if any(
            other.unique_id == new_id and other.entry_id != entry.entry_id
            for other in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="already_configured")
        await verify_credentials(data, ups, self._ssl_context)
        return self.async_update_reload_and_abort(
            entry, unique_id=new_id, title=f"{ups}@{data[CONF_HOST]}", data={**data, CONF_UPS: ups}
        )


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip text fields (not the password: its spaces are part of it) and drop empty ones."""
    data: dict[str, Any] = {}
    for key, value in user_input.items():
        cleaned = value.strip() if isinstance(value, str) and key != CONF_PASSWORD else value
        if cleaned != "":
            data[key] = cleaned
    return data


def _flatten(user_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a form's input with the fields of its ``encryption`` section at the top level."""
    values = dict(user_input or {})
    inner = values.pop(CONF_ENCRYPTION, None)
    return {**values, **(inner if isinstance(inner, Mapping) else {})}


def _form_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data from a connection form: cleaned fields, and the TLS setting as stored."""
    flat = _flatten(user_input)
    data = {k: v for k, v in _clean(flat).items() if k not in (CONF_TLS, CONF_CA_FILE)}
    return {**data, **tls_fields(flat)}


def _form_defaults(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Form defaults from entry data or a form's input: a password is never sent back."""
    return {key: value for key, value in _flatten(values).items() if key != CONF_PASSWORD}


def _seconds(minimum: float, maximum: float, step: float) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    )


def _as_entered(value: float) -> int | float:
    """Keep an interval as entered: 2.5 stays 2.5, 2.0 is stored as 2."""
    number = float(value)
    return int(number) if number.is_integer() else number


OPTION_KEYS = (
    CONF_STATUS_INTERVAL,
    CONF_SCAN_INTERVAL,
    CONF_BATTERY_AGE,
    CONF_PEUKERT,
    CONF_HEALTH_THRESHOLD,
    CONF_SELF_TEST_DAYS,
    CONF_SELF_TEST_TIME,
    CONF_SELF_TEST_OVERDUE,
)
"""The fields of the options form stored as options (TLS goes to the entry's data)."""


def options_schema(options: Mapping[str, Any], defaults: Mapping[str, Any]) -> probatio.Schema:
    """Return the options form: intervals and battery age from ``options``, TLS from ``defaults``."""
    return probatio.Schema(
        {
            probatio.Required(
                CONF_STATUS_INTERVAL,
                default=options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL),
            ): _seconds(0.1, 60, 0.1),
            probatio.Required(
                CONF_SCAN_INTERVAL,
                default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
            ): _seconds(5, 3600, 1),
            probatio.Required(
                CONF_BATTERY_AGE,
                default=options.get(CONF_BATTERY_AGE, DEFAULT_BATTERY_AGE_YEARS),
            ): NumberSelector(
                NumberSelectorConfig(
                    min=1, max=15, step=0.5, mode=NumberSelectorMode.BOX, unit_of_measurement="y"
                )
            ),
            probatio.Required(
                CONF_PEUKERT, default=options.get(CONF_PEUKERT, DEFAULT_PEUKERT)
            ): NumberSelector(
                NumberSelectorConfig(min=1, max=1.4, step=0.01, mode=NumberSelectorMode.BOX)
            ),
            probatio.Required(
                CONF_HEALTH_THRESHOLD,
                default=options.get(CONF_HEALTH_THRESHOLD, DEFAULT_THRESHOLD),
            ): NumberSelector(
                NumberSelectorConfig(
                    min=50, max=95, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="%"
                )
            ),
            probatio.Required(
                CONF_SELF_TEST_DAYS, default=options.get(CONF_SELF_TEST_DAYS, 0)
            ): _days(90),
            probatio.Required(
                CONF_SELF_TEST_TIME,
                default=options.get(CONF_SELF_TEST_TIME, DEFAULT_SELF_TEST_TIME),
            ): TimeSelector(),
            probatio.Required(
                CONF_SELF_TEST_OVERDUE, default=options.get(CONF_SELF_TEST_OVERDUE, 0)
            ): _days(365),
            probatio.Optional(CONF_ENCRYPTION, default={}): encryption_section(defaults),
        }
    )


def _days(maximum: int) -> NumberSelector:
    """Whole days from 0 (off) to ``maximum``."""
    return NumberSelector(
        NumberSelectorConfig(
            min=0, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
        )
    )


class NutUpsOptionsFlow(OptionsFlowWithReload):
    """Polling intervals and battery age limit (options), TLS (entry data: part of the connection)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the intervals (seconds) and the TLS setting; the entry reloads.

        A changed TLS setting is checked against upsd first (the UPS must be listed over the
        new connection), with the same errors as the config flow.
        """
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"available": "", "error": ""}
        if user_input is not None:
            options = {
                key: value if isinstance(value, str) else _as_entered(value)
                for key, value in user_input.items()
                if key in OPTION_KEYS
            }
            try:
                changed = await self._async_apply_tls(tls_fields(_flatten(user_input)))
            except FlowError as err:
                errors[err.field] = err.error
                placeholders.update(err.placeholders)
            except Exception:
                _LOGGER.exception("Unexpected error while validating a connection to upsd")
                errors["base"] = "unknown"
            else:
                if changed and options == dict(entry.options):
                    # Only entry data changed: OptionsFlowWithReload reloads on new options.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data=options)
        return self.async_show_form(
            step_id="init",
            data_schema=options_schema(
                entry.options, _flatten(user_input) if user_input is not None else entry.data
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_apply_tls(self, tls: dict[str, str]) -> bool:
        """Store a changed TLS setting once upsd lists the UPS over it.

        Returns:
            Whether the setting changed.

        Raises:
            FlowError: as the config flow's validation (TLS, connection, unknown_ups).
        """
        entry = self.config_entry
        current = tls_fields(entry.data)
        if tls == current:
            return False
        data = {k: v for k, v in entry.data.items() if k not in (CONF_TLS, CONF_CA_FILE)}
        data.update(tls)
        ssl_context = await flow_ssl_context(self.hass, data)
        match_ups(str(data[CONF_UPS]), await fetch_ups_list(data, ssl_context))
        self.hass.config_entries.async_update_entry(entry, data=data)
        return True
