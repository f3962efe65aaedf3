"""Sign a PDF with the service's current key (pyHanko, PAdES baseline B-B, ECDSA P-256/SHA-256).

pyHanko is used because it writes PAdES signatures that independent validators accept (poppler's
`pdfsig`, Acrobat, pyHanko's own validator) and can embed files in the same incremental update, so
the signature covers them. The signature's CMS carries the signing certificate and the CA, and the
attachments (for letters: the signed facts as JSON) sit inside the signed byte range: the PDF plus
the CA certificate suffice for an offline check.
"""

import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signing.service import current_signer

SCHEME = "pades-b-b"  # PAdES baseline B-B: no time stamp, no revocation data
FIELD_NAME = "IMWU"


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the signed PDF (the document's EmbeddedFiles name tree)."""

    name: str
    data: bytes
    mime_type: str
    description: str


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    key_id: str
    certificate_fingerprint: str
    scheme: str = SCHEME


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _embed(writer: IncrementalPdfFileWriter, attachment: Attachment) -> None:
    stream = embed.EmbeddedFileObject.from_file_data(
        writer, data=attachment.data, mime_type=attachment.mime_type
    )
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=attachment.name,
            file_name=attachment.name,
            embedded_data=stream,
            description=attachment.description,
        ),
    )


def sign_pdf(
    pdf: bytes, *, reason: str, contact_info: str, attachments: tuple[Attachment, ...] = ()
) -> SignedPdf:
    """`pdf` with `attachments` embedded and an invisible PAdES signature over all of it."""
    signer = current_signer()
    key = asn1_keys.PrivateKeyInfo.load(
        signer.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca = _asn1_certificate(signer.ca)
    cms_signer = signers.SimpleSigner(
        signing_cert=_asn1_certificate(signer.certificate),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([ca]),  # type: ignore[no-untyped-call]
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True)
    for attachment in attachments:
        _embed(writer, attachment)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        contact_info=contact_info,
        embed_validation_info=False,
    )
    out = signers.sign_pdf(writer, meta, signer=cms_signer)
    return SignedPdf(
        pdf=out.getvalue(), key_id=signer.key_id, certificate_fingerprint=signer.fingerprint
    )
