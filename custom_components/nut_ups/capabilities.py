"""What a UPS can do, read from upsd: its instant commands and writable settings.

Read at setup and on reload over one connection with ``LIST CMD``, ``GET CMDDESC``, ``LIST RW``,
``GET TYPE``, ``LIST ENUM`` and ``LIST RANGE`` (docs/net-protocol.txt); never guessed. No Home
Assistant imports.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from .nut import NUTClient, NUTConnection, NUTResponseError
from .status import parse_number
from .variables import is_setting


class SettingKind(StrEnum):
    """How a writable variable takes its value (``GET TYPE``)."""

    NUMBER = "number"
    ENUM = "enum"
    STRING = "string"


@dataclass(frozen=True, slots=True)
class Setting:
    """A writable setting of the UPS.

    Attributes:
        name: the NUT variable, e.g. ``"ups.delay.shutdown"``.
        kind: number, enum or string.
        options: the values an enum accepts (``LIST ENUM``).
        minimum, maximum: the bounds of a number (``LIST RANGE``), None when upsd gives none.
        max_length: the longest text a ``STRING:n`` takes.
    """

    name: str
    kind: SettingKind
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The UPS's instant commands (name → upsd's description) and settings (name → Setting)."""

    commands: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Setting] = field(default_factory=dict)


def parse_type(words: list[str]) -> tuple[SettingKind, int | None] | None:
    """Read a ``GET TYPE`` reply (``["RW", "STRING:64"]``, ``["RW", "ENUM"]``…).

    Returns:
        The kind and, for strings, the maximum length; None for a type nut_ups cannot write.
    """
    for word in words:
        upper = word.upper()
        if upper == "ENUM":
            return SettingKind.ENUM, None
        if upper in {"RANGE", "NUMBER"}:
            return SettingKind.NUMBER, None
        if upper.startswith("STRING:") and upper[7:].isdigit():
            return SettingKind.STRING, int(upper[7:])
    return None


async def _setting(conn: NUTConnection, ups: str, name: str) -> Setting | None:
    typed = parse_type(await conn.get_type(ups, name))
    if typed is None:
        return None
    kind, length = typed
    if kind is SettingKind.ENUM:
        options = tuple(await conn.list_enum(ups, name))
        return Setting(name, kind, options=options) if options else None
    if kind is SettingKind.NUMBER:
        bounds = [
            (low, high)
            for low, high in (
                (parse_number(a), parse_number(b)) for a, b in await conn.list_range(ups, name)
            )
            if low is not None and high is not None
        ]
        if bounds:
            return Setting(
                name,
                kind,
                minimum=min(low for low, _ in bounds),
                maximum=max(high for _, high in bounds),
            )
        return Setting(name, kind)
    return Setting(name, kind, max_length=length)


async def read_capabilities(client: NUTClient, ups: str) -> Capabilities:
    """Read the commands and settings of ``ups`` over one connection (anonymous is enough).

    Only writable variables that are settings (:func:`.variables.is_setting`) are typed, so a
    driver that lists every variable as RW costs a handful of requests, not hundreds.

    Raises:
        NUTError: as the client raises; a variable whose type upsd will not tell is skipped.
    """
    async with client.connect() as conn:
        commands = dict.fromkeys(sorted(await conn.list_commands(ups)), "")
        for name in commands:
            try:
                commands[name] = await conn.get_command_description(ups, name)
            except NUTResponseError:
                continue
        settings: dict[str, Setting] = {}
        for name in sorted(await conn.list_rw(ups)):
            if not is_setting(name):
                continue
            try:
                setting = await _setting(conn, ups, name)
            except NUTResponseError:
                continue
            if setting is not None:
                settings[name] = setting
    return Capabilities(commands, settings)
