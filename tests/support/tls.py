"""Certificates for STARTTLS tests: a throwaway CA, a server certificate, upsd's NSS database.

Debian's upsd is built against NSS: it reads its key and certificate from an NSS database
(``CERTPATH``) under a nickname (``CERTIDENT "<nickname>" "<db password>"``), NUT's upsd.conf(5).
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import ipaddress
from pathlib import Path
import ssl
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NICKNAME = "nut_ups-test"
DB_PASSWORD = "nssdbpass"


@dataclass
class ThrowawayCA:
    """A CA certificate (PEM) and the upsd.conf lines that serve its server certificate."""

    ca_pem: Path
    server_pem: Path
    server_key: Path
    upsd_conf: str

    def context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this CA only."""
        return ssl.create_default_context(cafile=str(self.ca_pem))

    def server_context(self) -> ssl.SSLContext:
        """A server context with the certificate, for fake TLS servers."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_pem, self.server_key)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_nss_server_cert(directory: Path, *, ip: str = "127.0.0.1") -> ThrowawayCA:
    """Create a CA, a server certificate for ``ip`` (no DNS name), and an NSS db in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("nut_ups test CA"))
        .issuer_name(_name("nut_ups test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ip))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = directory / "ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server_pem = directory / "server.pem"
    server_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    server_key = directory / "server.key"
    server_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    p12 = directory / "server.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            NICKNAME.encode(),
            key,
            cert,
            [ca_cert],
            serialization.BestAvailableEncryption(b"p12pass"),
        )
    )
    db = directory / "nssdb"
    db.mkdir(exist_ok=True)
    password_file = directory / "dbpass.txt"
    password_file.write_text(DB_PASSWORD + "\n")
    p12_password = directory / "p12pass.txt"
    p12_password.write_text("p12pass\n")
    db_arg, pw_arg = f"sql:{db}", str(password_file)
    run: list[list[str]] = [
        ["certutil", "-N", "-d", db_arg, "-f", pw_arg],
        ["pk12util", "-i", str(p12), "-d", db_arg, "-k", pw_arg, "-w", str(p12_password)],
        ["certutil", "-M", "-n", "nut_ups test CA", "-t", "CT,,", "-d", db_arg, "-f", pw_arg],
    ]
    for cmd in run:
        subprocess.run(cmd, check=True, capture_output=True)
    return ThrowawayCA(
        ca_pem, server_pem, server_key, f'CERTPATH {db}\nCERTIDENT "{NICKNAME}" "{DB_PASSWORD}"\n'
    )
