"""Where things are in the synthetic county: districts, towns, rivers and main roads.

Everything here is approximate public knowledge about Oxfordshire written down by hand: the
five district names and ONS codes, the British National Grid position (metres, EPSG:27700) and
rough size of its towns and larger villages, a coarse outline of the county and of the city of
Oxford, and the rough course of its main rivers and trunk roads. No value is copied from a data
file; every polygon is a hand-drawn sketch with a few dozen vertices.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "COUNTY_CODE",
    "COUNTY_NAME",
    "COUNTY_OUTLINE_KM",
    "DISTRICTS",
    "DISTRICT_ANCHORS_KM",
    "MAIN_ROADS_KM",
    "OXFORDSHIRE",
    "OXFORD_OUTLINE_KM",
    "RIVERS_KM",
    "TOWNS",
    "District",
    "Places",
    "Town",
    "rng_for",
]

COUNTY_NAME = "Oxfordshire"
COUNTY_CODE = "E10000025"
"""ONS code of the county (the real one: the sample is *shaped like* Oxfordshire)."""


@dataclass(frozen=True)
class District:
    """A local authority district of the county.

    Parameters
    ----------
    code : str
        ONS code (``LAD21CD``).
    name : str
        Name (``LAD21NM``).
    short : str
        Three-letter local authority code used by the emissions table.
    zones : int
        Number of synthetic LSOA-like zones to draw in it.
    """

    code: str
    name: str
    short: str
    zones: int


DISTRICTS = (
    District("E07000177", "Cherwell", "CHR", 94),
    District("E07000178", "Oxford", "OXO", 86),
    District("E07000179", "South Oxfordshire", "SOX", 90),
    District("E07000180", "Vale of White Horse", "VAL", 84),
    District("E07000181", "West Oxfordshire", "WOX", 76),
)
"""The five districts, with the number of zones each gets (430 in all)."""


@dataclass(frozen=True)
class Town:
    """A town or large village.

    Parameters
    ----------
    name : str
        Place name.
    district : str
        Code of the district it lies in.
    x, y : float
        Approximate centre, British National Grid metres.
    population : int
        Rough number of residents (drives zone density, homes, primaries, car parks).
    outward : str
        Postcode outward code used for postcodes nearest to it.
    primaries : int
        Number of primary substations drawn around it.
    """

    name: str
    district: str
    x: float
    y: float
    population: int
    outward: str
    primaries: int = 1

    @property
    def radius_m(self) -> float:
        """Rough radius of the built-up area in metres."""
        return 280.0 * float(np.sqrt(self.population / 1000.0)) + 150.0


_CHR, _OXO, _SOX, _VAL, _WOX = (d.code for d in DISTRICTS)

TOWNS = (
    Town("Oxford", _OXO, 451_300, 206_200, 162_000, "OX1", 9),
    Town("Banbury", _CHR, 445_400, 240_700, 50_000, "OX16", 4),
    Town("Bicester", _CHR, 458_300, 222_600, 37_000, "OX26", 3),
    Town("Kidlington", _CHR, 449_200, 214_100, 16_000, "OX5"),
    Town("Witney", _WOX, 435_600, 209_800, 30_000, "OX28", 2),
    Town("Carterton", _WOX, 428_000, 206_800, 16_000, "OX18"),
    Town("Chipping Norton", _WOX, 431_300, 227_100, 6_500, "OX7"),
    Town("Woodstock", _WOX, 444_500, 216_700, 3_500, "OX20"),
    Town("Eynsham", _WOX, 443_200, 209_300, 5_000, "OX29"),
    Town("Abingdon", _VAL, 449_700, 197_200, 37_000, "OX14", 3),
    Town("Didcot", _SOX, 452_400, 190_200, 33_000, "OX11", 3),
    Town("Wantage", _VAL, 439_900, 187_900, 13_000, "OX12"),
    Town("Grove", _VAL, 440_200, 190_500, 8_000, "OX12"),
    Town("Faringdon", _VAL, 428_800, 195_500, 8_000, "SN7"),
    Town("Botley", _VAL, 448_300, 205_800, 8_000, "OX2"),
    Town("Kennington", _VAL, 452_300, 202_400, 4_500, "OX1"),
    Town("Henley-on-Thames", _SOX, 476_100, 182_500, 12_000, "RG9"),
    Town("Thame", _SOX, 470_800, 205_900, 13_000, "OX9", 2),
    Town("Wallingford", _SOX, 460_700, 189_400, 12_000, "OX10"),
    Town("Wheatley", _SOX, 459_500, 205_500, 4_000, "OX33"),
    Town("Chinnor", _SOX, 475_400, 200_700, 6_000, "OX39"),
    Town("Watlington", _SOX, 469_000, 194_600, 2_800, "OX49"),
    Town("Goring", _SOX, 460_200, 180_900, 3_200, "RG8"),
    Town("Sonning Common", _SOX, 470_900, 180_400, 4_000, "RG4"),
    Town("Benson", _SOX, 461_900, 191_600, 4_800, "OX10"),
    Town("Berinsfield", _SOX, 457_600, 196_000, 2_700, "OX10"),
    Town("Chalgrove", _SOX, 463_700, 196_800, 3_000, "OX44"),
    Town("Cholsey", _SOX, 458_600, 186_600, 3_500, "OX10"),
    Town("Blewbury", _SOX, 453_000, 185_600, 1_700, "OX11"),
    Town("Burford", _WOX, 425_200, 212_300, 1_400, "OX18"),
    Town("Charlbury", _WOX, 435_800, 219_500, 2_900, "OX7"),
    Town("Bampton", _WOX, 431_400, 203_200, 2_600, "OX18"),
    Town("Enstone", _WOX, 437_600, 224_400, 1_300, "OX7"),
    Town("Kingham", _WOX, 425_800, 224_000, 1_000, "OX7"),
    Town("Bloxham", _CHR, 443_000, 235_800, 3_400, "OX15"),
    Town("Deddington", _CHR, 446_700, 231_700, 2_200, "OX15"),
    Town("Hook Norton", _CHR, 435_400, 233_200, 2_100, "OX15"),
    Town("Upper Heyford", _CHR, 449_500, 225_900, 3_000, "OX25"),
    Town("Yarnton", _CHR, 447_600, 212_000, 2_500, "OX5"),
    Town("Ambrosden", _CHR, 460_200, 219_500, 2_300, "OX25"),
    Town("Shrivenham", _VAL, 424_100, 189_200, 2_700, "SN6"),
    Town("Steventon", _VAL, 446_600, 191_900, 1_800, "OX13"),
    Town("Radley", _VAL, 452_200, 199_600, 2_500, "OX14"),
    Town("Cumnor", _VAL, 446_200, 204_200, 1_400, "OX2"),
    Town("Sutton Courtenay", _VAL, 450_400, 193_900, 2_500, "OX14"),
    Town("Harwell", _VAL, 449_200, 188_700, 2_500, "OX11"),
    Town("Kingston Bagpuize", _VAL, 440_700, 198_000, 2_500, "OX13"),
)
"""Towns and larger villages at their approximate positions (66 primaries in all)."""

COUNTY_OUTLINE_KM = (
    (445.5, 251.0), (448.5, 248.0), (450.5, 244.5), (449.0, 241.0), (449.5, 236.5),
    (450.5, 232.5), (455.5, 231.0), (461.5, 229.5), (463.0, 225.0), (462.5, 219.0),
    (464.5, 215.0), (463.0, 211.5), (463.2, 208.5), (466.5, 206.5), (469.5, 207.8),
    (472.5, 207.2), (474.2, 203.5), (476.8, 200.5), (476.2, 196.0), (474.5, 191.5),
    (476.5, 187.5), (478.2, 184.0), (477.6, 179.0), (473.5, 177.2), (469.0, 176.6),
    (464.0, 177.6), (460.0, 179.8), (456.0, 180.6), (450.0, 182.4), (444.0, 182.0),
    (437.0, 181.0), (430.0, 182.4), (424.5, 183.5), (421.0, 187.0), (421.6, 192.5),
    (421.6, 198.0), (420.5, 203.0), (420.2, 208.0), (420.6, 213.5), (421.6, 221.5),
    (424.4, 226.5), (429.0, 231.4), (432.6, 235.4), (433.6, 240.0), (436.0, 244.0),
    (440.0, 246.5), (443.0, 249.5),
)
"""A coarse sketch of the county boundary (km, British National Grid), clockwise."""

OXFORD_OUTLINE_KM = (
    (448.3, 210.2), (450.6, 211.0), (452.6, 210.1), (454.6, 209.0), (456.6, 207.3),
    (456.8, 204.5), (456.4, 202.0), (454.0, 201.4), (452.0, 203.2), (450.2, 204.0),
    (449.3, 206.0), (448.7, 207.8),
)
"""A coarse sketch of the city of Oxford (km)."""

DISTRICT_ANCHORS_KM = {
    _CHR: ((451.0, 247.0), (440.5, 243.0), (436.5, 238.0), (461.0, 227.0), (454.0, 229.0),
           (452.5, 214.0), (458.5, 215.5), (461.0, 217.5), (455.0, 219.0), (447.5, 219.5)),
    _SOX: ((457.5, 209.5), (456.5, 211.5), (458.5, 207.5), (457.0, 204.8), (458.0, 202.0),
           (457.8, 194.3), (455.5, 186.0), (466.0, 186.0), (472.5, 191.0), (466.0, 201.0),
           (462.5, 181.5)),
    _VAL: ((446.0, 188.0), (448.8, 185.6), (440.0, 184.0), (432.0, 185.5), (434.0, 198.0),
           (430.5, 189.5), (424.0, 194.5), (445.0, 201.0), (447.0, 207.8)),
    _WOX: ((439.5, 203.5), (424.0, 217.0), (430.0, 214.0), (440.0, 214.0), (428.0, 221.0),
           (441.0, 221.0), (425.0, 202.5), (445.0, 213.0)),
}
"""Extra points that pull land towards a district when districts are drawn (km)."""

RIVERS_KM = {
    "Thames": ((421.4, 199.2), (427.0, 199.7), (433.0, 201.5), (440.0, 201.6), (444.5, 205.8),
               (448.0, 209.3), (450.2, 206.0), (451.8, 203.6), (451.6, 199.6), (450.0, 196.6),
               (452.5, 194.6), (457.8, 193.2), (460.5, 190.6), (461.0, 186.0), (460.1, 180.6),
               (464.0, 177.4), (471.0, 176.2), (476.8, 179.0), (476.6, 183.5), (478.2, 186.5)),
    "Cherwell": ((446.6, 249.0), (446.9, 241.5), (448.8, 233.0), (449.6, 224.0), (450.5, 216.5),
                 (451.6, 211.0), (452.2, 205.5)),
    "Windrush": ((420.6, 213.9), (425.5, 212.8), (431.0, 211.4), (435.8, 209.6),
                 (437.8, 205.5), (439.0, 201.8)),
    "Evenlode": ((422.5, 224.0), (429.0, 222.0), (435.5, 219.8), (439.5, 215.2),
                 (443.0, 210.8), (445.0, 207.0)),
    "Thame": ((474.0, 206.8), (468.5, 204.8), (463.5, 201.0), (460.0, 196.2), (458.0, 194.0)),
    "Ock": ((426.0, 189.8), (433.5, 192.0), (440.5, 193.8), (445.5, 196.0), (449.8, 196.7)),
    "Ray": ((463.0, 218.0), (459.5, 216.0), (455.5, 213.8), (452.6, 213.4)),
}
"""Rough river courses (km), used for freshwater cells, flood zones and road bridges."""

MAIN_ROADS_KM = {
    ("M40", "Motorway"): ((477.5, 195.4), (470.0, 199.0), (465.5, 203.0), (461.0, 208.5),
                          (458.8, 214.0), (457.0, 219.5), (454.5, 228.5), (450.8, 234.5),
                          (447.8, 240.0), (445.7, 246.0), (444.2, 251.8)),
    ("A34", "A Road"): ((449.0, 182.0), (449.6, 190.5), (448.2, 196.5), (447.3, 203.0),
                        (448.0, 207.8), (449.8, 211.0), (453.0, 214.5), (456.0, 219.0),
                        (457.0, 219.5)),
    ("A40", "A Road"): ((420.6, 212.8), (425.5, 212.0), (431.5, 210.2), (436.0, 210.9),
                        (443.0, 210.6), (448.0, 210.2), (451.0, 210.6), (455.0, 208.6),
                        (459.5, 205.8), (465.5, 203.0)),
    ("A44", "A Road"): ((424.4, 226.6), (431.3, 227.1), (437.6, 224.4), (444.5, 216.7),
                        (448.0, 210.2)),
    ("A4074", "A Road"): ((454.0, 201.6), (457.6, 196.0), (460.7, 189.4), (463.0, 184.0),
                          (469.0, 178.0), (471.0, 176.8)),
    ("A338", "A Road"): ((425.5, 212.0), (427.5, 205.5), (428.8, 195.5), (436.0, 191.0),
                         (439.9, 187.9), (440.5, 181.2)),
    ("A420", "A Road"): ((421.4, 188.2), (428.8, 195.5), (436.0, 198.8), (440.7, 198.0),
                         (446.2, 204.2), (448.3, 205.8)),
    ("A361", "A Road"): ((445.4, 240.7), (443.0, 235.8), (431.3, 227.1), (425.5, 212.0)),
    ("A41", "A Road"): ((458.3, 222.6), (460.2, 219.5), (464.3, 214.8)),
    ("A4260", "A Road"): ((445.4, 240.7), (446.7, 231.7), (449.2, 214.1), (451.0, 210.6)),
    ("A329", "A Road"): ((470.8, 205.9), (463.7, 196.8), (460.7, 189.4)),
    ("A4130", "A Road"): ((439.9, 187.9), (446.0, 189.0), (452.4, 190.2), (460.7, 189.4),
                          (469.0, 185.5), (476.1, 182.5)),
    ("A4155", "A Road"): ((476.1, 182.5), (477.2, 179.0), (473.5, 177.3)),
    ("A415", "A Road"): ((433.0, 202.5), (440.7, 198.0), (449.7, 197.2), (457.6, 196.0)),
}
"""Motorway and A roads as rough polylines (km): name and class -> vertices."""


def rng_for(seed: int, topic: str) -> np.random.Generator:
    """Random generator for one topic, independent of the order topics are drawn in.

    Parameters
    ----------
    seed : int
        The sample's seed.
    topic : str
        What is being drawn, e.g. ``"zones"``.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> float(rng_for(1, "zones").random()) == float(rng_for(1, "zones").random())
    True
    """
    return np.random.default_rng([seed, zlib.crc32(topic.encode())])


Km = tuple[tuple[float, float], ...]
"""A line or ring of (easting, northing) vertices in kilometres."""


@dataclass(frozen=True)
class Places:
    """Everything hand-drawn about one county of a sample (Oxfordshire, or a region's county).

    Parameters
    ----------
    name, code, short : str
        County name, ONS county code and the short code of its emissions total row.
    districts : tuple of District
        Its districts.
    towns : tuple of Town
        Its towns, in the order primaries and zones are drawn.
    outline_km : Km
        The county boundary.
    cities : Mapping
        District code -> its own outline (a city drawn as itself, not a Voronoi share).
    anchors : Mapping
        District code -> extra points pulling land towards it.
    rivers, roads : Mapping
        River name -> course; (road number, class) -> vertices.
    post_towns : Mapping
        Outward code -> post town of the EPC register.
    city_sectors : Mapping
        Outward code -> (town, outward codes by quarter: north-west, north-east, south-east,
        south-west and centre): the postcodes of that outward code are split by quarter round
        the town (Oxford's OX1 is cut into OX2, OX3, OX4 and OX1).
    """

    name: str
    code: str
    short: str
    districts: tuple[District, ...]
    towns: tuple[Town, ...]
    outline_km: Km
    cities: Mapping[str, Km] = field(default_factory=dict)
    anchors: Mapping[str, Km] = field(default_factory=dict)
    rivers: Mapping[str, Km] = field(default_factory=dict)
    roads: Mapping[tuple[str, str], Km] = field(default_factory=dict)
    post_towns: Mapping[str, str] = field(default_factory=dict)
    city_sectors: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def _oxfordshire() -> Places:
    from geoplan.sample.epc_text import POST_TOWNS

    return Places(COUNTY_NAME, COUNTY_CODE, "OXF", DISTRICTS, TOWNS, COUNTY_OUTLINE_KM,
                  {_OXO: OXFORD_OUTLINE_KM}, DISTRICT_ANCHORS_KM, RIVERS_KM, MAIN_ROADS_KM,
                  POST_TOWNS, {"OX1": ("Oxford", ("OX2", "OX3", "OX4", "OX1"))})


OXFORDSHIRE = _oxfordshire()
"""The county every ``small`` and ``county`` sample draws (the hand sketch above)."""
