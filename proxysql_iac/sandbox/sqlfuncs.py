"""SQL functions ProxySQL's patched SQLite adds to the admin interface, and value rendering."""

import hashlib
import math
import os

_B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SALT_CHARS = [c for c in range(1, 128) if c != ord("$")]


def mysql_native_password(password: object) -> str:
    if not isinstance(password, str | bytes):
        return "Invalid argument type"
    raw = password.encode() if isinstance(password, str) else password
    if not raw:
        return "Invalid argument size"
    return "*" + hashlib.sha1(hashlib.sha1(raw).digest()).hexdigest().upper()


def _b64_24(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_B64[w & 0x3F])
        w >>= 6
    return "".join(out)


def sha256_crypt(password: bytes, salt: bytes, rounds: int) -> str:
    """SHA-256 crypt (Drepper) without the 16-byte salt cap, as MySQL's caching_sha2 uses it."""
    b = hashlib.sha256(password + salt + password).digest()
    a = hashlib.sha256(password + salt)
    n = len(password)
    for _ in range(n // 32):
        a.update(b)
    a.update(b[: n % 32])
    k = n
    while k:
        a.update(b if k & 1 else password)
        k >>= 1
    ad = a.digest()
    dp = hashlib.sha256(password * n).digest()
    p = (dp * (n // 32 + 1))[:n]
    ds = hashlib.sha256(salt * (16 + ad[0])).digest()
    s = (ds * (len(salt) // 32 + 1))[: len(salt)]
    c = ad
    for i in range(rounds):
        h = hashlib.sha256(p if i & 1 else c)
        if i % 3:
            h.update(s)
        if i % 7:
            h.update(p)
        h.update(c if i & 1 else p)
        c = h.digest()
    order = [
        (0, 10, 20),
        (21, 1, 11),
        (12, 22, 2),
        (3, 13, 23),
        (24, 4, 14),
        (15, 25, 5),
        (6, 16, 26),
        (27, 7, 17),
        (18, 28, 8),
        (9, 19, 29),
    ]
    out = "".join(_b64_24(c[x], c[y], c[z], 4) for x, y, z in order)
    return out + _b64_24(0, c[31], c[30], 3)


def caching_sha2_password(password: object, salt: object = None) -> str:
    if not isinstance(password, str | bytes):
        return "Invalid argument type"
    raw = password.encode() if isinstance(password, str) else password
    if not raw:
        return "Invalid argument size"
    if salt is None:
        salt_b = bytes(_SALT_CHARS[x % len(_SALT_CHARS)] for x in os.urandom(20))
    elif isinstance(salt, str | bytes):
        salt_b = salt.encode() if isinstance(salt, str) else salt
        if not 1 <= len(salt_b) <= 20:
            return "Invalid argument size"
    else:
        return "Invalid argument type"
    return "$A$005$" + salt_b.decode("latin-1") + sha256_crypt(raw, salt_b, 5000)


def render(value: object) -> str | bytes | None:
    """Text form of an SQLite value, as sqlite3_column_text renders it."""
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        if math.isnan(value):
            return None
        text = "%!.15g".replace("!", "") % value
        if "e" in text:
            mant, exp = text.split("e")
            if "." not in mant:
                mant += ".0"
            sign = exp[0]
            digits = exp[1:].lstrip("0").rjust(2, "0")
            return f"{mant}e{sign}{digits}"
        if "." not in text and "n" not in text:
            text += ".0"
        return text
    return str(value)
