"""Verification codes, canonical JSON and Ed25519 signatures over the facts and the PDF hash."""

import hashlib
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.letters import verification as v
from app.letters.facts import facts_dict
from app.letters.render import render_letter
from tests.letters.test_render import make_facts

SECRET = "a-test-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return v.signing_key_from_secret(SECRET)


@pytest.fixture(scope="module")
def facts() -> dict[str, object]:
    return facts_dict(make_facts())


DIGEST = hashlib.sha256(b"%PDF-1.4 letter").hexdigest()


class TestVerificationCode:
    def test_codes_are_grouped_from_the_unambiguous_alphabet(self) -> None:
        code = v.new_verification_code()
        assert len(code) == 14
        assert code[4] == code[9] == "-"
        assert set(code.replace("-", "")) <= set(v.CODE_ALPHABET)
        assert not set("01OI") & set(v.CODE_ALPHABET)
        assert len(v.CODE_ALPHABET) ** v.CODE_LENGTH == 2**60

    def test_codes_are_unique_over_10000_draws(self) -> None:
        assert len({v.new_verification_code() for _ in range(10_000)}) == 10_000

    @pytest.mark.parametrize(
        "typed",
        ["K7QM-2ZXP-HD4W", "k7qm-2zxp-hd4w", "K7QM2ZXPHD4W", " k7qm 2zxp hd4w ", "K7QM--2ZXP-HD4W"],
    )
    def test_typed_codes_normalize(self, typed: str) -> None:
        assert v.normalize_code(typed) == "K7QM-2ZXP-HD4W"

    @pytest.mark.parametrize(
        "typed",
        [
            "",
            "K7QM-2ZXP-HD4",
            "K7QM-2ZXP-HD4WX",
            "K7QM-2ZXP-HD0W",
            "K7QM-2ZXP-HDOW",
            "K7QM-2ZXP-HD4É",
            "K7QM_2ZXP_HD4W",
        ],
    )
    def test_malformed_codes_are_none(self, typed: str) -> None:
        assert v.normalize_code(typed) is None

    def test_new_codes_are_already_normal(self) -> None:
        code = v.new_verification_code()
        assert v.normalize_code(code) == code


class TestCanonicalJson:
    def test_key_order_does_not_matter(self) -> None:
        one = {"b": 1, "a": {"y": [1, 2], "x": "é"}}
        two = {"a": {"x": "é", "y": [1, 2]}, "b": 1}
        assert v.canonical_json(one) == v.canonical_json(two)
        assert v.canonical_json(one) == '{"a":{"x":"é","y":[1,2]},"b":1}'.encode()

    def test_letter_facts_are_canonical(self, facts: dict[str, object]) -> None:
        reordered = dict(reversed(list(facts.items())))
        assert v.canonical_json(reordered) == v.canonical_json(facts)
        assert "Lefèvre-Ångström".encode() in v.canonical_json(facts)

    def test_values_json_cannot_state_exactly_are_refused(self) -> None:
        with pytest.raises(TypeError):
            v.canonical_json({"day": date(2026, 1, 1)})
        with pytest.raises(ValueError, match="Out of range float"):
            v.canonical_json({"x": float("nan")})


class TestSigningKey:
    def test_derivation_is_deterministic(self, key: Ed25519PrivateKey) -> None:
        again = v.signing_key_from_secret(SECRET)
        assert v.public_key_pem(again) == v.public_key_pem(key)
        assert v.public_key_id(again) == v.public_key_id(key)

    def test_another_secret_gives_another_key(self, key: Ed25519PrivateKey) -> None:
        other = v.signing_key_from_secret(SECRET + "x")
        assert v.public_key_id(other) != v.public_key_id(key)

    def test_empty_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="empty"):
            v.signing_key_from_secret("")

    def test_public_key_pem_round_trips(self, key: Ed25519PrivateKey) -> None:
        pem = v.public_key_pem(key)
        assert pem.startswith("-----BEGIN PUBLIC KEY-----")
        loaded = v.load_public_key_pem(pem)
        assert v.public_key_id(loaded) == v.public_key_id(key)
        assert len(v.public_key_id(key)) == 16


class TestSignature:
    def test_round_trip(self, key: Ed25519PrivateKey, facts: dict[str, object]) -> None:
        signature = v.sign(key, facts, DIGEST)
        assert len(signature) == 86
        assert "=" not in signature
        assert v.verify_signature(key.public_key(), facts, DIGEST, signature)

    def test_offline_check_of_a_rendered_letter(self, key: Ed25519PrivateKey) -> None:
        letter = make_facts()
        pdf = render_letter(letter)
        signature = v.sign(key, facts_dict(letter), v.pdf_sha256(pdf))
        public = v.load_public_key_pem(v.public_key_pem(key))
        assert v.verify_signature(
            public, facts_dict(letter), hashlib.sha256(pdf).hexdigest(), signature
        )
        tampered = pdf.replace(b"/Creator", b"/Creatox")
        assert tampered != pdf
        assert not v.verify_signature(public, facts_dict(letter), v.pdf_sha256(tampered), signature)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("passport_number", "C01X00T48"),
            ("worker_date_of_birth", "1990-05-18"),
            ("outcome", "negative"),
        ],
    )
    def test_changing_one_fact_breaks_it(
        self, key: Ed25519PrivateKey, facts: dict[str, object], field: str, value: str
    ) -> None:
        signature = v.sign(key, facts, DIGEST)
        assert not v.verify_signature(key.public_key(), {**facts, field: value}, DIGEST, signature)

    def test_changing_the_pdf_hash_breaks_it(
        self, key: Ed25519PrivateKey, facts: dict[str, object]
    ) -> None:
        signature = v.sign(key, facts, DIGEST)
        other = hashlib.sha256(b"another pdf").hexdigest()
        assert not v.verify_signature(key.public_key(), facts, other, signature)

    def test_another_key_does_not_verify(
        self, key: Ed25519PrivateKey, facts: dict[str, object]
    ) -> None:
        signature = v.sign(key, facts, DIGEST)
        other = v.signing_key_from_secret("another secret").public_key()
        assert not v.verify_signature(other, facts, DIGEST, signature)

    @pytest.mark.parametrize("signature", ["", "not base64!", "AAAA", "é" * 86])
    def test_garbage_signatures_are_false(
        self, key: Ed25519PrivateKey, facts: dict[str, object], signature: str
    ) -> None:
        assert not v.verify_signature(key.public_key(), facts, DIGEST, signature)

    def test_malformed_pdf_hash_is_refused_when_signing(
        self, key: Ed25519PrivateKey, facts: dict[str, object]
    ) -> None:
        with pytest.raises(ValueError, match="pdf_sha256"):
            v.sign(key, facts, DIGEST.upper())

    def test_payload_is_the_canonical_json_of_facts_and_hash(
        self, facts: dict[str, object]
    ) -> None:
        payload = v.signed_payload(facts, DIGEST)
        assert payload == v.canonical_json({"pdf_sha256": DIGEST, "facts": facts})
        assert payload.startswith(b'{"facts":{')
