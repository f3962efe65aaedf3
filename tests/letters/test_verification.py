"""Verification codes and the canonical JSON of the facts embedded in a letter."""

from datetime import date

import pytest

from app.letters import verification as v
from app.letters.facts import facts_dict
from tests.letters.test_render import make_facts


@pytest.fixture(scope="module")
def facts() -> dict[str, object]:
    return facts_dict(make_facts())


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
