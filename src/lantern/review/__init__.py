"""Case review: the versioned best-practice checklist, closed cases worth reopening, and
consistency across forces (docs/review.md)."""

from lantern.review.checklist import Finding, load_checklist, not_checked, review_cases
from lantern.review.consistency import ForceRates, consistency_chart, force_rates
from lantern.review.reopen import Evidence, Lead, cases_to_reopen

__all__ = ["Evidence", "Finding", "ForceRates", "Lead", "cases_to_reopen", "consistency_chart", "force_rates",
           "load_checklist", "not_checked", "review_cases"]
