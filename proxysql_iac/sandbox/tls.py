"""TLS on a sandbox node's admin port, with certificates made the way ProxySQL makes them.

At first start ProxySQL writes `proxysql-ca.pem`, `proxysql-cert.pem` and `proxysql-key.pem`
into its datadir (a CA named `ProxySQL_Auto_Generated_CA_Certificate` and a server certificate
`ProxySQL_Auto_Generated_Server_Certificate` without subjectAltName), uses them whenever it
finds them, and reloads them on `PROXYSQL RELOAD TLS`. It offers TLS to admin clients while
`mysql-have_ssl` is true.

The certificates are generated with the standard library only: X.509 DER written by hand and
ECDSA P-256 signatures computed in Python (ProxySQL uses RSA 2048; a TLS client does not care).
The keys are for a local sandbox and its tests, nothing else.
"""

import base64
import datetime
import hashlib
import os
import secrets
import ssl
from dataclasses import dataclass, field

CA_FILE = "proxysql-ca.pem"
CERT_FILE = "proxysql-cert.pem"
KEY_FILE = "proxysql-key.pem"
CA_NAME = "ProxySQL_Auto_Generated_CA_Certificate"
SERVER_NAME = "ProxySQL_Auto_Generated_Server_Certificate"
VALID_DAYS = 3650

# NIST P-256 (SEC 2, secp256r1)
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
Point = tuple[int, int] | None


def _add(p: Point, q: Point) -> Point:
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        if (y1 + y2) % _P == 0:
            return None
        slope = (3 * x1 * x1 + _A) * pow(2 * y1, -1, _P) % _P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, _P) % _P
    x3 = (slope * slope - x1 - x2) % _P
    return x3, (slope * (x1 - x3) - y1) % _P


def _multiply(k: int, point: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _public_point(private: int) -> bytes:
    point = _multiply(private, _G)
    assert point is not None
    return b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def _sign(private: int, message: bytes) -> bytes:
    """ECDSA with SHA-256, as the DER `Ecdsa-Sig-Value` X.509 signatures carry."""
    z = int.from_bytes(hashlib.sha256(message).digest(), "big")
    while True:
        k = secrets.randbelow(_N - 1) + 1
        point = _multiply(k, _G)
        assert point is not None
        r = point[0] % _N
        s = pow(k, -1, _N) * (z + r * private) % _N
        if r and s:
            return _seq(_int(r), _int(s))


# ------------------------------------------------------------------ DER


def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes((value.bit_length() + 8) // 8, "big"))


def _oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _bits(data: bytes) -> bytes:
    return _tlv(0x03, b"\x00" + data)


def _time(moment: datetime.datetime) -> bytes:
    if moment.year < 2050:
        return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


def _name(common_name: str) -> bytes:
    return _seq(_tlv(0x31, _seq(_oid("2.5.4.3"), _tlv(0x0C, common_name.encode()))))


_ECDSA_SHA256 = _seq(_oid("1.2.840.10045.4.3.2"))
_P256 = _oid("1.2.840.10045.3.1.7")


def _extension(oid: str, value: bytes, *, critical: bool = False) -> bytes:
    flag = _tlv(0x01, b"\xff") if critical else b""
    return _seq(_oid(oid), flag, _tlv(0x04, value))


def _alt_names(names: tuple[str, ...]) -> bytes:
    import ipaddress

    entries = []
    for name in names:
        try:
            entries.append(_tlv(0x87, ipaddress.ip_address(name).packed))
        except ValueError:
            entries.append(_tlv(0x82, name.encode("ascii")))
    return _seq(*entries)


def _pem(label: str, der: bytes) -> str:
    text = base64.b64encode(der).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


# ------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, as PEM text."""

    cert_pem: str
    key_pem: str = field(repr=False)


@dataclass(frozen=True)
class Authority:
    """A certificate authority that signs server certificates."""

    name: str
    cert_der: bytes
    private: int = field(repr=False)

    @classmethod
    def create(cls, name: str = CA_NAME) -> "Authority":
        private = secrets.randbelow(_N - 1) + 1
        public = _public_point(private)
        constraints = _extension("2.5.29.19", _seq(_tlv(0x01, b"\xff")), critical=True)
        tbs = _tbs(name, name, public, [constraints])
        return cls(name, _seq(tbs, _ECDSA_SHA256, _bits(_sign(private, tbs))), private)

    @property
    def cert_pem(self) -> str:
        return _pem("CERTIFICATE", self.cert_der)

    def issue(self, name: str = SERVER_NAME, alt_names: tuple[str, ...] = ()) -> Issued:
        """A server certificate for `name`; `alt_names` (DNS names or IP addresses) become its
        subjectAltName, which is what a client checking identity compares with."""
        private = secrets.randbelow(_N - 1) + 1
        public = _public_point(private)
        extensions = [_extension("2.5.29.19", _seq(), critical=True)]
        if alt_names:
            extensions.append(_extension("2.5.29.17", _alt_names(alt_names)))
        tbs = _tbs(self.name, name, public, extensions)
        cert = _seq(tbs, _ECDSA_SHA256, _bits(_sign(self.private, tbs)))
        key = _seq(
            _int(1),
            _tlv(0x04, private.to_bytes(32, "big")),
            _tlv(0xA0, _P256),
            _tlv(0xA1, _bits(public)),
        )
        return Issued(_pem("CERTIFICATE", cert), _pem("EC PRIVATE KEY", key))


def _tbs(issuer: str, subject: str, public: bytes, extensions: list[bytes]) -> bytes:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return _seq(
        _tlv(0xA0, _int(2)),  # X.509 v3
        _int(secrets.randbits(63) | 1),
        _ECDSA_SHA256,
        _name(issuer),
        _seq(_time(now), _time(now + datetime.timedelta(days=VALID_DAYS))),
        _name(subject),
        _seq(_seq(_oid("1.2.840.10045.2.1"), _P256), _bits(public)),
        _tlv(0xA3, _seq(*extensions)),
    )


def write_files(data_dir: str, authority: Authority, server: Issued) -> None:
    """Put a CA, a server certificate and its key where a node looks for them."""
    os.makedirs(data_dir, exist_ok=True)
    for name, text, mode in (
        (CA_FILE, authority.cert_pem, 0o644),
        (CERT_FILE, server.cert_pem, 0o644),
        (KEY_FILE, server.key_pem, 0o600),
    ):
        path = os.path.join(data_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)


class ServerTls:
    """A node's server-side TLS context, read from its datadir (generated there if absent)."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = data_dir
        names = (CA_FILE, CERT_FILE, KEY_FILE)
        if not any(os.path.exists(os.path.join(data_dir, n)) for n in names):
            authority = Authority.create()
            write_files(data_dir, authority, authority.issue())
        self.context = self._read()

    def reload(self) -> None:
        """Read the certificate and key again (`PROXYSQL RELOAD TLS`); new connections use
        them. Files that do not make a pair are refused, and the node keeps the old ones."""
        self.context = self._read()

    def _read(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(
                os.path.join(self.data_dir, CERT_FILE), os.path.join(self.data_dir, KEY_FILE)
            )
        except (OSError, ssl.SSLError) as exc:
            raise ValueError("Unable to use SSL key") from exc
        return context
