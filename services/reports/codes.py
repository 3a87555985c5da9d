"""Case references and follow-up codes: Argon2id hashes, constant-time compare, a global limit on hash work.

The follow-up code is 20 symbols from a 32-letter alphabet (100 bits), shown once and stored only as an
Argon2id hash. Verification runs in a thread under a small semaphore and a token bucket, so an attacker
cannot make the server do unbounded hash work; when the budget is spent, attempts are refused without
hashing, with the same answer as a wrong code.
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.low_level import hash_secret_raw

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: 5 bits a symbol, no I/L/O/U
CODE_SYMBOLS = 20  # 100 bits
REF_SYMBOLS = 8  # 40 bits: a reference is not a secret, but must not be guessable in sequence
_CODE_RE = re.compile(r"\b[0-9A-Za-z]{4}(?:-[0-9A-Za-z]{4}){4}\b|\b[0-9A-Za-z]{20}\b")
_REF_RE = re.compile(r"\bR-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}\b", re.I)
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_code() -> str:
    raw = _random(CODE_SYMBOLS)
    return "-".join(raw[i:i + 4] for i in range(0, CODE_SYMBOLS, 4))


def new_ref() -> str:
    raw = _random(REF_SYMBOLS)
    return f"R-{raw[:4]}-{raw[4:]}"


def normalize_code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper()).translate(_MISREAD)[: CODE_SYMBOLS + 4]


def normalize_ref(text: str) -> str | None:
    m = _REF_RE.search(text or "")
    if not m:
        return None
    raw = re.sub(r"[^A-Z0-9]", "", m.group(0).upper())[1:].translate(_MISREAD)
    return f"R-{raw[:4]}-{raw[4:]}"


def find_code(text: str) -> str | None:
    """The follow-up code in a message, if any (the reference alone does not match: it has 8 symbols)."""
    for m in _CODE_RE.finditer(text or ""):
        return normalize_code(m.group(0))
    return None


@dataclass(frozen=True)
class ArgonParams:
    # OWASP's Argon2id baseline (19 MiB, 2 passes): ~80 ms here. The code itself carries 100 random bits,
    # so the hash guards a stolen database, not a weak secret; guessing online is stopped by the lockout.
    time_cost: int = 2
    memory_cost: int = 19456  # KiB
    parallelism: int = 1

    @classmethod
    def for_tests(cls) -> ArgonParams:
        """Cheap parameters for the test suite only; production uses the defaults."""
        return cls(time_cost=1, memory_cost=1024, parallelism=1)


class CodeHasher:
    """Hashes and verifies follow-up codes within a global budget of Argon2 computations."""

    def __init__(self, params: ArgonParams | None = None, *, concurrency: int = 2,
                 per_minute: int = 120, clock=time.monotonic) -> None:
        self.params = params or ArgonParams()
        self.hasher = PasswordHasher(time_cost=self.params.time_cost, memory_cost=self.params.memory_cost,
                                     parallelism=self.params.parallelism, type=Type.ID)
        self._slots = asyncio.Semaphore(concurrency)
        self.capacity = float(per_minute)
        self._tokens = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._last = clock()
        self.hash_count = 0  # Argon2 computations done (for tests and the benchmark)
        self.refused_by_budget = 0
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    def _take_token(self) -> bool:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            self.refused_by_budget += 1
            return False
        self._tokens -= 1
        return True

    async def hash(self, code: str) -> str:
        async with self._slots:
            self.hash_count += 1
            return await asyncio.to_thread(self.hasher.hash, normalize_code(code))

    async def verify(self, encoded: str | None, code: str) -> bool:
        """True only for the right code; a missing hash burns the same work (unknown == wrong)."""
        if not self._take_token():
            return False
        async with self._slots:
            self.hash_count += 1
            return await asyncio.to_thread(_verify, encoded or self._dummy, normalize_code(code), encoded is not None)


def _verify(encoded: str, code: str, real: bool) -> bool:
    params = extract_parameters(encoded)
    salt_b64, digest_b64 = encoded.rsplit("$", 2)[-2:]
    salt = base64.b64decode(salt_b64 + "=" * (-len(salt_b64) % 4))
    expected = base64.b64decode(digest_b64 + "=" * (-len(digest_b64) % 4))
    actual = hash_secret_raw(code.encode(), salt, time_cost=params.time_cost, memory_cost=params.memory_cost,
                             parallelism=params.parallelism, hash_len=len(expected), type=Type.ID)
    return hmac.compare_digest(actual, expected) and real
