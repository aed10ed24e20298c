"""core.signing: the local CA (init-ca, never overwritten), PAdES signing as an incremental update, and
offline validation with pyHanko and with poppler's pdfsig, an independent validator."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from fpdf import FPDF

from core import admin, signing
from core.db import open_database
from core.errors import CoreError

PDFSIG = shutil.which("pdfsig")
needs_pdfsig = pytest.mark.skipif(
    PDFSIG is None, reason="poppler-utils (pdfsig) is not installed: make test installs it"
)


def plain_pdf(text: str = "JiXiao sign-off test") -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # the text stays findable, so a test changes one byte of it
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    folder = tmp_path / "ca"
    signing.init_ca(folder, organisation="测试公司")
    return folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_ca_makes_a_private_ca_and_never_overwrites_it(tmp_path: Path, ca: Path) -> None:
    assert mode(ca) == 0o700
    names = {p.name for p in ca.iterdir()}
    assert names == {"ca-cert.pem", "ca-key.pem", "signing.p12", "signing-cert.pem", "passphrase"}
    assert all(mode(p) == 0o600 for p in ca.iterdir())
    root = x509.load_pem_x509_certificate((ca / "ca-cert.pem").read_bytes())
    cert = x509.load_pem_x509_certificate((ca / "signing-cert.pem").read_bytes())
    assert cert.issuer == root.subject and root.issuer == root.subject
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment  # non-repudiation
    passphrase = (ca / "passphrase").read_bytes().strip()
    key, loaded, _ = pkcs12.load_key_and_certificates((ca / "signing.p12").read_bytes(), passphrase)
    assert key is not None and loaded == cert
    with pytest.raises(TypeError):  # the CA key is encrypted: no key without the passphrase
        serialization.load_pem_private_key((ca / "ca-key.pem").read_bytes(), password=None)
    before = {p.name: p.read_bytes() for p in ca.iterdir()}
    with pytest.raises(CoreError) as refused:
        signing.init_ca(ca)
    assert refused.value.code == "signing.ca_exists" and "不会覆盖" in str(refused.value)
    assert admin.main(["init-ca", "--ca-dir", str(ca)]) == admin.EXIT_FAILED
    assert {p.name: p.read_bytes() for p in ca.iterdir()} == before


def test_a_ca_that_cannot_be_written_is_refused_with_a_sentence(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would go")
    with pytest.raises(CoreError) as refused:
        signing.init_ca(blocked / "ca")
    assert refused.value.code == "signing.cannot_write" and "权限" in str(refused.value)


def test_the_init_ca_command_makes_the_ca_beside_the_database(tmp_path: Path, capsys) -> None:
    db = tmp_path / "data" / "jixiao.duckdb"
    assert admin.main(["init-ca", "--db", str(db), "--organisation", "示例制造"]) == admin.EXIT_OK
    assert "已在" in capsys.readouterr().out
    with open_database(db) as database:  # recorded, with the operating-system account as the actor
        row = database.one("SELECT actor, entity_id FROM audit_log WHERE action = 'signing_ca_created'")
    assert row["actor"].startswith("os:") and row["entity_id"] == str(tmp_path / "data" / "ca")
    cert = x509.load_pem_x509_certificate((tmp_path / "data" / "ca" / "signing-cert.pem").read_bytes())
    assert cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == "示例制造"


def test_a_signed_pdf_is_an_incremental_pades_update_that_validates_offline(ca: Path) -> None:
    raw = plain_pdf()
    signed = signing.sign_pdf(raw, folder=ca)
    assert signed.startswith(raw)  # an incremental update: the original bytes stay as they were
    assert b"/ETSI.CAdES.detached" in signed  # PAdES
    check = signing.validate_pdf(signed, folder=ca)
    assert (check.intact, check.valid, check.trusted, check.problem) == (True, True, True, None)
    assert check.signer == "测试公司 绩效结果签章" and check.signed_at is not None


def test_changing_one_byte_or_appending_after_signing_is_detected(ca: Path) -> None:
    signed = signing.sign_pdf(plain_pdf(), folder=ca)
    at = signed.index(b"JiXiao sign-off test")
    changed = signed[:at] + b"X" + signed[at + 1 :]
    check = signing.validate_pdf(changed, folder=ca)
    assert not check.intact and check.problem is not None and check.problem.code == "signing.not_intact"
    appended = signed + b"\n% a comment added later\n"
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(signed), incremental=True)  # a later revision, as an editor would save
    writer.add_metadata({"/Title": "changed later"})
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(signed)
    assert signing.validate_pdf(out.getvalue(), folder=ca).problem.code == "signing.not_covered"
    assert signing.validate_pdf(appended[:200], folder=ca).ok is False
    assert signing.validate_pdf(plain_pdf(), folder=ca).problem.code == "signing.unsigned"


def test_what_cannot_be_signed_is_refused_with_a_sentence(ca: Path) -> None:
    with pytest.raises(CoreError) as refused:
        signing.sign_pdf(b"not a pdf at all", folder=ca)
    assert refused.value.code == "signing.failed" and "无法签名" in str(refused.value)


def test_a_signature_by_another_ca_is_not_trusted(tmp_path: Path, ca: Path) -> None:
    other = tmp_path / "other"
    signing.init_ca(other, organisation="冒充公司")
    check = signing.validate_pdf(signing.sign_pdf(plain_pdf(), folder=other), folder=ca)
    assert check.intact and check.valid and not check.trusted
    assert check.problem.code == "signing.untrusted" and "冒充公司" in str(check.problem)


def test_a_signature_made_before_its_certificate_expired_still_validates(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(signing, "SIGNING_YEARS", (86_400 + 2) / (365 * 86_400))  # expires 2 s from now
    folder = tmp_path / "short"
    signing.init_ca(folder)
    signed = signing.sign_pdf(plain_pdf(), folder=folder)
    expiry = x509.load_pem_x509_certificate((folder / "signing-cert.pem").read_bytes()).not_valid_after_utc
    time.sleep(max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds()) + 1.5)
    check = signing.validate_pdf(signed, folder=folder)
    assert check.ok and check.trusted and check.signed_at < expiry
    other = tmp_path / "other"
    signing.init_ca(other)
    assert signing.validate_pdf(signed, folder=other).problem.code == "signing.untrusted"  # still not another CA's


def test_the_first_signing_makes_a_ca_when_there_is_none(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "fresh" / "ca"
    signed = signing.sign_pdf(plain_pdf(), folder=folder)
    assert (folder / "signing.p12").exists() and "made a local CA" in caplog.text
    assert signing.validate_pdf(signed, folder=folder).ok
    with pytest.raises(CoreError):
        signing.credentials(tmp_path / "none")  # validation never makes one


def corporate_p12(folder: Path, passphrase: bytes) -> Path:
    """A corporate chain as a PKCS#12: an RSA-3072 root and an RSA-3072 signing certificate under it."""
    folder.mkdir()

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "集团公司"),
                          x509.NameAttribute(x509.NameOID.COMMON_NAME, common)])  # fmt: skip

    def usage(ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                             encipher_only=False, decipher_only=False)  # fmt: skip

    root_key, key = (rsa.generate_private_key(public_exponent=65537, key_size=3072) for _ in range(2))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    certificates = []
    for subject, public, ca in (("集团根证书", root_key, True), ("集团电子签章", key, False)):
        builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name("集团根证书"))
                   .public_key(public.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + dt.timedelta(days=800))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(usage(ca), critical=True))  # fmt: skip
        certificates.append(builder.sign(root_key, hashes.SHA256()))
    path = folder / "corporate.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"corporate", key, certificates[1], [certificates[0]], serialization.BestAvailableEncryption(passphrase)))  # fmt: skip
    return path


