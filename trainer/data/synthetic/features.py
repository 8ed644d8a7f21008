"""Every feature the generator can draw, and the classes it must carry (ISPRS Potsdam's
labelling conventions). Scenes record the features they show (``Scene.features``); the tests
check that each appears in some scene and is labelled as listed here."""

from __future__ import annotations

from .canvas import BUILDING, CAR, CLUTTER, IMPERVIOUS, LOW_VEGETATION, SCENE_KINDS, SEASONS, TREE
from .crops import CROPS_BY_SEASON
from .painters.buildings import FLAT, FORMS, PITCHED
from .painters.vehicles import CAR_COLOURS

CROPS = sorted({crop for table in CROPS_BY_SEASON.values() for crop in table})
SENSOR_EFFECTS = (
    "white_balance", "exposure", "gamma", "blur", "noise",
    "haze", "vignetting", "sharpening", "jpeg",
)  # fmt: skip

IMPERVIOUS_FEATURES = (
    "asphalt", "cobbles", "slabs", "concrete", "gravel", "track", "road_asphalt", "road_cobbles",
    "road_concrete", "road_paint", "asphalt_patch", "manhole", "drain",
)  # fmt: skip

FEATURE_CLASSES: dict[str, frozenset[int] | None] = {
    # Low vegetation: grass of any colour, crops, ploughed and bare soil (snow lies on it).
    **{name: frozenset({LOW_VEGETATION}) for name in ("lawn", "dry_lawn", "meadow", "bare_soil")},
    **{f"crop_{c}": frozenset({LOW_VEGETATION}) for c in CROPS},
    "snow": frozenset({LOW_VEGETATION, BUILDING, IMPERVIOUS}),
    # Trees in leaf, turned, bare, conifers, shrubs, forests and orchards.
    **{
        name: frozenset({TREE})
        for name in (
            "tree",
            "autumn_tree",
            "leaf_off_tree",
            "conifer",
            "shrub",
            "forest",
            "orchard",
        )
    },
    # Impervious surfaces and what is painted or set into them.
    **{name: frozenset({IMPERVIOUS}) for name in IMPERVIOUS_FEATURES},
    # Cars and vans of every colour.
    **{f"car_{colour}": frozenset({CAR}) for colour in CAR_COLOURS},
    "van": frozenset({CAR}),
    # Buildings, their roofs and everything on them.
    **{f"building_{kind}": frozenset({BUILDING}) for kind in FORMS},
    **{f"roof_{form}": frozenset({BUILDING}) for form in ("gable", "hip", "shed", "flat")},
    **{f"roof_{material}": frozenset({BUILDING}) for material in (*PITCHED, *FLAT)},
    **{
        name: frozenset({BUILDING})
        for name in ("chimney", "dormer", "skylight", "solar_panels", "roof_plant")
    },
    # Clutter: heaps, containers, stacks, construction sites, water.
    **{
        name: frozenset({CLUTTER})
        for name in (
            "heap",
            "container",
            "stack",
            "construction_site",
            "pond",
            "pool",
            "tarp",
            "bale",
            "hose",
        )
    },
    # Scene-wide: kinds, seasons, a low sun, the camera.
    **{f"kind_{kind}": None for kind in SCENE_KINDS},
    **{f"season_{season}": None for season in SEASONS},
    "low_sun": None,
    "strip_fields": None,
    **{f"sensor_{effect}": None for effect in SENSOR_EFFECTS},
}
