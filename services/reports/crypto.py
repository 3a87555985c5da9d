"""Envelope encryption for reports: AES-GCM with a data key per report, wrapped by a rotatable master key.

Every ciphertext is bound to its report by associated data (``ref`` and a purpose), so a ciphertext or a
wrapped key copied to another report fails to decrypt. Master keys never touch the database: they come
from ``REPORT_MASTER_KEYS`` (``kid:base64,kid:base64``; the first is the active one) or from a key file
with one ``kid:base64`` per line. Errors carry no content, only what failed.
"""
from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12
KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class ReportCryptoError(Exception):
    """Decryption or key unwrapping failed (tampered, swapped or wrong key); never carries content."""


def _aad(*parts: str) -> bytes:
    return "|".join(("kkr-report-v1", *parts)).encode()


@dataclass(frozen=True)
class MasterKeys:
    """The master keys by id; ``active`` wraps new data keys, every key can unwrap."""

    keys: dict[str, bytes]
    active: str

    @classmethod
    def parse(cls, spec: str, *, source: str = "REPORT_MASTER_KEYS") -> MasterKeys:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for n, item in enumerate(p.strip() for p in re.split(r"[,\n]", spec)):
            if not item or item.startswith("#"):
                continue
            kid, sep, b64 = item.partition(":")
            if not sep or not _KID.match(kid.strip()):
                raise ValueError(f"{source}: entry {n + 1} must be 'key-id:base64-key'")
            try:
                raw = base64.b64decode(b64.strip(), validate=True)
            except ValueError:
                raise ValueError(f"{source}: key '{kid.strip()}' is not valid base64") from None
            if len(raw) != KEY_BYTES:
                raise ValueError(f"{source}: key '{kid.strip()}' must be {KEY_BYTES} bytes, got {len(raw)}")
            if kid.strip() in keys:
                raise ValueError(f"{source}: key id '{kid.strip()}' appears twice")
            keys[kid.strip()] = raw
            order.append(kid.strip())
        if not keys:
            raise ValueError(f"{source}: no master key given")
        return cls(keys, order[0])

    @classmethod
    def from_settings(cls, master_keys: str, key_file: str, *, dev_file: Path | None = None) -> MasterKeys:
        """Environment first, then the key file; without either, a local development key file is created."""
        if master_keys.strip():
            return cls.parse(master_keys)
        if key_file:
            return cls.parse(Path(key_file).read_text(encoding="utf-8"), source=key_file)
        if dev_file is None:
            raise ValueError("REPORT_MASTER_KEYS or REPORT_KEY_FILE must be set")
        if not dev_file.exists():
            dev_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(dev_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"dev1:{new_master_key()}\n")
        return cls.parse(dev_file.read_text(encoding="utf-8"), source=str(dev_file))

    def wrap(self, ref: str, data_key: bytes) -> bytes:
        """``kid`` + NUL + nonce + AES-GCM(data key), bound to the report and the key id."""
        nonce = os.urandom(NONCE)
        ct = AESGCM(self.keys[self.active]).encrypt(nonce, data_key, _aad("key", ref, self.active))
        return self.active.encode() + b"\0" + nonce + ct

    def unwrap(self, ref: str, wrapped: bytes) -> bytes:
        kid_raw, sep, rest = bytes(wrapped).partition(b"\0")
        kid = kid_raw.decode(errors="replace")
        key = self.keys.get(kid)
        if not sep or key is None or len(rest) < NONCE + 16:
            raise ReportCryptoError("report key cannot be unwrapped (unknown master key id)")
        try:
            return AESGCM(key).decrypt(rest[:NONCE], rest[NONCE:], _aad("key", ref, kid))
        except InvalidTag:
            raise ReportCryptoError("report key cannot be unwrapped (wrong master key or tampered)") from None

    def key_id(self, wrapped: bytes) -> str:
        return bytes(wrapped).partition(b"\0")[0].decode(errors="replace")


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(data_key: bytes, ref: str, purpose: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, _aad("data", ref, purpose))


def open_sealed(data_key: bytes, ref: str, purpose: str, blob: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) < NONCE + 16:
        raise ReportCryptoError("report ciphertext is truncated")
    try:
        return AESGCM(data_key).decrypt(blob[:NONCE], blob[NONCE:], _aad("data", ref, purpose))
    except InvalidTag:
        raise ReportCryptoError("report ciphertext does not authenticate") from None