def test_a_configured_pkcs12_file_signs_instead(tmp_path: Path, ca: Path, monkeypatch) -> None:
    earlier = signing.sign_pdf(plain_pdf(), folder=ca)  # signed by the local CA before the switch
    p12 = corporate_p12(tmp_path / "corporate", b"s3cret")
    password = tmp_path / "p12.pass"
    password.write_text("s3cret\n")
    monkeypatch.setenv("JIXIAO_SIGNING_P12", str(p12))
    monkeypatch.setenv("JIXIAO_SIGNING_P12_PASSWORD_FILE", str(password))
    signed = signing.sign_pdf(plain_pdf(), folder=ca)
    check = signing.validate_pdf(signed, folder=ca)  # the P12's own root is the trust root
    assert check.ok and check.signer == "集团电子签章"
    assert signing.validate_pdf(earlier, folder=ca).ok  # what the local CA signed still verifies
    if PDFSIG:
        (tmp_path / "corporate.pdf").write_bytes(signed)
        assert "Signature is Valid." in pdfsig(tmp_path / "corporate.pdf")
    password.write_text("wrong")
    with pytest.raises(CoreError) as refused:
        signing.sign_pdf(plain_pdf(), folder=ca)
    assert refused.value.code == "signing.p12_unreadable"


def pdfsig(path: Path, *extra: str) -> str:
    assert PDFSIG is not None
    return subprocess.run([PDFSIG, *extra, str(path)], capture_output=True, text=True, timeout=60).stdout


@needs_pdfsig
def test_poppler_pdfsig_validates_the_signature_independently(tmp_path: Path, ca: Path) -> None:
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(signing.sign_pdf(plain_pdf(), folder=ca))
    out = pdfsig(signed)
    assert "Signature is Valid." in out, out
    assert "Signer Certificate Common Name: 测试公司 绩效结果签章" in out
    assert "Signature Type: ETSI.CAdES.detached" in out and "Total document signed" in out
    certutil = shutil.which("certutil")
    if certutil:  # trust too, with our root imported into a private NSS database
        nss = tmp_path / "nss"
        nss.mkdir()
        subprocess.run([certutil, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, timeout=60)
        subprocess.run([certutil, "-A", "-d", f"sql:{nss}", "-n", "jixiao", "-t", "C,,", "-i", str(ca / "ca-cert.pem")],
                       check=True, timeout=60)  # fmt: skip
        assert "Certificate is Trusted." in pdfsig(signed, "-nssdir", f"sql:{nss}")
    tampered = tmp_path / "tampered.pdf"
    data = signed.read_bytes()
    at = data.index(b"JiXiao sign-off test")
    tampered.write_bytes(data[:at] + b"X" + data[at + 1 :])
    assert "Signature is Valid." not in pdfsig(tampered)
