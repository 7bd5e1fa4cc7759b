"""Synthetic identities: names, resident ID numbers, phones and unified social credit codes.

All draws come from the caller's seeded `random.Random`, so the same seed gives the same people.
"""

from __future__ import annotations

import itertools
import random
from datetime import date

from yiwang.core.synthetic_names import FEMALE_CHARS, MALE_CHARS, NEUTRAL_CHARS, SURNAMES
from yiwang.registry.validators import credit_code_check_char, id_check_char

from . import vocab

class IdNumberAllocator:
    """Hands out unique ID numbers. The 3-digit sequence (odd for men, even for women) is
    allocated per (prefix, birth date, sex) by walking a seeded permutation, so uniqueness
    needs one small counter per key rather than a set of every number issued."""

    # Coprime with 500, so successive slots visit all 500 sequence numbers of one sex.
    _STRIDE = 187

    def __init__(self, *, rng: random.Random, fallback_prefixes: list[str]):
        self._rng = rng
        self._fallbacks = fallback_prefixes
        self._slots: dict[tuple[str, int, bool], list[int]] = {}

    def allocate(self, *, prefix: str, birth_date: date, male: bool) -> str:
        for candidate in (prefix, *self._fallbacks):
            key = (candidate, birth_date.toordinal(), male)
            state = self._slots.get(key)
            if state is None:
                state = self._slots[key] = [self._rng.randrange(500), 0]
            start, used = state
            if used >= 500:
                continue  # all 500 numbers of this sex and day are taken under this prefix
            state[1] += 1
            slot = (start + used * self._STRIDE) % 500
            sequence = slot * 2 + (1 if male else 0)
            first17 = f"{candidate}{birth_date:%Y%m%d}{sequence:03d}"
            return first17 + id_check_char(first17)
        raise RuntimeError(f"ID sequence space exhausted for {birth_date}")


def random_phone(rng: random.Random) -> str:
    return rng.choice(vocab.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


class NameMaker:
    def __init__(self, rng: random.Random):
        self._rng = rng
        self._surnames = [s for s, _ in SURNAMES]
        # Cumulative once: choices() would re-add the weights on every draw.
        self._cumulative = list(itertools.accumulate(w for _, w in SURNAMES))

    def surname(self) -> str:
        return self._rng.choices(self._surnames, cum_weights=self._cumulative)[0]

    def given(self, *, male: bool) -> str:
        own = MALE_CHARS if male else FEMALE_CHARS
        rng = self._rng
        if rng.random() < 0.3:
            return rng.choice(own)
        first = rng.choice(NEUTRAL_CHARS) if rng.random() < 0.25 else rng.choice(own)
        return first + rng.choice(own)

    def full(self, *, male: bool, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(male=male)


# GB 11714 organization code and GB 32100 unified social credit code.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(rng: random.Random, *, region_prefix: str, individual: bool = False, institution: bool = False) -> str:
    body = "".join(str(rng.randrange(10)) for _ in range(8))
    org_check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    org_code = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    # Registering body and type: "91" enterprise and "92" individual business (market
    # regulation), "12" public institution such as a school or hospital (staffing office).
    kind = "12" if institution else "92" if individual else "91"
    first17 = kind + region_prefix + org_code
    return first17 + credit_code_check_char(first17)
