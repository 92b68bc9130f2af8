"""Resolving secret references (`{env: NAME}`, `{file: path}`) at plan/apply time.

Values never travel in exceptions or findings: errors name the reference, not its content.
"""

import hashlib
import os
from pathlib import Path

from proxysql_iac.errors import SpecError
from proxysql_iac.spec.models import SecretRef


class SecretStore:
    """Resolves references once and remembers every value, so output can be scrubbed."""

    def __init__(self, base_dir: Path | None = None) -> None:
        self._values: dict[SecretRef, str] = {}
        self._extra: set[str] = set()  # secrets written as literals in the spec
        self._live: set[str] = set()  # secrets read from nodes (old passwords, credentials)
        self._base = base_dir or Path.cwd()

    def resolve(self, ref: SecretRef) -> str:
        if ref in self._values:
            return self._values[ref]
        if ref.env is not None:
            value = os.environ.get(ref.env)
            if value is None:
                raise SpecError(
                    f"secret reference {{env: {ref.env}}} is not set in the environment",
                    f"export {ref.env}=... before running pxc plan/apply",
                )
        else:
            path = Path(ref.file or "")
            if not path.is_absolute():
                path = self._base / path
            try:
                value = path.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SpecError(
                    f"secret reference {{file: {ref.file}}} cannot be read: {exc.strerror}",
                    "check the path (relative paths are relative to the first spec file)",
                ) from None
            except UnicodeDecodeError:
                raise SpecError(
                    f"secret reference {{file: {ref.file}}} is not UTF-8 text"
                ) from None
        self._values[ref] = value
        return value

    def remember(self, value: str, *, from_node: bool = False) -> None:
        """Register a secret that did not come from a reference: a literal in the spec, or a
        value read from a node (`from_node`: there can be tens of thousands of those)."""
        if value:
            (self._live if from_node else self._extra).add(value)

    def scrub(self, text: str, *, node_values: bool = False) -> str:
        """Replace every known secret value in `text` with `<secret>`.

        `node_values=True` also replaces the secrets read from nodes (old passwords,
        credentials): for messages, errors and logs, where a node's error text can quote a
        statement. Renderings of a plan never print password columns or secret variables,
        and scrubbing them of short node values (a monitor password `monitor`) would only
        mangle names, so they are checked against the spec's own secrets."""
        known = set(self._values.values()) | self._extra
        if node_values:
            known |= {v for v in self._live if v in text}
        for value in sorted(known, key=len, reverse=True):
            if len(value) >= 3:
                text = text.replace(value, "<secret>")
        return text


def native_password_hash(plain: str) -> str:
    """ProxySQL/MySQL `mysql_native_password` hash: '*' + upper hex SHA1(SHA1(pw))."""
    inner = hashlib.sha1(plain.encode("utf-8")).digest()
    return "*" + hashlib.sha1(inner).hexdigest().upper()


_B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b64_from_24bit(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_B64[w & 0x3F])
        w >>= 6
    return "".join(out)


def _sha256_crypt(password: bytes, salt: bytes, rounds: int) -> str:
    """The SHA-crypt (SHA-256) digest, as MySQL's caching_sha2_password stores it."""
    h = hashlib.sha256
    b = h(password + salt + password).digest()
    a_ctx = h(password + salt)
    n = len(password)
    while n > 32:
        a_ctx.update(b)
        n -= 32
    a_ctx.update(b[:n])
    n = len(password)
    while n:
        a_ctx.update(b if n & 1 else password)
        n >>= 1
    a = a_ctx.digest()
    dp = h(password * len(password)).digest()
    p = (dp * (len(password) // 32 + 1))[: len(password)]
    ds = h(salt * (16 + a[0])).digest()
    s = (ds * (len(salt) // 32 + 1))[: len(salt)]
    c = a
    for i in range(rounds):
        ctx = h()
        ctx.update(p if i & 1 else c)
        if i % 3:
            ctx.update(s)
        if i % 7:
            ctx.update(p)
        ctx.update(c if i & 1 else p)
        c = ctx.digest()
    order = [
        (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
        (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29),
    ]  # fmt: skip
    out = "".join(_b64_from_24bit(c[x], c[y], c[z], 4) for x, y, z in order)
    return out + _b64_from_24bit(0, c[31], c[30], 3)


def caching_sha2_hash(plain: str, salt: str, rounds_code: str = "005") -> str:
    """`$A$005$` + 20-character salt + digest, the caching_sha2_password stored form."""
    digest = _sha256_crypt(plain.encode("utf-8"), salt.encode("utf-8"), int(rounds_code, 16) * 1000)
    return f"$A${rounds_code}${salt}{digest}"


def password_matches(stored: str | None, plain: str) -> bool:
    """Does the stored password (clear text or either hash) mean `plain`?"""
    if stored is None:
        return False
    if stored == plain:
        return True
    if len(stored) == 41 and stored.startswith("*"):
        return stored.upper() == native_password_hash(plain)
    if stored.startswith("$A$") and len(stored) >= 7 + 20 and stored[6] == "$":
        return caching_sha2_hash(plain, stored[7:27], stored[3:6]) == stored
    return False
