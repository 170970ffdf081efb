"""The page's login setting and whether an address is reachable only from this machine."""

from __future__ import annotations

import ipaddress

from ui.errors import AuthSettingError


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine (`localhost`, 127.0.0.0/8, ::1)."""
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str) -> tuple[str, str] | None:
    """Turn `user:password` into Gradio's auth pair.

    Args:
        auth: `user:password`, or empty for no login.

    Returns:
        The pair, or None.

    Raises:
        AuthSettingError: Not of the form `user:password` with both parts non-empty.
    """
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise AuthSettingError("the server auth setting must look like `user:password`")
    return user, password
