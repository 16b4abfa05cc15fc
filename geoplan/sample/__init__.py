"""A synthetic county shaped like Oxfordshire, written in real published file formats.

``geoplan sample OUTDIR`` (or :func:`write_sample`) writes boundaries, a DNO headroom workbook,
EPC certificates, postcodes, UPRNs, chargers, EV demand, car parks, roads, land cover,
exclusions and emissions for an invented county with Oxfordshire's five districts and towns,
so every geoplan reader can be tried offline on realistic sizes. Everything is synthetic and
the same scale and seed give byte-identical files. One module per file family:

* :mod:`~geoplan.sample.places`: hand-drawn geography (districts, towns, rivers, roads);
* :mod:`~geoplan.sample.county`: district and zone polygons (``boundaries/``);
* :mod:`~geoplan.sample.network`: the headroom workbook (``grid/``);
* :mod:`~geoplan.sample.addresses`: postcodes and homes (``postcodes/``, ``uprn/``);
* :mod:`~geoplan.sample.dwellings`, :mod:`~geoplan.sample.epc_text`,
  :mod:`~geoplan.sample.epc`: EPC certificates (``epc/``);
* :mod:`~geoplan.sample.ev`, :mod:`~geoplan.sample.car_parks`: ``ev/`` and ``sites/``;
* :mod:`~geoplan.sample.roads`, :mod:`~geoplan.sample.land_cover`,
  :mod:`~geoplan.sample.emissions`: ``roads/``, ``land/``, ``emissions/``;
* :mod:`~geoplan.sample.build`, :mod:`~geoplan.sample.readme`: the folder, README.md and
  sample.json.
"""

from __future__ import annotations

from geoplan.sample.build import DEFAULT_SEED, SCALES, Sample, Scale, write_sample

__all__ = ["DEFAULT_SEED", "SCALES", "Sample", "Scale", "write_sample"]
