"""Reports: the supply-security brief (terminal and self-contained HTML)."""

from minsec.report.brief import Brief, build_brief, print_brief, write_html

__all__ = ["Brief", "build_brief", "print_brief", "write_html"]
