"""Digital signature of the sign-off PDF (PAdES baseline B-B, pyHanko) by the organisation's certificate,
and its offline validation.

**Whose certificate.** A configured PKCS#12 file (``JIXIAO_SIGNING_P12``, its passphrase in the file named
by ``JIXIAO_SIGNING_P12_PASSWORD_FILE``: a corporate CA's certificate; the self-signed certificates it
carries are the trust roots), else the local CA of the install: ``python -m core.admin init-ca`` makes it
under ``ca/`` beside the database (``JIXIAO_CA_DIR`` for the default database), and the first signing
makes one when there is none, so the demo and a fresh install sign at once. A CA is never overwritten.

**The local CA's folder** (0700; every file 0600): ``ca-cert.pem`` (the root, EC P-256, 20 years), ``ca-key.pem``
(its key, encrypted with the passphrase), ``signing.p12`` (the signing certificate, 5 years, with its
key and the root, encrypted with the passphrase), ``signing-cert.pem``, and ``passphrase`` (32 random bytes
as hex). The folder is made whole under a temporary name and renamed into place.

**Offline.** Signing asks no timestamp server; validation fetches nothing (``allow_fetching=False``):
the trust root is ours, and our certificates carry no revocation addresses.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from core.db import default_path
from core.errors import CoreError, Text

logger = logging.getLogger(__name__)

CA_CERT, CA_KEY, SIGNING_P12, SIGNING_CERT, PASSPHRASE = (
    "ca-cert.pem",
    "ca-key.pem",
    "signing.p12",
    "signing-cert.pem",
    "passphrase",
)
FIELD_NAME = "JiXiao"
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
CA_YEARS, SIGNING_YEARS = 20, 5
SIGNATURE_MARGIN = 2048  # bytes of the CMS besides its certificates (about 450 with EC P-256, 1,000 with RSA-4096)


def ca_dir(db_path: str | os.PathLike[str] | None = None) -> Path:
    """The local CA's folder of the database at ``db_path``: ``ca/`` beside it; for the default database
    (``JIXIAO_DB``) ``JIXIAO_CA_DIR`` when set."""
    path = Path(db_path) if db_path is not None else default_path()
    configured = os.environ.get("JIXIAO_CA_DIR")
    if configured and os.path.abspath(path) == os.path.abspath(default_path()):
        return Path(configured)
    return path.parent / "ca"


# -- the local CA -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaFiles:
    """What :func:`init_ca` made: the folder and its root and signing certificates' subjects."""

    folder: Path
    ca_subject: str
    signing_subject: str


def _name(organisation: str, common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])  # fmt: skip


def _certificate(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
                 issuer_key: ec.EllipticCurvePrivateKey, years: int, *, ca: bool) -> x509.Certificate:  # fmt: skip
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)  # a clock a little behind still accepts it
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def init_ca(folder: Path, *, organisation: str = "JiXiao") -> CaFiles:
    """Make a local CA and a signing certificate in ``folder`` (see the module's docstring). Refused
    (``signing.ca_exists``) when a CA is there already: the documents it signed are verified against it."""
    if (folder / CA_CERT).exists() or (folder.exists() and any(folder.iterdir())):
        raise CoreError("signing.ca_exists", path=folder)
    passphrase = secrets.token_hex(32).encode("ascii")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(organisation, f"{organisation} 绩效签章根证书")
    signing_name = _name(organisation, f"{organisation} 绩效结果签章")
    ca_cert = _certificate(ca_name, ca_key, ca_name, ca_key, CA_YEARS, ca=True)
    cert = _certificate(signing_name, key, ca_name, ca_key, SIGNING_YEARS, ca=False)
    encryption = serialization.BestAvailableEncryption(passphrase)
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(mode=PRIVATE_DIR)
        pem = serialization.Encoding.PEM
        _write_private(temporary / PASSPHRASE, passphrase + b"\n")
        _write_private(temporary / CA_KEY, ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption))
        _write_private(temporary / CA_CERT, ca_cert.public_bytes(pem))
        _write_private(temporary / SIGNING_CERT, cert.public_bytes(pem))
        _write_private(temporary / SIGNING_P12, pkcs12.serialize_key_and_certificates(
            b"jixiao-signing", key, cert, [ca_cert], encryption))  # fmt: skip
        if folder.exists():
            folder.rmdir()  # an empty folder holds no CA; a non-empty one was refused above
        os.rename(temporary, folder)  # fails when another process put its CA there meanwhile
    except OSError as err:
        shutil.rmtree(temporary, ignore_errors=True)
        if (folder / CA_CERT).exists():
            raise CoreError("signing.ca_exists", path=folder) from None
        raise CoreError("signing.cannot_write", path=folder) from err
    os.chmod(folder, PRIVATE_DIR)
    return CaFiles(folder, ca_name.rfc4514_string(), signing_name.rfc4514_string())


# -- the signer -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Credentials:
    """The signing certificate, its key's PKCS#12, the passphrase and the trust roots (PEM)."""

    p12: bytes
    passphrase: bytes | None
    roots: tuple[bytes, ...]
    source: Path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CoreError("signing.unreadable", path=path) from err


