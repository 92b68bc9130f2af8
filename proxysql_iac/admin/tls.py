"""How pxc protects an admin connection: the TLS mode, the files, and the client context.

The modes are the MySQL client's `--ssl-mode`. pxc builds the TLS context itself instead of
letting the connector do it: the connector adds the system's trusted CAs to the one given,
so `verify_ca` would accept any certificate a public CA signed, for any name.
"""

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

# ssl (10 ms to import) is imported by the functions that make or read a TLS context: the
# modes and settings are also what `pxc validate` checks, and it connects nowhere.
if TYPE_CHECKING:
    import ssl


class TlsMode(StrEnum):
    DISABLED = "disabled"  # plaintext, even when the node offers TLS
    PREFERRED = "preferred"  # TLS whenever the node offers it, certificate not checked
    REQUIRED = "required"  # TLS or no connection, certificate not checked
    VERIFY_CA = "verify_ca"  # and the certificate is signed by `ca`
    VERIFY_IDENTITY = "verify_identity"  # and it names the host (or `server_name`)

    @property
    def required(self) -> bool:
        return self in (TlsMode.REQUIRED, TlsMode.VERIFY_CA, TlsMode.VERIFY_IDENTITY)

    @property
    def verifies(self) -> bool:
        return self in (TlsMode.VERIFY_CA, TlsMode.VERIFY_IDENTITY)


@dataclass(frozen=True)
class Pem:
    """A PEM file, given by its path or by its content (a secret reference can hold either)."""

    label: str  # how messages name it: the path, or the reference (never the content)
    path: Path | None = None
    text: str | None = field(default=None, repr=False)


class ClientTls(NamedTuple):
    """The TLS settings of one admin connection."""

    mode: TlsMode = TlsMode.PREFERRED
    ca: Pem | None = None
    cert: Pem | None = None
    key: Pem | None = None
    server_name: str | None = None  # the name the certificate must carry (default: host)

    def describe(self) -> str:
        parts = [f"mode {self.mode.value}"]
        if self.ca is not None:
            parts.append(f"ca {self.ca.label}")
        if self.server_name:
            parts.append(f"server_name {self.server_name}")
        return ", ".join(parts)


class TlsSetupError(Exception):
    """A CA, certificate or key that cannot be used (the message names it, not its content)."""


def client_context(tls: ClientTls) -> "ssl.SSLContext":
    """The context every TLS admin connection with these settings is made with.

    Only `ca` is trusted when it is given; `verify_identity` without it trusts the system's
    CAs. The X.509 strict flag stays off: ProxySQL's own CA has no keyUsage extension."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.mode.verifies:
        context.check_hostname = tls.mode is TlsMode.VERIFY_IDENTITY
        context.verify_mode = ssl.CERT_REQUIRED
        if tls.ca is not None:
            _load_ca(context, tls.ca)
        else:
            context.load_default_certs()
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.cert is not None and tls.key is not None:
        _load_pair(context, tls.cert, tls.key)
    return context


def _load_ca(context: "ssl.SSLContext", ca: Pem) -> None:
    import ssl

    try:
        if ca.text is not None:
            context.load_verify_locations(cadata=ca.text)
        else:
            context.load_verify_locations(cafile=ca.path)
    except ssl.SSLError as exc:  # an OSError too: first
        raise TlsSetupError(f"the CA {ca.label} holds no PEM certificate ({exc.reason})") from None
    except OSError as exc:
        raise TlsSetupError(f"cannot read the CA {ca.label}: {exc.strerror}") from None


def _load_pair(context: "ssl.SSLContext", cert: Pem, key: Pem) -> None:
    import ssl

    with _private_files() as private:
        try:
            context.load_cert_chain(private(cert, "cert"), private(key, "key"))
        except ssl.SSLError as exc:  # an OSError too: first
            raise TlsSetupError(
                f"the client certificate {cert.label} and key {key.label} are not a PEM "
                f"certificate and its key ({exc.reason})"
            ) from None
        except OSError as exc:
            raise TlsSetupError(
                f"cannot read the client certificate {cert.label} or key {key.label}: "
                f"{exc.strerror}"
            ) from None


@contextmanager
def _private_files() -> Iterator[Callable[[Pem, str], str]]:
    """What gives the path to load a PEM from (ssl loads certificate chains from files
    only): its own path, or for PEM text a file only this process can read, gone when the
    block ends. On Linux that file lives in memory (`memfd_create`, opened through
    /proc/self/fd): the key never reaches a disk, and nothing is left behind should the
    process end inside the block (`lifetime.end` skips exit handlers, and with them the
    clean-up of a temporary directory). Elsewhere it is a file of a private temporary
    directory."""
    opened: list[int] = []
    in_memory = hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd")
    with contextlib.ExitStack() as stack:
        directory = (
            "" if in_memory else stack.enter_context(tempfile.TemporaryDirectory(prefix="pxc-tls-"))
        )

        def path(pem: Pem, name: str) -> str:
            if pem.text is None:
                assert pem.path is not None
                return str(pem.path)
            if in_memory:
                fd = os.memfd_create(f"pxc-tls-{name}", os.MFD_CLOEXEC)
                opened.append(fd)
                os.write(fd, pem.text.encode("utf-8"))
                return f"/proc/self/fd/{fd}"
            file = Path(directory) / f"{name}.pem"
            file.touch(mode=0o600)
            file.write_text(pem.text, encoding="utf-8")
            return str(file)

        try:
            yield path
        finally:
            for fd in opened:
                os.close(fd)


def peer_failure(cause: BaseException | None) -> str | None:
    """What went wrong in a TLS handshake, in words, or None when it was not TLS."""
    import ssl

    if isinstance(cause, ssl.SSLCertVerificationError):
        return str(cause.verify_message or cause.reason or "certificate verify failed")
    if isinstance(cause, ssl.SSLError):
        return str(cause.reason or cause)
    return None
