"""Payment channels by name. Adding one: a `ChannelGateway` subclass, its `CodeMap`, and a line in `_CHANNELS`."""

import threading
from collections.abc import Callable

from .. import conf
from ..exceptions import UnknownChannel
from .bank_simulator import BankSimulatorGateway
from .base import ChannelAnswer, ChannelGateway, ChannelNotice, ChannelRequest, CodeMap, Outcome

__all__ = [
    "ChannelAnswer",
    "ChannelGateway",
    "ChannelNotice",
    "ChannelRequest",
    "CodeMap",
    "Outcome",
    "channel_names",
    "gateway_for",
]


def _bank_simulator_settings() -> dict:
    return {"base_url": conf.bank_channel_url(), "secret": conf.callback_secret(), "timeout": conf.channel_timeout()}


# name → (gateway class, its settings read at call time so that tests and operators can change them)
_CHANNELS: dict[str, tuple[type[ChannelGateway], Callable[[], dict]]] = {
    "BANK_SIM": (BankSimulatorGateway, _bank_simulator_settings),
}
_cache: dict[tuple, ChannelGateway] = {}
_cache_lock = threading.Lock()


def channel_names() -> list[str]:
    return sorted(_CHANNELS)


def gateway_for(channel: str) -> ChannelGateway:
    """The gateway of a channel, built once per configuration (its HTTP connection pool is shared by threads)."""
    if channel not in _CHANNELS:
        raise UnknownChannel(f"no payment channel named {channel!r}", channel=channel)
    gateway_class, settings_of = _CHANNELS[channel]
    channel_settings = settings_of()
    key = (channel, *sorted(channel_settings.items()))
    with _cache_lock:
        gateway = _cache.get(key)
        if gateway is None:
            gateway = _cache[key] = gateway_class(**channel_settings)
        return gateway