def credentials(folder: Path | None = None, *, create: bool = False) -> Credentials:
    """The signing credentials: the configured PKCS#12 file, else the local CA in ``folder`` (the default
    database's :func:`ca_dir` when None), made first when there is none and ``create``. With a configured
    file the trust roots are the self-signed certificates it carries and the local CA's root, if any."""
    configured = os.environ.get("JIXIAO_SIGNING_P12")
    folder = folder if folder is not None else ca_dir()
    if configured:
        p12 = Path(configured)
        password_file = os.environ.get("JIXIAO_SIGNING_P12_PASSWORD_FILE")
        passphrase = _read(Path(password_file)).strip() if password_file else None
        data = _read(p12)
        try:
            _, cert, others = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError as err:
            raise CoreError("signing.p12_unreadable", path=p12) from err
        roots = tuple(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *others]
                      if c is not None and c.issuer == c.subject)  # fmt: skip
        if (folder / CA_CERT).exists():  # what the local CA signed before the corporate certificate still verifies
            roots += (_read(folder / CA_CERT),)
        return Credentials(data, passphrase, roots, p12)
    if not (folder / SIGNING_P12).exists():
        if not create:
            raise CoreError("signing.no_ca", path=folder)
        try:
            init_ca(folder)
            logger.warning("no signing certificate yet: made a local CA in %s (python -m core.admin init-ca)", folder)
        except CoreError:
            pass  # another process made it meanwhile: use theirs
    return Credentials(_read(folder / SIGNING_P12), _read(folder / PASSPHRASE).strip(),
                       (_read(folder / CA_CERT),), folder / SIGNING_P12)  # fmt: skip


@functools.lru_cache(maxsize=4)
def _signer(p12: bytes, passphrase: bytes | None):  # pyHanko's SimpleSigner
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12_data(p12, other_certs=(), passphrase=passphrase)


@functools.lru_cache(maxsize=4)
def _room(signer) -> int:  # pyHanko's SimpleSigner, itself cached by _signer
    """The room to reserve for the signature, in hex digits (two a byte of its CMS): its certificates and
    a margin. Reserving it saves pyHanko a dummy signing to measure, and a placeholder kept small keeps
    validation quick (pyHanko reads the hex string a byte at a time)."""
    certificates = [signer.signing_cert, *signer.cert_registry]
    return 2 * -(-(sum(len(c.dump()) for c in certificates) + SIGNATURE_MARGIN) // 512) * 512


def sign_pdf(data: bytes, *, folder: Path | None = None) -> bytes:
    """The PDF ``data`` signed by the organisation's signing certificate: PAdES baseline B-B, an
    incremental update, no timestamp server (``folder``: the local CA's, see :func:`credentials`)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    found = credentials(folder, create=True)
    try:
        signer = _signer(found.p12, found.passphrase)
    except ValueError as err:
        raise CoreError("signing.p12_unreadable", path=found.source) from err
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="绩效结果确认")  # fmt: skip
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        out = signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=_room(signer))
    except Exception as err:  # a PDF pyHanko cannot read or sign: said in a sentence, the cause in the log
        logger.exception("signing failed")
        raise CoreError("signing.failed") from err
    return out.getvalue()


# -- validation -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Validation:
    """A PDF's signature as validated offline: ``intact`` (the signed bytes unchanged), ``valid`` (the
    signature is the certificate's), ``trusted`` (the certificate chains to our trust root), who signed
    and when, and ``problem`` (a sentence; None when all is well)."""

    intact: bool
    valid: bool
    trusted: bool
    signer: str | None = None
    signed_at: dt.datetime | None = None
    problem: Text | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _roots(found: Credentials):  # asn1crypto certificates
    from pyhanko.keys import load_certs_from_pemder_data

    return [c for pem in found.roots for c in load_certs_from_pemder_data(pem)]


def _status(signature, roots, moment: dt.datetime | None):  # pyHanko's EmbeddedPdfSignature → its status
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", moment=moment)
    return validate_pdf_signature(signature, context)


def _expired(status) -> bool:  # pyHanko's PdfSignatureStatus
    cert = status.signing_cert
    return cert is not None and cert["tbs_certificate"]["validity"]["not_after"].native < dt.datetime.now(dt.UTC)


def validate_pdf(data: bytes, *, folder: Path | None = None) -> Validation:
    """Validate the signature of a signed PDF offline, with our CA (or the configured certificate's
    roots) as the only trust root; the whole file must be covered (nothing added after signing). A
    signing certificate expired since is checked as of the signing time the signature records (a B-B
    signature carries no timestamp; our certificates are never revoked, there is no list to revoke them)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel

    try:
        found = credentials(folder)
    except CoreError as err:
        return Validation(False, False, False, problem=Text(err.code, **err.params))
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # any parse failure of a damaged file is the same finding
        return Validation(False, False, False, problem=Text("signing.not_a_pdf"))
    if not signatures:
        return Validation(False, False, False, problem=Text("signing.unsigned"))
    roots = _roots(found)
    try:
        status = _status(signatures[-1], roots, None)
        if status.intact and status.valid and not status.trusted and _expired(status):
            status = _status(signatures[-1], roots, signatures[-1].self_reported_timestamp)
    except Exception:  # a signature too damaged to evaluate
        return Validation(False, False, False, problem=Text("signing.damaged"))
    signer = status.signing_cert.subject.native.get("common_name") if status.signing_cert else None
    signed_at = status.signer_reported_dt
    covered = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    problem = None
    if not status.intact:
        problem = Text("signing.not_intact")
    elif not status.valid:
        problem = Text("signing.invalid")
    elif not covered:
        problem = Text("signing.not_covered")
    elif not status.trusted:
        problem = Text("signing.untrusted", signer=signer or "?")
    return Validation(status.intact, status.valid, status.trusted, signer, signed_at, problem)


def certificates(folder: Path | None = None) -> tuple[bytes, tuple[bytes, ...]]:
    """The signing certificate and the trust roots, PEM (for the evidence package)."""
    found = credentials(folder)
    _, cert, _ = pkcs12.load_key_and_certificates(found.p12, found.passphrase)
    assert cert is not None
    return cert.public_bytes(serialization.Encoding.PEM), found.roots
