"""Secrets at rest: what recap must keep but nobody reading the database may use (the bot tokens of
the workspaces that installed it) is sealed with a key that lives in the environment, not beside
the data it protects."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from summarizer.errors import NotConfigured

SETTING = "RECAP_SECRET_KEY"
HOW_TO_MAKE_ONE = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SealedWithAnotherKey(NotConfigured):
    """A blob that none of the keys opens: the key was changed without keeping the old one."""


class SecretBox:
    """Fernet (AES-CBC with an HMAC): a blob that was altered, or sealed with another key, is refused
    instead of read as garbage.

    `keys` is one key, or several separated by commas to rotate: the first seals, every one opens,
    so the old key can be kept second until everything has been sealed again with the new one.
    """

    def __init__(self, keys: str) -> None:
        try:
            fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
        except ValueError:
            fernets = []
        if not fernets:
            raise NotConfigured(
                f"{SETTING} must be a Fernet key (32 url-safe base64-encoded bytes); make one with: {HOW_TO_MAKE_ONE}"
            )
        self._fernet = MultiFernet(fernets)

    def seal(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open(self, blob: bytes) -> bytes:
        try:
            return self._fernet.decrypt(blob)
        except InvalidToken:
            raise SealedWithAnotherKey(
                f"a stored secret does not open with {SETTING}: was the key changed? "
                "Put the old key after the new one, separated by a comma."
            ) from None

    def __repr__(self) -> str:  # never the key, in a log or a traceback
        return "SecretBox(…)"
