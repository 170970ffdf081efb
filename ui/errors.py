"""The ui layer's errors: one hierarchy under `UIError`."""

from __future__ import annotations


class UIError(Exception):
    """Base class of everything the ui layer raises on purpose."""


class UploadRejected(UIError, ValueError):
    """An upload refused as a whole (nothing is indexed); the message is shown to the user."""


class AuthSettingError(UIError, ValueError):
    """The server's login setting is not of the form `user:password`."""
