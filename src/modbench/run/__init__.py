"""Running measurements: plan specs (:mod:`.plan`), measure each in a worker (:mod:`.worker`), keep them as a run (:mod:`.session`).

The package imports none of its parts: every measuring child imports :mod:`.worker`, and a child
has no use for the run store behind :mod:`.session` (pandas, about half a second of imports).
"""
