"""Config flow: host, port, UPS and credentials, checked against upsd before anything is created.

Validation: a TCP connect plus ``LIST UPS`` within the client timeout; a given UPS name must be
on the server's list; given credentials are checked with the side-effect-free SET probe
(``NUTConnection.check_credentials``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import callback
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
    NUTConnectionError,
    NUTError,
    NUTProtocolError,
    NUTTimeoutError,
    NUTUnknownUPSError,
)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class FlowError(Exception):
    """A validation failure: ``error`` is a translation key of config.error."""

    def __init__(self, key: str, field: str = "base", **placeholders: str) -> None:
        """Remember the error key, the form field it belongs to and its placeholders."""
        super().__init__(key)
        self.error = key
        self.field = field
        self.placeholders = placeholders


def valid_ups_name(name: str) -> bool:
    """Whether ``name`` can be a UPS name on the wire: printable ASCII, no spaces or quotes."""
    return (
        0 < len(name) <= 255
        and name.isascii()
        and name.isprintable()
        and not any(char in name for char in ' "\\#')
    )


def _client(data: Mapping[str, Any]) -> NUTClient:
    return NUTClient(
        data[CONF_HOST],
        int(data[CONF_PORT]),
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
        timeout=CLIENT_TIMEOUT,
    )


async def list_ups(data: Mapping[str, Any]) -> dict[str, str]:
    """Connect and ``LIST UPS``: ``{name: description}``.

    Raises:
        FlowError: cannot_connect, timeout, invalid_response or invalid_auth.
    """
    try:
        return await _client(data).list_ups()
    except NUTTimeoutError as err:
        raise FlowError("timeout") from err
    except NUTProtocolError as err:
        raise FlowError("invalid_response") from err
    except NUTAuthError as err:
        raise FlowError("invalid_auth") from err
    except NUTConnectionError as err:
        raise FlowError("cannot_connect", error=str(err)) from err
    except NUTError as err:
        raise FlowError("cannot_connect", error=str(err)) from err


async def check_credentials(data: Mapping[str, Any], ups: str) -> None:
    """Check the username and password of ``data`` for ``ups``, if any were given.

    Raises:
        FlowError: invalid_auth, unknown_ups, cannot_connect or timeout.
    """
    if not (data.get(CONF_USERNAME) or data.get(CONF_PASSWORD)):
        return
    try:
        await _client(data).check_credentials(ups)
    except NUTAuthError as err:
        raise FlowError("invalid_auth") from err
    except NUTUnknownUPSError as err:
        raise FlowError("unknown_ups", CONF_UPS, available="") from err
    except NUTTimeoutError as err:
        raise FlowError("timeout") from err
    except NUTError as err:
        raise FlowError("cannot_connect", error=str(err)) from err


def pick_named_ups(name: str, ups_list: dict[str, str]) -> str:
    """Return the server's spelling of ``name`` (UPS names are case-insensitive).

    Raises:
        FlowError: invalid_ups_name, or unknown_ups listing the names the server has.
    """
    if not valid_ups_name(name):
        raise FlowError("invalid_ups_name", CONF_UPS)
    for known in ups_list:
        if known.lower() == name.lower():
            return known
    raise FlowError("unknown_ups", CONF_UPS, available=", ".join(ups_list) or "none")


def unique_id(data: Mapping[str, Any], ups: str) -> str:
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
        self._ups_list: dict[str, str] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> NutUpsOptionsFlow:
        """Return the options flow (polling intervals)."""
        return NutUpsOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for host, port, UPS name and credentials; validate them against upsd."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_connect(_clean(user_input))
            except FlowError as err:
                errors[err.field] = err.error
                placeholders.update(err.placeholders)
        return self.async_show_form(
            step_id="user",
            data_schema=connection_schema(user_input or {}),
            errors=errors,
            description_placeholders={"available": "", "error": "", **placeholders},
        )

    async def _async_connect(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Validate the user step's input; pick the UPS or ask which one."""
        name = data.get(CONF_UPS)
        if name is not None and not valid_ups_name(name):
            raise FlowError("invalid_ups_name", CONF_UPS)
        self._ups_list = await list_ups(data)
        self._data = data
        if name is not None:
            return await self._async_finish(pick_named_ups(name, self._ups_list))
        if not self._ups_list:
            raise FlowError("no_ups")
        if len(self._ups_list) == 1:
            return await self._async_finish(next(iter(self._ups_list)))
        return await self.async_step_pick_ups()

    async def async_step_pick_ups(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick one of the server's UPSes (name and description shown)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_finish(user_input[CONF_UPS])
            except FlowError as err:
                errors["base"] = err.error
        options = [
            SelectOptionDict(value=name, label=f"{name} — {desc}" if desc else name)
            for name, desc in self._ups_list.items()
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
            description_placeholders={"host": self._data[CONF_HOST], "error": ""},
        )

    async def _async_finish(self, ups: str) -> ConfigFlowResult:
        await self.async_set_unique_id(unique_id(self._data, ups))
        self._abort_if_unique_id_configured()
        await check_credentials(self._data, ups)
        return self.async_create_entry(
            title=f"{ups}@{self._data[CONF_HOST]}", data={**self._data, CONF_UPS: ups}
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Upsd refused our credentials: ask for new ones."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the username and password again and check them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            try:
                await check_credentials(data, entry.data[CONF_UPS])
            except FlowError as err:
                errors["base"] = err.error
            else:
                return self.async_update_reload_and_abort(entry, data=data)
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
            description_placeholders={"name": entry.title, "error": ""},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change host, port, UPS or credentials; entities and their history stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            same_user = data.get(CONF_USERNAME) == entry.data.get(CONF_USERNAME)
            if CONF_PASSWORD not in data and same_user and entry.data.get(CONF_PASSWORD):
                data[CONF_PASSWORD] = entry.data[CONF_PASSWORD]  # left empty: keep it
            try:
                ups_list = await list_ups(data)
                ups = pick_named_ups(data.get(CONF_UPS) or entry.data[CONF_UPS], ups_list)
                new_id = unique_id(data, ups)
                if any(
                    other.unique_id == new_id and other.entry_id != entry.entry_id
                    for other in self._async_current_entries(include_ignore=False)
                ):
                    return self.async_abort(reason="already_configured")
                await check_credentials(data, ups)
            except FlowError as err:
                errors[err.field] = err.error
                placeholders.update(err.placeholders)
            else:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=new_id,
                    title=f"{ups}@{data[CONF_HOST]}",
                    data={**data, CONF_UPS: ups},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=connection_schema(user_input or entry.data),
            errors=errors,
            description_placeholders={"available": "", "error": "", **placeholders},
        )


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip text fields and drop empty optional ones."""
    data: dict[str, Any] = {}
    for key, value in user_input.items():
        cleaned = value.strip() if isinstance(value, str) else value
        if cleaned != "":
            data[key] = cleaned
    return data


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="s"
        )
    )


class NutUpsOptionsFlow(OptionsFlowWithReload):
    """Polling intervals: the status check and the full variable list."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the intervals (seconds); the entry reloads with them."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_STATUS_INTERVAL,
                        default=options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL),
                    ): _seconds(1, 60),
                    probatio.Required(
                        CONF_SCAN_INTERVAL,
                        default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                    ): _seconds(5, 3600),
                }
            ),
        )
