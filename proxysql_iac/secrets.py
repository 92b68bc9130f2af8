"""Resolving secret references (`{env: NAME}`, `{file: path}`) at plan/apply time.

Values never travel in exceptions or findings: errors name the reference, not its content.
A relative `{file: ...}` path is relative to the spec file that names it.
"""

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from proxysql_iac.errors import SpecError
from proxysql_iac.spec.models import SecretRef

SECRET = "<secret>"
# Values shorter than this are not looked for in a node's error text: a short value (`mysql`,
# `admin`, `1234`) is more likely a word or a number of the message than the secret.
MIN_REDACTED_LENGTH = 6
_TOKEN = re.compile(r"[\w-]")


class SecretStore:
    """Resolves references once and knows every secret value of a run.

    pxc never renders a secret column or variable (the table descriptions and the variable
    catalog say which they are), so output needs no scrubbing. The one exception is text
    a node wrote: an error message may quote a statement pxc sent, and so a password;
    `redact` is applied to exactly that text."""

    def __init__(self, base_dir: Path | None = None) -> None:
        # by what makes two references equal, as plain values: hashing and comparing the
        # model itself costs more than the rest of a 50,000-user diff
        self._values: dict[tuple[str | None, str | None, Path | None], str] = {}
        self._known: set[str] = set()  # every secret value: resolved, literal, read from nodes
        self._base = base_dir or Path.cwd()

    @classmethod
    def of_spec(cls, files: Sequence[str | Path]) -> "SecretStore":
        """The store of a run over spec `files`: relative paths start at the first one's
        directory (the working directory without files)."""
        return cls(Path(files[0]).resolve().parent if files else None)

    @property
    def base_dir(self) -> Path:
        """Where relative paths in the spec start: the directory of the first spec file."""
        return self._base

    def resolve(self, ref: SecretRef) -> str:
        env = ref.env
        # an environment reference has no base directory (asking costs more than the rest)
        key = (env, None, None) if env is not None else (None, ref.file, ref.base)
        known = self._values.get(key)
        if known is not None:
            return known
        if ref.env is not None:
            value = os.environ.get(ref.env)
            if value is None:
                raise SpecError(
                    f"secret reference {{env: {ref.env}}} is not set in the environment",
                    f"export {ref.env}=... and run pxc again",
                )
        else:
            path = Path(ref.file or "")
            if not path.is_absolute():
                path = (ref.base or self._base) / path
            try:
                value = path.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SpecError(
                    f"secret reference {{file: {ref.file}}} cannot be read ({path}): "
                    f"{exc.strerror}",
                    "check the path (a relative path is relative to the spec file that names it)",
                ) from None
            except UnicodeDecodeError:
                raise SpecError(
                    f"secret reference {{file: {ref.file}}} is not UTF-8 text ({path})"
                ) from None
        self._values[key] = value
        self.remember(value)
        return value

    def resolve_all(
        self, refs: Iterable[SecretRef], where: Mapping[int, str] | None = None
    ) -> None:
        """Resolve every reference, and report every one that cannot be, at once (`where`:
        by a reference's id, where the spec writes it first, e.g. `mysql_users[3].password`)."""
        problems: list[SpecError] = []
        # 50,000 users share one reference object: set aside repeats by identity before
        # hashing (a reference's hash is three pydantic attribute reads)
        for ref in dict.fromkeys({id(ref): ref for ref in refs}.values()):
            try:
                self.resolve(ref)
            except SpecError as exc:
                written = (where or {}).get(id(ref))
                if written is not None:
                    exc = SpecError(f"{exc.message} (written at {written})", exc.hint)
                problems.append(exc)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise SpecError(
                f"{len(problems)} secret references cannot be resolved:\n"
                + "\n".join(f"  {p.message}" for p in problems),
                "; ".join(dict.fromkeys(p.hint for p in problems if p.hint)),
            )

    def remember(self, value: str) -> None:
        """A secret that did not come from a reference: a literal in the spec, or a value read
        from a node (an old password apply may write back when it restores a table)."""
        if value:
            self._known.add(value)

    def redact(self, text: str) -> str:
        """A node's error text with every known secret of at least MIN_REDACTED_LENGTH
        characters replaced by `<secret>`, where it stands as a whole value: not inside a
        longer word (`monitor` in `mysql-monitor_password` is left alone)."""
        found = [v for v in self._known if len(v) >= MIN_REDACTED_LENGTH and v in text]
        for value in sorted(found, key=len, reverse=True):
            before = r"(?<![\w-])" if _TOKEN.match(value[0]) else ""
            after = r"(?![\w-])" if _TOKEN.match(value[-1]) else ""
            text = re.sub(before + re.escape(value) + after, SECRET, text)
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
