from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509

from acr_trusted.testing._tls import make_tls_files


def test_leaf_is_signed_by_ca_for_loopback(tmp_path: Path) -> None:
    """The leaf names 127.0.0.1 and localhost and verifies against the CA bundle."""
    files = make_tls_files(tmp_path)
    leaf = x509.load_pem_x509_certificates(files.cert_chain.read_bytes())[0]
    ca = x509.load_pem_x509_certificate(files.ca_bundle.read_bytes())
    leaf.verify_directly_issued_by(ca)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert "test double" in ca.subject.rfc4514_string()
    assert files.key.stat().st_mode & 0o077 == 0


def test_server_context_loads(tmp_path: Path) -> None:
    """The files make a TLS 1.2+ server context and a client context that trusts it."""
    files = make_tls_files(tmp_path)
    server = files.server_context()
    assert server.minimum_version == ssl.TLSVersion.TLSv1_2
    client = ssl.create_default_context(cafile=str(files.ca_bundle))
    assert client.cert_store_stats()["x509_ca"] == 1
