"""Demo data for 劳模工匠助企行 (fixed seeds): the libraries and demands first, then the clinic,
challenges and the service ledger, which reuse the library's craftsmen. Every part goes through
the real services and does nothing on a second run."""

from __future__ import annotations

from typing import Any

from gonghui.orgs.models import OrgUnit


def seed_demo(*, stdout: Any) -> None:
    from django.test.utils import override_settings

    from gonghui.assist.demo_challenges import seed_challenges
    from gonghui.assist.demo_clinic import seed_clinic
    from gonghui.assist.demo_ledger import seed_ledger
    from gonghui.assist.demo_library import seed_library

    district = OrgUnit.objects.filter(division_code="330199", level="district").first()
    if district is None:
        return
    # Demo people are fictional: their texts go to the outbox table only.
    with override_settings(SMS_BACKEND="gonghui.accounts.sms.LocmemSmsBackend"):
        seed_library(district=district, stdout=stdout)
        # Challenges before the clinic: a clinic escalation adds a challenge, and the challenge
        # seeder does nothing where the district already has one.
        seed_challenges(district=district, stdout=stdout)
        seed_clinic(district=district, stdout=stdout)
        seed_ledger(district=district, stdout=stdout)
