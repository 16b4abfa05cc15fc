"""``python -m geoplan.cli``: the ``geoplan`` command."""

from geoplan_launch import main

main()
