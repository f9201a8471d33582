"""Each checklist rule on small hand-made cases: it fires when it should and not otherwise."""

from __future__ import annotations

from lantern.review import load_checklist, not_checked, review_cases

ADULT = {"dob": "1980-01-01", "ethnicity": "W1"}
CHILD = {"dob": "2009-03-01"}


def _rules(ws, case, crime_ref: str) -> dict[str, list]:
    case.resolve()
    found: dict[str, list] = {}
    for f in review_cases(case.conn, case.case_id):
        if f.crime == crime_ref:
            found.setdefault(f.rule, []).append(f)
    return found


def test_the_checklist_is_versioned_and_every_rule_says_why():
    checklist = load_checklist()
    assert checklist.version
    ids = {r.id for r in checklist.rules}
    assert {"suspect-not-interviewed", "nfa-named-suspect", "victim-account-not-taken", "victim-age-unrecorded",
            "suspect-ethnicity-nationality-unrecorded", "intelligence-not-actioned", "victim-blaming-language",
            "links-not-made"} <= ids
    assert all(r.why and r.severity in ("high", "medium", "low") for r in checklist.rules)
    assert all(r.checkable or r.not_checkable for r in checklist.rules)


def test_nfa_with_a_named_suspect_fires_and_a_charge_does_not(hand_case):
    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "no_further_action", [("S1", ADULT)], ("V1", CHILD))
    case.crime("fa", "CR2", "2023-01-01", "charged", [("S2", ADULT)], ("V2", CHILD))
    case.crime("fa", "CR3", "2023-01-01", "no_further_action", [], ("V3", CHILD))
    assert "nfa-named-suspect" in _rules(ws, case, "CR1")
    assert "nfa-named-suspect" not in _rules(ws, case, "CR2")
    assert "nfa-named-suspect" not in _rules(ws, case, "CR3")


def test_a_suspect_with_a_later_custody_record_counts_as_interviewed(hand_case):
    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "ongoing", [("S1", ADULT)], ("V1", CHILD))
    case.crime("fa", "CR2", "2023-01-01", "ongoing", [("S2", ADULT)], ("V2", CHILD))
    case.event("Custody", "fa", "CU1", "2023-02-01", "S1")
    case.event("Custody", "fa", "CU2", "2022-01-01", "S2")  # before the crime: not an interview about it
    assert "suspect-not-interviewed" not in _rules(ws, case, "CR1")
    fired = _rules(ws, case, "CR2")["suspect-not-interviewed"]
    assert fired[0].people == ("S2",) and fired[0].force == "fa" and fired[0].records


def test_a_victim_with_no_age_or_dob_fires_and_the_victim_is_not_named(hand_case):
    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "ongoing", [("S1", ADULT)], ("V1", {"name": "Tilly Example"}))
    case.crime("fa", "CR2", "2023-01-01", "ongoing", [("S2", ADULT)], ("V2", {"age": "14"}))
    fired = _rules(ws, case, "CR1")["victim-age-unrecorded"]
    assert fired[0].victims == ("V1",) and "Tilly" not in fired[0].detail
    assert "victim-age-unrecorded" not in _rules(ws, case, "CR2")


def test_unrecorded_ethnicity_fires_only_where_the_force_records_it_for_others(hand_case):
    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "ongoing", [("S1", ADULT)])
    case.crime("fa", "CR2", "2023-01-01", "ongoing", [("S2", {"dob": "1980-01-01"})])
    case.crime("fb", "CR3", "2023-01-01", "ongoing", [("S3", {"dob": "1980-01-01"})])  # fb never records it
    assert "suspect-ethnicity-nationality-unrecorded" not in _rules(ws, case, "CR1")
    fired = _rules(ws, case, "CR2")["suspect-ethnicity-nationality-unrecorded"]
    assert "ethnicity" in fired[0].detail and "nationality" not in fired[0].detail
    assert "suspect-ethnicity-nationality-unrecorded" not in _rules(ws, case, "CR3")


def test_intelligence_with_no_later_action_fires(hand_case):
    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "ongoing", [("S1", ADULT)])
    case.crime("fa", "CR2", "2023-01-01", "ongoing", [("S2", ADULT)])
    case.event("IntelligenceReport", "fa", "IR1", "2023-03-01", "S1")
    case.event("IntelligenceReport", "fa", "IR2", "2023-03-01", "S2")
    case.event("Stop", "fa", "ST2", "2023-04-01", "S2")
    fired = _rules(ws, case, "CR1")["intelligence-not-actioned"]
    assert "IR1" in fired[0].detail
    assert "intelligence-not-actioned" not in _rules(ws, case, "CR2")


def test_links_not_made_needs_resolution_to_join_what_the_force_did_not(hand_case):
    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "ongoing", [("S1", ADULT)])
    case.crime("fb", "CR9", "2023-05-01", "ongoing", [("S1", ADULT)])  # another force's record of S1
    case.crime("fa", "CR2", "2023-01-01", "ongoing", [("S2", ADULT)])
    case.crime("fa", "CR3", "2023-02-01", "ongoing", [("S2", ADULT)])  # the same force reference: linked
    fired = _rules(ws, case, "CR1")["links-not-made"]
    assert "CR9" in fired[0].detail
    assert "links-not-made" not in _rules(ws, case, "CR2")


def test_victim_blaming_language_needs_an_extraction_and_fires_from_it(hand_case):
    from lantern.text.service import run_extraction

    ws, case = hand_case
    case.crime("fa", "CR1", "2023-01-01", "no_further_action", [("S1", ADULT)], ("V1", CHILD),
               summary="Victim is streetwise and making her own choices.")
    case.crime("fa", "CR2", "2023-01-01", "no_further_action", [("S2", ADULT)], ("V2", CHILD),
               summary="Victim spoken to at home; account taken.")
    case.resolve()
    assert {n.rule for n in not_checked(case.conn, case.case_id)} == {"victim-account-not-taken",
                                                                      "victim-blaming-language"}
    run_extraction(case.conn, case.case_id, "t")
    assert {n.rule for n in not_checked(case.conn, case.case_id)} == {"victim-account-not-taken"}
    by_crime = {f.crime for f in review_cases(case.conn, case.case_id) if f.rule == "victim-blaming-language"}
    assert by_crime == {"CR1"}
