"""Config flow: host, port, UPS and credentials, checked against upsd before anything is created.

Validation, one path for every step: credentials and a typed UPS name must be text NUT's protocol
can carry (printable ASCII); a TCP connect plus ``LIST UPS`` within the client timeout; the UPS
must be on the server's list; given credentials are checked with the side-effect-free SET probe
(``NUTConnection.check_credentials``). An unexpected error shows ``unknown``, never a 500.
"""

from collections.abc import Awaitable, Mapping
import logging
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
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
)
import probatio

from .connect import client_for
from .const import (
    CLIENT_TIMEOUT,
    CONF_SCAN_INTERVAL,
    CONF_STATUS_INTERVAL,
    CONF_UPS,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_STATUS_INTERVAL,
    DOMAIN,
)
from .nut import (
    NUTAuthError,
    NUTClient,
    NUTError,
    NUTProtocolError,
    NUTTimeoutError,
    NUTUnknownUPSError,
)

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


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


def _client(data: Mapping[str, Any]) -> NUTClient:
    return client_for(data, credentials=True, timeout=CLIENT_TIMEOUT)


def _flow_error(err: NUTError) -> FlowError:
    """Translate a client error into the form's error (messages hold no credentials)."""
    if isinstance(err, NUTTimeoutError):
        return FlowError("timeout")
    if isinstance(err, NUTProtocolError):
        return FlowError("invalid_response")
    if isinstance(err, NUTAuthError):
        return FlowError("invalid_auth")
    if isinstance(err, NUTUnknownUPSError):
        return FlowError("ups_gone")
    return FlowError("cannot_connect", error=str(err))


async def fetch_ups_list(data: Mapping[str, Any]) -> dict[str, str]:
    """Connect and ``LIST UPS``: ``{name: description}``.

    Raises:
        FlowError: cannot_connect, timeout, invalid_response or invalid_auth.
    """
    try:
        return await _client(data).list_ups()
    except NUTError as err:
        raise _flow_error(err) from err


async def verify_credentials(data: Mapping[str, Any], ups: str) -> None:
    """Check the username and password of ``data`` for ``ups``, if any were given.

    Raises:
        FlowError: invalid_auth, ups_gone, cannot_connect, timeout or invalid_response.
    """
    if not (data.get(CONF_USERNAME) or data.get(CONF_PASSWORD)):
        return
    try:
        await _client(data).check_credentials(ups)
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
    raise FlowError("unknown_ups", CONF_UPS, available=", ".join(ups_list) or "none")


def entry_unique_id(data: Mapping[str, Any], ups: str) -> str:
    """Return the config entry's unique ID: ``<host>:<port>/<ups>``, lower case."""
    return f"{data[CONF_HOST]}:{int(data[CONF_PORT])}/{ups}".lower()


def connection_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    """Return the form for host, port, UPS name and credentials, pre-filled from ``defaults``."""
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
        }
    )


class NutUpsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a UPS served by upsd."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._data: dict[str, Any] = {}
        self._candidates: dict[str, str] = {}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> NutUpsOptionsFlow:
        """Return the options flow (polling intervals)."""
        return NutUpsOptionsFlow()

    async def _async_validate(self, data: dict[str, Any], ups: str | None) -> str | None:
        """Validate like every step does: credentials' text, then LIST UPS, then the UPS.

        Args:
            data: cleaned host, port and credentials.
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
        ups_list = await fetch_ups_list(data)
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
        """Ask for host, port, UPS name and credentials; validate them against upsd."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"available": "", "error": ""}
        if user_input is not None:
            result = await self._async_form_errors(
                errors, placeholders, self._async_user_input(_clean(user_input))
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id="user",
            data_schema=connection_schema(_without_password(user_input)),
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
        options = [
            SelectOptionDict(value=name, label=f"{name} — {desc}" if desc else name)
            for name, desc in self._candidates.items()
        ]
        return self.async_show_form(
            step_id="pick_ups",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_UPS): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_finish(self, ups: str) -> ConfigFlowResult:
        await self.async_set_unique_id(entry_unique_id(self._data, ups))
        self._abort_if_unique_id_configured()
        await verify_credentials(self._data, ups)
        return self.async_create_entry(
            title=f"{ups}@{self._data[CONF_HOST]}", data={**self._data, CONF_UPS: ups}
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Upsd refused our credentials when they were used: ask for new ones."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the username and password again and check them."""
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
                await verify_credentials(data, entry.data[CONF_UPS])
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
        """Change host, port, UPS or credentials; entities and their history stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"available": "", "error": ""}
        if user_input is not None:
            data = _clean(user_input)
            same_user = data.get(CONF_USERNAME) == entry.data.get(CONF_USERNAME)
            if CONF_PASSWORD not in data and same_user and entry.data.get(CONF_PASSWORD):
                data[CONF_PASSWORD] = entry.data[CONF_PASSWORD]  # left empty: keep it
            result = await self._async_form_errors(
                errors, placeholders, self._async_reconfigure(entry, data)
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=connection_schema(_without_password(user_input or entry.data)),
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
        await verify_credentials(data, ups)
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


def _without_password(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Form defaults from ``values``: a password is never sent back into a form."""
    return {key: value for key, value in (values or {}).items() if key != CONF_PASSWORD}


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


class NutUpsOptionsFlow(OptionsFlowWithReload):
    """Polling intervals: the status check and the full variable list."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the intervals (seconds); the entry reloads with them."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: _as_entered(value) for key, value in user_input.items()}
            )
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_STATUS_INTERVAL,
                        default=options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL),
                    ): _seconds(1, 60, 0.1),
                    probatio.Required(
                        CONF_SCAN_INTERVAL,
                        default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                    ): _seconds(5, 3600, 1),
                }
            ),
        )
