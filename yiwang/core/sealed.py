"""Behaviour shared by models that keep a sealed phone number (columns phone_sealed, phone_digest)."""

from . import crypto


class SealedPhoneMixin:
    def set_phone(self, value: str) -> None:
        self.phone_sealed = crypto.encrypt(value)
        self.phone_digest = crypto.digest(value)

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(crypto.decrypt(self.phone_sealed))
