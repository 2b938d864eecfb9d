"""The roster stage: who is on duty.

- :mod:`geo_patrol.roster.teams`: one school day's post duties and the officer teams that staff
  them (team labels per station, role and period: the plan's ``rosters.csv``).
- :mod:`geo_patrol.roster.named`: the term's named roster — the officers of the officers table
  put into those team labels date by date, a week at a time as a min-cost flow, and a planner's
  hand edits of ``roster_by_date.csv`` checked against the rules.
- :mod:`geo_patrol.roster.staffing`: per week, station and role, the people the roster slots
  need under the weekly cap against the people there are (``staffing_by_week.csv``).
"""
