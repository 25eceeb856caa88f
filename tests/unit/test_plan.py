"""Whole plans for the UK pack: regimen choice, exact dose dates, milestones and safety warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from b12care.domain.calendar import Interval
from b12care.domain.case import Case, LabResult, Patient
from b12care.domain.errors import InputError
from b12care.domain.knowledge import Pack
from b12care.domain.plan import Plan, PlanOptions, build_plan
from b12care.domain.safety import REQUIRED_WARNINGS
from b12care.knowledge.loader import apply_overlay, load_pack
from b12care.knowledge.schema import OverlayFile

MONDAY = date(2026, 1, 5)
ADULT = Patient(birth_date=date(1970, 5, 1), sex="female")


def _pack() -> Pack:
    return load_pack("uk-nice-2024")


BASELINE = (LabResult("total_b12", Decimal("120"), "ng/L", date(2026, 1, 2)),)


def _case(**changes: object) -> Case:
    """Autoimmune gastritis with a deficient total B12 sampled before the start (NG239: test first)."""
    base = Case(start_date=MONDAY, patient=ADULT, cause="autoimmune_gastritis", labs=BASELINE)
    return replace(base, **changes)


def _plan(case: Case, maintenance_interval: Interval | None = None, pack: Pack | None = None) -> Plan:
    return build_plan(case, pack or _pack(), PlanOptions(maintenance_interval=maintenance_interval))


def _dates(plan: Plan, index: int) -> list[str]:
    return [dose.date.isoformat() for dose in plan.phases[index].doses]


def _codes(plan: Plan) -> set[str]:
    return {warning.code for warning in plan.warnings}


def _milestones(plan: Plan) -> list[tuple[str, str, str]]:
    return [(m.date.isoformat(), m.kind, m.rule_id) for m in plan.milestones]


# --- standard regimen ------------------------------------------------------------------------------


def test_pernicious_anaemia_without_neurology_gets_the_standard_regimen() -> None:
    plan = _plan(_case())

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.standard"
    assert (plan.selection.regimen.drug, plan.selection.route) == ("hydroxocobalamin", "IM")
    assert plan.lifelong is True


def test_standard_plan_from_a_monday_loads_on_monday_wednesday_friday_for_two_weeks() -> None:
    plan = _plan(_case())

    assert _dates(plan, 0) == [
        "2026-01-05",
        "2026-01-07",
        "2026-01-09",
        "2026-01-12",
        "2026-01-14",
        "2026-01-16",
    ]
    assert {str(d.dose) for d in plan.phases[0].doses} == {"1 mg"}


def test_standard_plan_maintains_every_three_months_from_the_last_loading_dose() -> None:
    plan = _plan(_case())

    maintenance = plan.phases[1]
    assert (maintenance.kind, maintenance.end, maintenance.provisional) == ("maintenance", "lifelong", False)
    assert maintenance.interval == Interval(3, "month")
    assert _dates(plan, 1) == ["2026-04-16", "2026-07-16", "2026-10-16", "2027-01-16"]


def test_standard_plan_dates_the_loading_end_three_month_and_annual_reviews() -> None:
    plan = _plan(_case())

    assert _milestones(plan) == [
        ("2026-01-16", "symptom_review", "monitoring.symptom_review.loading_end"),
        ("2026-04-05", "symptom_review", "monitoring.symptom_review.month_3"),
        ("2027-04-05", "review", "monitoring.review.annual"),
    ]


def test_a_chosen_two_month_interval_gives_two_monthly_maintenance() -> None:
    plan = _plan(_case(), Interval(2, "month"))

    assert _dates(plan, 1) == [
        "2026-03-16",
        "2026-05-16",
        "2026-07-16",
        "2026-09-16",
        "2026-11-16",
        "2027-01-16",
    ]


@pytest.mark.parametrize("months", [4, 1])
def test_a_maintenance_interval_outside_two_to_three_months_is_allowed_and_always_warned(months: int) -> None:
    options = PlanOptions(maintenance_interval=Interval(months, "month"), interval_reason="symptoms recur")

    plan = build_plan(_case(), _pack(), options)

    assert plan.phases[1].interval == Interval(months, "month")
    warning = next(w for w in plan.warnings if w.code == "OUTSIDE_LICENCE")
    assert "licensed 2 months to 3 months" in warning.message
    assert "symptoms recur" in warning.message


def test_a_maintenance_interval_for_the_oral_dietary_regimen_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        _plan(_case(cause="dietary"), Interval(2, "month"))

    assert caught.value.field == "maintenance_interval"


# --- neurological and ocular -----------------------------------------------------------------------


def test_neurological_symptoms_choose_the_neurological_regimen() -> None:
    plan = _plan(_case(neurological_symptoms=True))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.neurological"
    assert plan.selection.situation == "neurological"


def test_neurological_plan_has_a_review_milestone_on_the_checkpoint() -> None:
    plan = _plan(_case(neurological_symptoms=True))

    assert ("2026-01-26", "review", "monitoring.open_phase.review_every") in _milestones(plan)
    assert "monitoring.open_phase.review_every" in {r.rule_id for r in plan.rationale}


def test_neurological_plan_reviews_the_open_phase_at_its_checkpoint_instead_of_a_loading_end_review() -> None:
    # docs/date-policy.md, Milestones: an open-ended phase has no end date; its checkpoint review (which
    # asks about symptoms and improvement) stands in for the end-of-loading symptom review.
    plan = _plan(_case(neurological_symptoms=True))

    milestones = _milestones(plan)
    assert ("2026-01-26", "review", "monitoring.open_phase.review_every") in milestones
    assert not any(rule == "monitoring.symptom_review.loading_end" for _, _, rule in milestones)


def test_neurological_maintenance_is_provisional_two_monthly() -> None:
    plan = _plan(_case(neurological_symptoms=True))

    maintenance = plan.phases[1]
    assert maintenance.provisional is True
    assert maintenance.interval == Interval(2, "month")
    assert _dates(plan, 1)[:2] == ["2026-03-25", "2026-05-25"]


def test_neurological_maintenance_every_three_months_is_outside_its_two_month_licence() -> None:
    plan = _plan(_case(neurological_symptoms=True), Interval(3, "month"))

    assert "OUTSIDE_LICENCE" in _codes(plan)
    assert plan.phases[1].interval == Interval(3, "month")


def test_lebers_optic_atrophy_gets_fourteen_daily_doses_then_twice_weekly() -> None:
    plan = _plan(_case(conditions=frozenset({"leber_optic_atrophy"})))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.ocular"
    assert _dates(plan, 0) == [f"2026-01-{day:02d}" for day in range(5, 19)]
    assert _dates(plan, 1) == [
        "2026-01-19",
        "2026-01-22",
        "2026-01-26",
        "2026-01-29",
        "2026-02-02",
        "2026-02-05",
    ]
    assert plan.phases[1].review_checkpoint == date(2026, 2, 9)
    assert plan.phases[2].provisional is True


def test_tobacco_amblyopia_may_choose_monthly_maintenance() -> None:
    plan = _plan(_case(conditions=frozenset({"tobacco_amblyopia"})), Interval(1, "month"))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.ocular"
    assert _dates(plan, 2)[:3] == ["2026-03-05", "2026-04-05", "2026-05-05"]
    assert len(_dates(plan, 2)) == 12


# --- prophylaxis and diet ---------------------------------------------------------------------------


def test_prophylaxis_has_no_loading_and_maintains_from_the_start_date() -> None:
    plan = _plan(_case(indication="prophylaxis", cause="gastrectomy"))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.prophylaxis"
    assert [p.kind for p in plan.phases] == ["maintenance"]
    assert _dates(plan, 0) == ["2026-01-05", "2026-04-05", "2026-07-05", "2026-10-05"]
    assert plan.lifelong is True


def test_dietary_deficiency_gets_oral_cyanocobalamin_150_micrograms_daily() -> None:
    plan = _plan(_case(cause="dietary"))

    assert plan.selection.record.id == "regimen.uk.cyanocobalamin_oral.dietary"
    assert (plan.selection.regimen.drug, plan.selection.route) == ("cyanocobalamin", "oral")
    assert plan.selection.regimen.dose.value == Decimal("150")
    assert plan.selection.regimen.dose.unit == "microgram"
    assert plan.phases[0].interval == Interval(1, "day")
    assert _dates(plan, 0) == ["2026-01-05"]
    assert plan.lifelong is False


def test_dietary_deficiency_with_injections_preferred_gets_an_initial_course_then_twice_a_year() -> None:
    plan = _plan(_case(cause="dietary", route_preference="IM"))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.dietary"
    loading = ["2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16"]
    assert _dates(plan, 0) == loading
    assert plan.phases[1].interval == Interval(6, "month")
    assert _dates(plan, 1) == ["2026-07-16", "2027-01-16"]
    assert plan.phases[1].end == "open"


def test_dietary_deficiency_with_neurological_symptoms_gets_the_neurological_regimen() -> None:
    plan = _plan(_case(cause="dietary", neurological_symptoms=True))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.neurological"
    assert plan.lifelong is False


def test_malabsorption_with_oral_preference_gets_at_least_one_milligram_a_day() -> None:
    plan = _plan(_case(cause="crohns_disease", route_preference="oral"))

    assert plan.selection.record.id == "regimen.uk.cyanocobalamin_oral.malabsorption"
    assert str(plan.selection.regimen.dose) == "1 mg"


def test_an_explicit_regimen_id_overrides_the_choice() -> None:
    plan = _plan(_case(regimen="regimen.uk.hydroxocobalamin_im.smpc_alternative"))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.smpc_alternative"
    assert plan.selection.reasons[0].rule_id == "regimen.uk.hydroxocobalamin_im.smpc_alternative"
    assert plan.selection.reasons[0].because.startswith(
        "the clinician chose regimen.uk.hydroxocobalamin_im.smpc_alternative"
    )
    assert _dates(plan, 1) == ["2026-01-24", "2026-01-31", "2026-02-07"]


def test_an_unknown_regimen_id_is_an_input_error_naming_regimen() -> None:
    with pytest.raises(InputError) as caught:
        _plan(_case(regimen="regimen.uk.nonexistent"))

    assert caught.value.field == "regimen"


# --- scope -------------------------------------------------------------------------------------------


def test_a_patient_under_sixteen_on_the_start_date_is_an_input_error() -> None:
    patient = Patient(birth_date=date(2010, 1, 6), sex="male")

    with pytest.raises(InputError) as caught:
        _plan(_case(patient=patient))

    assert caught.value.field == "patient.birth_date"
    assert "under 16" in caught.value.message


def test_a_patient_on_their_sixteenth_birthday_is_in_scope() -> None:
    patient = Patient(birth_date=date(2010, 1, 5), sex="male")

    plan = _plan(_case(patient=patient))

    assert plan.selection.record.id == "regimen.uk.hydroxocobalamin_im.standard"


def test_a_birth_date_after_the_start_date_is_an_input_error() -> None:
    patient = Patient(birth_date=date(2026, 2, 1), sex="male")

    with pytest.raises(InputError) as caught:
        _plan(_case(patient=patient))

    assert caught.value.field == "patient.birth_date"


def test_a_lab_unit_that_does_not_fit_its_test_is_an_input_error_naming_the_lab() -> None:
    labs = (LabResult("total_b12", Decimal("180"), "mg/dL", date(2025, 12, 1)),)

    with pytest.raises(InputError) as caught:
        _plan(_case(labs=labs))

    assert caught.value.field == "labs[0].unit"


# --- month ends and leap years ----------------------------------------------------------------------


def test_a_month_end_start_clamps_maintenance_dates_to_each_month_end() -> None:
    plan = _plan(_case(start_date=date(2026, 1, 31), indication="prophylaxis", cause="gastrectomy"))

    assert _dates(plan, 0) == ["2026-01-31", "2026-04-30", "2026-07-31", "2026-10-31"]


def test_a_month_end_start_of_the_standard_regimen_dates_loading_from_a_saturday() -> None:
    plan = _plan(_case(start_date=date(2026, 1, 31)))

    assert _dates(plan, 0) == [
        "2026-01-31",
        "2026-02-02",
        "2026-02-04",
        "2026-02-07",
        "2026-02-09",
        "2026-02-11",
    ]
    assert _dates(plan, 1) == ["2026-05-11", "2026-08-11", "2026-11-11", "2027-02-11"]


def test_a_two_monthly_plan_from_the_thirty_first_returns_to_the_thirty_first_after_short_months() -> None:
    plan = _plan(
        _case(start_date=date(2026, 7, 31), indication="prophylaxis", cause="gastrectomy"),
        Interval(2, "month"),
    )

    assert _dates(plan, 0) == [
        "2026-07-31",
        "2026-09-30",
        "2026-11-30",
        "2027-01-31",
        "2027-03-31",
        "2027-05-31",
    ]


def test_a_leap_year_start_on_the_twenty_ninth_of_february_dates_loading_into_march() -> None:
    plan = _plan(_case(start_date=date(2028, 2, 29)))

    assert _dates(plan, 0) == [
        "2028-02-29",
        "2028-03-02",
        "2028-03-04",
        "2028-03-07",
        "2028-03-09",
        "2028-03-11",
    ]
    assert _dates(plan, 1) == ["2028-06-11", "2028-09-11", "2028-12-11", "2029-03-11"]


def test_a_leap_day_prophylaxis_start_reviews_annually_on_the_clamped_date() -> None:
    plan = _plan(_case(start_date=date(2028, 2, 29), indication="prophylaxis", cause="gastrectomy"))

    assert _dates(plan, 0) == ["2028-02-29", "2028-05-29", "2028-08-29", "2028-11-29"]
    assert _milestones(plan) == [
        ("2028-05-29", "symptom_review", "monitoring.symptom_review.month_3"),
        ("2029-05-29", "review", "monitoring.review.annual"),
    ]


def test_prophylaxis_from_the_end_of_november_lands_on_the_leap_day() -> None:
    plan = _plan(_case(start_date=date(2027, 11, 30), indication="prophylaxis", cause="gastrectomy"))

    assert _dates(plan, 0) == ["2027-11-30", "2028-02-29", "2028-05-30", "2028-08-30"]


# --- safety warnings ---------------------------------------------------------------------------------


def test_a_minimal_case_without_any_trigger_has_no_warning() -> None:
    plan = _plan(_case(cause="gastrectomy"))

    assert plan.warnings == ()


def test_every_required_warning_is_worded_by_the_uk_pack() -> None:
    pack = _pack()

    missing = [code for code in REQUIRED_WARNINGS if f"safety.{code}" not in pack.records]

    assert missing == []


_TRIGGERED = [
    ("FOLIC_ACID_WITHOUT_B12", {"medications": frozenset({"folic_acid"})}),
    (
        "CYANOCOBALAMIN_LEBER",
        {"conditions": frozenset({"leber_optic_atrophy"}), "formulation": "cyanocobalamin"},
    ),
    ("COBALT_SENSITIVITY", {"conditions": frozenset({"cobalt_sensitivity"})}),
    ("HYPOKALAEMIA_RISK", {"conditions": frozenset({"severe_anaemia"})}),
    ("NEURO_SPECIALIST_ADVICE", {"neurological_symptoms": True}),
    ("NEURO_SPECIALIST_ADVICE", {"conditions": frozenset({"tobacco_amblyopia"})}),
    ("IM_BLEEDING_RISK", {"medications": frozenset({"anticoagulant"})}),
    ("IM_BLEEDING_RISK", {"conditions": frozenset({"bleeding_disorder"})}),
    (
        "SAMPLE_AFTER_TREATMENT_START",
        {"labs": (LabResult("total_b12", Decimal("250"), "ng/L", MONDAY),)},
    ),
    ("NITROUS_OXIDE_TESTING", {"cause": "nitrous_oxide"}),
    ("PREGNANCY", {"patient": Patient(birth_date=date(1995, 3, 3), sex="female", pregnant=True)}),
    (
        "UNCONFIRMED_SOURCE",
        {"labs": (LabResult("mma", Decimal("0.30"), "umol/L", date(2025, 12, 1)),)},
    ),
]


@pytest.mark.parametrize(
    ("code", "changes"), _TRIGGERED, ids=[f"{c}-{i}" for i, (c, _) in enumerate(_TRIGGERED)]
)
def test_a_minimal_case_with_the_trigger_raises_the_warning(code: str, changes: dict[str, object]) -> None:
    plan = _plan(_case(**changes))

    assert code in _codes(plan)
    warning = next(w for w in plan.warnings if w.code == code)
    assert warning.rule_id == f"safety.{code}"
    assert warning.message


def test_folic_acid_alone_raises_exactly_the_critical_folic_acid_warning() -> None:
    plan = _plan(_case(medications=frozenset({"folic_acid"})))

    assert [(w.code, w.severity) for w in plan.warnings] == [
        ("FOLIC_ACID_WITHOUT_B12", "critical"),
        ("GASTRIC_CANCER_RISK", "info"),
    ]


def test_severe_anaemia_adds_potassium_and_platelet_milestones_on_the_start_date() -> None:
    plan = _plan(_case(conditions=frozenset({"severe_anaemia"})))

    assert ("2026-01-05", "lab", "monitoring.potassium.initial") in _milestones(plan)
    assert ("2026-01-05", "lab", "monitoring.platelets.initial") in _milestones(plan)
    assert _codes(plan) == {"HYPOKALAEMIA_RISK", "GASTRIC_CANCER_RISK"}


def test_a_sample_after_the_start_names_the_test_and_date_in_the_warning() -> None:
    labs = (LabResult("total_b12", Decimal("250"), "ng/L", MONDAY),)

    plan = _plan(_case(labs=labs))

    warning = next(w for w in plan.warnings if w.code == "SAMPLE_AFTER_TREATMENT_START")
    assert "total_b12 on 2026-01-05" in warning.message
    assert _codes(plan) == {"SAMPLE_AFTER_TREATMENT_START", "NO_BASELINE_SAMPLE", "GASTRIC_CANCER_RISK"}


def test_a_sample_the_day_before_the_start_raises_no_sample_warning() -> None:
    labs = (LabResult("total_b12", Decimal("150"), "ng/L", date(2026, 1, 4)),)

    plan = _plan(_case(labs=labs, cause="gastrectomy"))

    assert _codes(plan) == set()


def test_an_mma_result_names_the_unconfirmed_mma_cut_off() -> None:
    labs = (LabResult("mma", Decimal("0.30"), "umol/L", date(2025, 12, 1)),)

    plan = _plan(_case(labs=labs))

    warning = next(w for w in plan.warnings if w.code == "UNCONFIRMED_SOURCE")
    assert "labs.mma.bands" in warning.message
    assert _codes(plan) == {"UNCONFIRMED_SOURCE", "DEFICIENCY_UNLIKELY_ON_RESULT", "GASTRIC_CANCER_RISK"}


def test_a_total_b12_on_a_cut_off_names_the_unconfirmed_boundary() -> None:
    labs = (LabResult("total_b12", Decimal("180"), "ng/L", date(2025, 12, 1)),)

    plan = _plan(_case(labs=labs))

    warning = next(w for w in plan.warnings if w.code == "UNCONFIRMED_SOURCE")
    assert "labs.total_b12.bands" in warning.message


def test_a_total_b12_off_the_cut_offs_raises_no_unconfirmed_warning() -> None:
    labs = (LabResult("total_b12", Decimal("179"), "ng/L", date(2025, 12, 1)),)

    plan = _plan(_case(labs=labs, cause="gastrectomy"))

    assert _codes(plan) == set()


def test_lebers_optic_atrophy_on_hydroxocobalamin_raises_no_cyanocobalamin_warning() -> None:
    plan = _plan(_case(conditions=frozenset({"leber_optic_atrophy"})))

    assert "CYANOCOBALAMIN_LEBER" not in _codes(plan)
    expected = {"NEURO_SPECIALIST_ADVICE", "NO_EXTRA_BENEFIT_FROM_HIGHER_DOSES", "GASTRIC_CANCER_RISK"}
    assert _codes(plan) == expected


def test_an_anticoagulant_with_an_oral_regimen_raises_no_bleeding_warning() -> None:
    plan = _plan(_case(cause="dietary", medications=frozenset({"anticoagulant"})))

    assert "IM_BLEEDING_RISK" not in _codes(plan)


def test_a_pregnant_patient_is_reviewed_after_one_month_not_three() -> None:
    patient = Patient(birth_date=date(1995, 3, 3), sex="female", pregnant=True)

    plan = _plan(_case(patient=patient))

    rules = {m.rule_id: m.date.isoformat() for m in plan.milestones}
    assert rules.get("monitoring.symptom_review.month_1_pregnancy") == "2026-02-05"
    assert "monitoring.symptom_review.month_3" not in rules
    assert rules.get("monitoring.review.annual") == "2027-02-05"


def test_warnings_are_sorted_critical_then_warning_then_info_whatever_the_trigger_order() -> None:
    case = _case(conditions=frozenset({"severe_anaemia"}), neurological_symptoms=True)

    plan = _plan(case)

    assert [(w.code, w.severity) for w in plan.warnings] == [
        ("NEURO_SPECIALIST_ADVICE", "critical"),
        ("HYPOKALAEMIA_RISK", "warning"),
        ("NO_EXTRA_BENEFIT_FROM_HIGHER_DOSES", "info"),
        ("GASTRIC_CANCER_RISK", "info"),
    ]


def test_an_overlay_record_used_by_the_plan_raises_the_local_overlay_warning() -> None:
    overlay = OverlayFile.model_validate(
        {
            "overlay": {"id": "test-site", "version": "1", "pack": "uk-nice-2024"},
            "records": [
                {
                    "id": "monitoring.open_phase.review_every",
                    "kind": "interval",
                    "description": "Review open phases every 2 weeks",
                    "citations": ["b12care-local-policy"],
                    "verification": "local_policy",
                    "values": {"2024-03-06": "2w"},
                }
            ],
        }
    )
    pack = apply_overlay(_pack(), overlay)

    plan = _plan(_case(neurological_symptoms=True), pack=pack)

    assert plan.phases[0].review_checkpoint == date(2026, 1, 19)
    warning = next(w for w in plan.warnings if w.code == "LOCAL_OVERLAY_APPLIED")
    assert "monitoring.open_phase.review_every" in warning.message


def test_an_anaemic_patient_gets_reticulocytes_within_7_to_10_days_and_a_blood_count_at_8_weeks() -> None:
    plan = _plan(_case(anaemic=True))

    labs = {m.rule_id: (m.date.isoformat(), m.due_by) for m in plan.milestones if m.kind == "lab"}
    assert labs == {
        "monitoring.reticulocytes.early": ("2026-01-12", date(2026, 1, 15)),
        "monitoring.fbc.week_8": ("2026-03-02", None),
        "monitoring.potassium.initial": ("2026-01-05", None),
        "monitoring.platelets.initial": ("2026-01-05", None),
    }
