"""Reports: the supply-security brief and the mineral and incident briefings.

HTML is self-contained (inline CSS and SVG or PNG); :mod:`minsec.report.pdf` prints it to
PDF with Chromium.
"""

from minsec.report.brief import Brief, build_brief, print_brief, write_html
from minsec.report.incident_brief import IncidentBriefing, render_incident_brief
from minsec.report.mineral_brief import (
    MineralBriefing,
    build_mineral_brief,
    print_mineral_brief,
    write_mineral_html,
)
from minsec.report.pdf import ChromiumMissingError, html_to_pdf

__all__ = [
    "Brief",
    "ChromiumMissingError",
    "IncidentBriefing",
    "MineralBriefing",
    "build_brief",
    "build_mineral_brief",
    "html_to_pdf",
    "print_brief",
    "print_mineral_brief",
    "render_incident_brief",
    "write_html",
    "write_mineral_html",
]
