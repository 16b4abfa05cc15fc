"""Files: atomic writes, run folders that are replaced whole, and what geoplan owns.

The bottom of the package with :mod:`geoplan.errors` and :mod:`geoplan.schemas`: every stage
writes through here, so an interrupted or failed write leaves nothing half-written, and
nothing is replaced that geoplan did not write.
"""

from __future__ import annotations

from geoplan.files.atomic import (
    OutputWriteError,
    atomic_path,
    refuse_existing,
    refuse_inputs,
    write_csv,
    write_geopackage,
)
from geoplan.files.run_folder import RunFolder

__all__ = ["OutputWriteError", "RunFolder", "atomic_path", "refuse_existing", "refuse_inputs",
           "write_csv", "write_geopackage"]
