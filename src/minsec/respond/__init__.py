"""Coordinated response: incidents, their assessments, actions, decisions and clocks.

The Rapid Response Group's workflow (framework commitment 10): open an incident from an
observed event or a scenario (:mod:`~minsec.respond.incidents`), assess it with the
disruption engine (shortfall, price, value at risk per partner and a proposed coordinated
response), agree typed actions with owners and due dates (:mod:`~minsec.respond.actions`),
record decisions (:mod:`~minsec.respond.decisions`), keep party-private notes
(:mod:`~minsec.respond.notes`) and watch the clocks (:mod:`~minsec.respond.clocks`).
Everything lives in the app state (:mod:`minsec.state`) and every write is audited.
"""

from __future__ import annotations

from minsec.respond.actions import Action, Actions
from minsec.respond.clocks import FRAMEWORK, SIGNED, Clock, Clocks
from minsec.respond.decisions import Decision, Decisions
from minsec.respond.incidents import Assessment, Incident, Incidents, Listed
from minsec.respond.notes import Note, Notes

__all__ = [
    "FRAMEWORK",
    "SIGNED",
    "Action",
    "Actions",
    "Assessment",
    "Clock",
    "Clocks",
    "Decision",
    "Decisions",
    "Incident",
    "Incidents",
    "Listed",
    "Note",
    "Notes",
]
