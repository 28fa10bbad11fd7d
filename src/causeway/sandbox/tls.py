"""A self-signed certificate, because Salesforce clients insist on HTTPS."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "login.salesforce.com", "test.salesforce.com")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS server; clients trust `cert`."""

    cert: Path
    key: Path


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def self_signed(folder: Path, hosts: Sequence[str] = DEFAULT_HOSTS) -> TlsFiles:
    """Create (or reuse) a certificate for `hosts` in `folder`, valid for a year."""
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(cert=folder / "sandbox-cert.pem", key=folder / "sandbox-key.pem")
    if files.cert.exists() and files.key.exists() and _covers(files.cert, hosts):
        return files
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Causeway sandbox")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([_san(host) for host in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key.chmod(0o600)
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return files


def _covers(cert_path: Path, hosts: Sequence[str]) -> bool:
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if certificate.not_valid_after_utc < datetime.now(UTC) + timedelta(days=1):
        return False
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    present = {str(value) for value in names.get_values_for_type(x509.DNSName)}
    present |= {str(value) for value in names.get_values_for_type(x509.IPAddress)}
    return set(hosts) <= present
