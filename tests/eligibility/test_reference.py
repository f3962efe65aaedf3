"""The reference set: packaged files load, validate strictly and are filtered as documented."""

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.eligibility import reference as ref
from app.eligibility.reference import (
    DATA_FILES,
    ReferenceData,
    ReferenceDataError,
    build_reference,
    category_stream,
    filter_codes,
    filter_countries,
    load_reference,
    load_reference_from,
)

DATA_DIR = Path(ref.__file__).parent / "data"
SHARED_DIR = Path("/work/shared/reference")


@pytest.fixture
def reference() -> ReferenceData:
    return load_reference()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    for name in DATA_FILES:
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _edit_json(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document), encoding="utf-8")


class TestLoad:
    def test_packaged_files_load(self, reference: ReferenceData) -> None:
        assert len(reference.codes) == 152
        assert len(reference.countries) == 79
        assert {r.name for r in reference.special_records} == {
            "British National (Overseas)",
            "British subject with right of abode in the UK",
            "British overseas citizen re-admissible to the UK",
            "Lawful permanent residents of the United States (any nationality)",
        }
        assert reference.as_of.isoformat() == "2026-02-11"

    def test_version_is_as_of_plus_hash_of_the_files(self, reference: ReferenceData) -> None:
        digest = hashlib.sha256(b"".join((DATA_DIR / n).read_bytes() for n in DATA_FILES))
        assert re.fullmatch(r"2026-02-11\+[0-9a-f]{12}", reference.version)
        assert reference.version == f"2026-02-11+{digest.hexdigest()[:12]}"

    def test_is_cached(self) -> None:
        assert load_reference() is load_reference()

    def test_loading_a_directory_gives_the_same_version(self, data_copy: Path) -> None:
        assert load_reference_from(data_copy).version == load_reference().version

    @pytest.mark.skipif(not SHARED_DIR.exists(), reason="shared reference set not mounted")
    def test_packaged_files_are_verbatim_copies(self) -> None:
        for name in DATA_FILES:
            assert (DATA_DIR / name).read_bytes() == (SHARED_DIR / name).read_bytes(), name

    def test_codes_are_keyed_in_upper_case(self, reference: ReferenceData) -> None:
        record = reference.codes["R186(A)"]
        assert record.code == "R186(a)"
        assert record.key == "R186(A)"
        assert all(key == key.upper() for key in reference.codes)

    def test_records_hold_tuples_not_lists(self, reference: ReferenceData) -> None:
        record = reference.codes["T23"]
        assert record.replaced_by == ("T36", "F12", "F22", "F32", "F42", "F52")
        assert isinstance(record.evidence, tuple)
        assert isinstance(reference.countries["MX"].conditions, tuple)

    def test_unconfirmed_fields_match_on_their_first_word(self, reference: ReferenceData) -> None:
        assert reference.codes["F10"].is_unconfirmed("evidence")
        assert reference.codes["T12"].is_unconfirmed("code")
        assert not reference.codes["T11"].is_unconfirmed("evidence")
        assert not reference.codes["T10"].is_unconfirmed("employer")


