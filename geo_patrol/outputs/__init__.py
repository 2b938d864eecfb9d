"""What people read: every document the workflows write.

From a plan directory (or a plan in memory, through :class:`geo_patrol.io.plandir.PlanFiles`):
the coverage map (:mod:`~geo_patrol.outputs.map`, its data :mod:`~geo_patrol.outputs.map_data`),
the workbook (:mod:`~geo_patrol.outputs.workbook`) and the duty sheets
(:mod:`~geo_patrol.outputs.duty_sheets`). From a workflow's own figures: the what-if charts
(:mod:`~geo_patrol.outputs.charts`), the semester's documents (:mod:`~geo_patrol.outputs.term_report`,
:mod:`~geo_patrol.outputs.school_sheets`), the area summary's (:mod:`~geo_patrol.outputs.area_report`)
and what ``inspect`` prints (:mod:`~geo_patrol.outputs.inspect_report`,
:mod:`~geo_patrol.outputs.text_table`). Each file is written atomically.
"""
