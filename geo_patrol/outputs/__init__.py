"""What people read: the coverage map, the workbook, the duty sheets and the what-if charts.

Each works from a plan directory (or a plan in memory) through
:class:`geo_patrol.io.plandir.PlanFiles`, and writes its file atomically.
"""