class TestValidation:
    def test_bad_enum_value_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc["records"][2]["kind"] = "lmia_exempt"

        _edit_json(data_copy / "exemption_codes.json", edit)
        with pytest.raises(ReferenceDataError, match=r"exemption_codes\.json: records\.2\.kind"):
            load_reference_from(data_copy)

    def test_missing_key_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            del doc["records"][0]["evidence"]

        _edit_json(data_copy / "exemption_codes.json", edit)
        with pytest.raises(ReferenceDataError, match=r"records\.0\.evidence: Field required"):
            load_reference_from(data_copy)

    def test_unknown_key_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc["records"][5]["surprise"] = True

        _edit_json(data_copy / "visa_exempt_countries.json", edit)
        with pytest.raises(ReferenceDataError, match=r"visa_exempt_countries\.json: records\.5"):
            load_reference_from(data_copy)

    def test_wrong_type_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc["records"][0]["poe_work_permit_eligible"] = "yes"

        _edit_json(data_copy / "visa_exempt_countries.json", edit)
        with pytest.raises(ReferenceDataError, match="poe_work_permit_eligible"):
            load_reference_from(data_copy)

    def test_bad_iso_code_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc["records"][0]["iso2"] = "and"

        _edit_json(data_copy / "visa_exempt_countries.json", edit)
        with pytest.raises(ReferenceDataError, match=r"records\.0\.iso2"):
            load_reference_from(data_copy)

    def test_duplicate_code_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc["records"][1]["code"] = doc["records"][0]["code"].lower()

        _edit_json(data_copy / "exemption_codes.json", edit)
        with pytest.raises(ReferenceDataError, match="duplicate codes R01"):
            load_reference_from(data_copy)

    def test_unknown_replacement_code_is_refused(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            superseded = next(r for r in doc["records"] if r["status"] == "superseded")
            superseded["replaced_by"] = ["Q99"]

        _edit_json(data_copy / "exemption_codes.json", edit)
        with pytest.raises(ReferenceDataError, match="unknown codes Q99"):
            load_reference_from(data_copy)

    def test_invalid_json_is_refused(self, data_copy: Path) -> None:
        (data_copy / "exemption_codes.json").write_bytes(b'{"records": [')
        with pytest.raises(ReferenceDataError, match=r"exemption_codes\.json"):
            load_reference_from(data_copy)

    def test_missing_file_is_refused(self, data_copy: Path) -> None:
        (data_copy / "rules_notes.md").unlink()
        with pytest.raises(ReferenceDataError, match=r"rules_notes\.md"):
            load_reference_from(data_copy)

    def test_notes_of_another_date_are_refused(self, data_copy: Path) -> None:
        notes = data_copy / "poe_eligibility.md"
        notes.write_text(notes.read_text(encoding="utf-8").replace("As of: 2026-02-11", "As of:"))
        with pytest.raises(ReferenceDataError, match=r"poe_eligibility\.md: missing 'As of"):
            load_reference_from(data_copy)

    def test_files_of_different_dates_are_refused(self) -> None:
        files = {name: (DATA_DIR / name).read_bytes() for name in DATA_FILES}
        countries = files["visa_exempt_countries.json"]
        files["visa_exempt_countries.json"] = countries.replace(
            b'"as_of": "2026-02-11",\n  "source"', b'"as_of": "2026-02-12",\n  "source"', 1
        )
        assert files["visa_exempt_countries.json"] != countries
        with pytest.raises(ReferenceDataError, match="different as_of dates"):
            build_reference(files)

    def test_error_does_not_echo_the_bad_value(self, data_copy: Path) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc["records"][0]["code"] = 12345

        _edit_json(data_copy / "exemption_codes.json", edit)
        with pytest.raises(ReferenceDataError) as raised:
            load_reference_from(data_copy)
        assert "12345" not in str(raised.value)


class TestCategoryStream:
    @pytest.mark.parametrize(
        ("code", "stream"),
        [
            ("T36", "trade_agreement"),
            ("C10", "significant_benefit"),
            ("C16", "significant_benefit"),
            ("C31", "significant_benefit"),
            ("T13", "significant_benefit"),
            ("C20", "reciprocal"),
            ("C21", "reciprocal"),
            ("R186(A)", "work_permit_exempt"),
            ("A70", "other"),
            ("T14", "other"),
        ],
    )
    def test_category_maps_to_stream(
        self, reference: ReferenceData, code: str, stream: str
    ) -> None:
        assert category_stream(reference.codes[code]) == stream


class TestFilterCodes:
    def test_no_filter_returns_every_code_in_file_order(self, reference: ReferenceData) -> None:
        assert filter_codes(reference) == list(reference.codes.values())

    def test_by_kind(self, reference: ReferenceData) -> None:
        codes = filter_codes(reference, kind="work_permit_exemption")
        assert len(codes) == 28
        assert {r.kind for r in codes} == {"work_permit_exemption"}

    def test_by_stream_and_status(self, reference: ReferenceData) -> None:
        codes = filter_codes(reference, stream="trade_agreement", status="superseded")
        assert [r.code for r in codes] == ["T21", "T22", "T23", "T24"]

    def test_in_scope(self, reference: ReferenceData) -> None:
        assert all(r.imwu_scope == "in_scope" for r in filter_codes(reference, in_scope=True))
        assert all(r.imwu_scope != "in_scope" for r in filter_codes(reference, in_scope=False))

    def test_query_matches_code_or_title(self, reference: ReferenceData) -> None:
        assert [r.code for r in filter_codes(reference, query=" cusma ")] == [
            "T34",
            "T35",
            "T36",
            "T37",
            "T38",
        ]
        assert [r.code for r in filter_codes(reference, query="r186(e.1")] == ["R186(e.1)"]


class TestFilterCountries:
    def test_conditional_eta(self, reference: ReferenceData) -> None:
        records = filter_countries(reference, status="conditional_eta")
        assert len(records) == 15
        assert "MX" in {r.iso2 for r in records}

    def test_special_records_are_included(self, reference: ReferenceData) -> None:
        records = filter_countries(reference, status="status_based_exempt")
        assert [r.iso2 for r in records] == [None]

    def test_poe_eligible(self, reference: ReferenceData) -> None:
        eligible = filter_countries(reference, poe_work_permit_eligible=True)
        assert len(eligible) == 83 - 15
