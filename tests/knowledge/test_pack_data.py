"""Tests over the knowledge data itself: every pack loads, is cited, consistent and hash-checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from b12care.domain.case import Case, Patient
from b12care.domain.forecast import FLAG_CODES
from b12care.domain.knowledge import AnalyteUnits, Bands, Codes, MilestoneDef, Pack, RegimenDef, WarningDef
from b12care.domain.milestones import MILESTONE_CONDITIONS
from b12care.domain.regimen import SITUATIONS, situations_for
from b12care.domain.safety import KNOWN_WARNINGS, REQUIRED_WARNINGS
from b12care.domain.vocabulary import Cause, Test, codes_of
from b12care.knowledge import list_packs, load_pack, pack_directory
from b12care.knowledge.loader import PACKS_ROOT, compute_hash

PACK_IDS = [summary.id for summary in list_packs()]
KNOWN_UNITS = {
    "ng/L", "pg/mL", "pmol/L", "umol/L", "nmol/L", "nmol/mL", "ug/L", "ng/mL", "g/L", "g/dL", "fL",
    "mmol/L", "mEq/L", "%", "10*9/L", "10^9/L", "g/mol", "year", "mg", "microgram",
}  # fmt: skip


@pytest.fixture(params=PACK_IDS)
def pack(request: pytest.FixtureRequest) -> Pack:
    return load_pack(request.param)


def test_the_three_national_packs_are_shipped_with_uk_as_default() -> None:
    summaries = {s.id: s for s in list_packs()}
    assert {"uk-nice-2024", "us-fda-label", "nl-nhg-2014"} <= set(summaries)
    assert [s.id for s in summaries.values() if s.default] == ["uk-nice-2024"]


def _folders(pack: Pack) -> list[Path]:
    """The pack's own folder and, when it extends one, its base's folder."""
    directory = pack_directory(pack.id)
    manifest = yaml.safe_load((directory / "manifest.yaml").read_text())
    base = manifest.get("extends")
    return [directory] + ([PACKS_ROOT / base.replace("@", "/")] if base else [])


def test_manifest_hash_matches_the_pack_files_and_its_base(pack: Pack) -> None:
    directory, *bases = _folders(pack)
    manifest = yaml.safe_load((directory / "manifest.yaml").read_text())
    own = [name for name in manifest["files"] if (directory / name).is_file()]
    extends = None
    for base in bases:
        base_manifest = yaml.safe_load((base / "manifest.yaml").read_text())
        assert compute_hash(base, base_manifest["files"]) == base_manifest["content_hash"]
        assert manifest["base_hash"] == base_manifest["content_hash"]
        extends = f"{manifest['extends']} {base_manifest['content_hash']}"
    assert compute_hash(directory, own, extends) == manifest["content_hash"] == pack.content_hash


def test_every_pack_file_is_listed_in_its_manifest(pack: Pack) -> None:
    for directory in _folders(pack):
        manifest = yaml.safe_load((directory / "manifest.yaml").read_text())
        on_disk = {p.name for p in Path(directory).glob("*.yaml")} - {"manifest.yaml"}
        assert on_disk <= set(manifest["files"])


def test_record_ids_are_unique_within_the_pack_and_within_its_base(pack: Pack) -> None:
    every: set[str] = set()
    for directory in _folders(pack):
        ids: list[str] = []
        for path in sorted(directory.glob("*.yaml")):
            data = yaml.safe_load(path.read_text())
            ids += [record["id"] for record in data.get("records", [])] if isinstance(data, dict) else []
        assert len(ids) == len(set(ids))
        every |= set(ids)
    assert every == set(pack.records)


def test_every_record_is_cited_with_known_citations_and_a_grade(pack: Pack) -> None:
    for record in pack.records.values():
        assert record.citations, record.id
        assert set(record.citations) <= set(pack.citations), record.id
        for conflict in record.conflicts:
            assert set(conflict.citations) <= set(pack.citations), record.id
        assert record.verification in {"publisher", "copy", "secondary", "lab_reference", "derived",
                                       "local_policy", "unconfirmed"}  # fmt: skip


def test_every_citation_has_title_publisher_year_and_url(pack: Pack) -> None:
    for citation in pack.citations.values():
        assert citation.title and citation.publisher and citation.url
        assert 1990 <= citation.year <= 2030


def test_every_unit_named_by_a_record_is_known(pack: Pack) -> None:
    for record in pack.records.values():
        assert record.unit is None or record.unit in KNOWN_UNITS, record.id
        for _, value in record.values:
            if isinstance(value, AnalyteUnits):
                assert set(value.units) <= KNOWN_UNITS, record.id
            if isinstance(value, RegimenDef):
                assert value.dose.unit in KNOWN_UNITS, record.id


def test_every_test_of_the_contract_has_units(pack: Pack) -> None:
    for test in codes_of(Test):
        assert pack.find(f"units.{test}", AnalyteUnits) is not None, test


def test_cobalamin_factor_reproduces_the_published_pairs(pack: Pack) -> None:
    units = pack.record("units.total_b12", AnalyteUnits).values[0][1]
    factor = units.groups[0].factors["ng/L"]
    assert (Decimal(180) * factor).quantize(Decimal("0.1")) == Decimal("132.8")
    assert (Decimal(350) * factor).quantize(Decimal("0.1")) == Decimal("258.2")
    assert (Decimal(200) * factor).quantize(Decimal("0.1")) == Decimal("147.6")


def test_thresholds_are_ordered_and_their_units_fit_the_analyte(pack: Pack) -> None:
    for record in pack.of_kind(Bands):
        for _, bands in record.values:
            assert bands.lower <= bands.upper, record.id
            units = pack.record(f"units.{bands.analyte}", AnalyteUnits).values[0][1]
            assert bands.unit in units.units, record.id


def test_effective_dates_rise_within_each_record(pack: Pack) -> None:
    for record in pack.records.values():
        days = [day for day, _ in record.values]
        assert days == sorted(days) and len(days) == len(set(days)), record.id


def test_every_required_warning_is_worded_by_the_pack(pack: Pack) -> None:
    for code in REQUIRED_WARNINGS:
        assert pack.find(f"safety.{code}", WarningDef) is not None, code


def test_every_warning_record_is_one_the_engine_can_raise(pack: Pack) -> None:
    for record in pack.of_kind(WarningDef):
        family, code = record.id.split(".", 1)
        assert code in {"safety": KNOWN_WARNINGS, "forecast": frozenset(FLAG_CODES)}[family], record.id


def test_every_forecast_flag_is_worded_by_the_pack(pack: Pack) -> None:
    for code in FLAG_CODES:
        assert pack.find(f"forecast.{code}", WarningDef) is not None, code


def test_regimens_name_only_known_situations_and_someone_serves_standard(pack: Pack) -> None:
    served: set[str] = set()
    for record in pack.of_kind(RegimenDef):
        for _, regimen in record.values:
            assert set(regimen.use_for) <= SITUATIONS, record.id
            assert set(regimen.alternative_for) <= SITUATIONS, record.id
            served |= set(regimen.use_for)
            for phase in regimen.phases:
                if phase.interval_range is not None and phase.interval is not None:
                    low, high = phase.interval_range
                    assert low.sort_key() <= phase.interval.sort_key() <= high.sort_key(), record.id
    assert "standard" in served


def test_milestones_use_known_conditions(pack: Pack) -> None:
    for record in pack.of_kind(MilestoneDef):
        for _, milestone in record.values:
            assert set(milestone.when) <= MILESTONE_CONDITIONS, record.id


def test_lifelong_causes_are_causes_of_the_contract(pack: Pack) -> None:
    codes = pack.record("regimen.lifelong_causes", Codes).values[0][1].codes
    assert codes <= set(codes_of(Cause))


def test_situations_always_end_with_standard() -> None:
    case = Case(date(2026, 1, 5), Patient(date(1970, 1, 1), "female"), "dietary", route_preference="IM")
    assert situations_for(case)[-1] == "standard"
