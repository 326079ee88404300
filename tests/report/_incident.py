"""A hand-built incident briefing shared by the report tests."""

from __future__ import annotations

import datetime as dt

from minsec.report.incident_brief import (
    Action,
    AssessmentSnapshot,
    Clock,
    Decision,
    IncidentBriefing,
    PartnerImpact,
    ResponseRow,
    SourceRef,
)

AS_OF = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)


def sample_incident() -> IncidentBriefing:
    """China's December 2024 ban on gallium/germanium exports to the US, as an incident."""
    return IncidentBriefing(
        incident_id="INC-2024-017",
        title="China bans gallium and germanium exports to the United States",
        exporter="CHN",
        commodities=("gallium", "germanium"),
        measure="MOFCOM Announcement No. 46 of 2024: ban on dual-use exports to the US",
        effective_date=dt.date(2024, 12, 3),
        source_link="https://www.mofcom.gov.cn/zcfb/zc/art/2024/art_example.html",
        status="response active",
        summary="Allied partners assess shortfalls and coordinate releases.",
        as_of=AS_OF,
        impacts=[
            PartnerImpact("USA", 212.5, 48.25, 310.0, 151_000_000.0, ("run-3", "baci")),
            PartnerImpact("JPN", 31.0, 12.5, 310.0, 22_000_000.0, ("run-3", "baci")),
            PartnerImpact("KOR", None, None, None, None, ("baci",), note="trade data pending"),
        ],
        response=[
            ResponseRow("USA", "JOGMEC release to the US", 40.0, 48.25, 21.75, ("run-3",)),
        ],
        actions=[
            Action("Confirm stockpile volumes", "JPN METI", "J. Sato", dt.date(2025, 1, 8)),
            Action("Draft joint statement", "USA DOS", "A. Lee", dt.date(2025, 1, 20)),
            Action("Share trade data", "KOR MOTIE", "K. Park", dt.date(2025, 1, 5), "done"),
        ],
        decisions=[
            Decision(
                "Activate allied sharing",
                "US-Japan coordination group",
                "shortfall above 25 % for the US",
                dt.datetime(2024, 12, 10, 9, 30, tzinfo=dt.UTC),
            ),
        ],
        clocks=[
            Clock("Notify partners (48 h)", dt.datetime(2024, 12, 5, 9, 0, tzinfo=dt.UTC), "met"),
            Clock("Ministerial call", dt.date(2025, 1, 9), "open", "agenda not agreed"),
            Clock("WTO consultation window", dt.date(2025, 2, 1), "open"),
        ],
        history=[
            AssessmentSnapshot(
                dt.date(2024, 12, 4), "analyst A", "first estimate", 35.0, 150.0, ("run-1",)
            ),
            AssessmentSnapshot(
                dt.date(2024, 12, 20), "analyst B", "HS17 data added", 48.25, 310.0, ("run-3",)
            ),
        ],
        sources=[
            SourceRef(
                "baci",
                "BACI bilateral trade",
                "CEPII",
                "HS17 V202501",
                "baci-hs17-v202501",
                "ab" * 32,
                "Etalab 2.0",
                "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
            ),
            SourceRef("run-1", "minsec scenario run 1", "minsec disruption engine"),
            SourceRef(
                "run-3",
                "minsec scenario run 3",
                "minsec disruption engine",
                store_source="baci-hs17-v202501",
                sha256="ab" * 32,
            ),
        ],
    )
