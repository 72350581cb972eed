"""Catalogues of threat platforms and of defences, read from `catalogue/*.toml`.

Every figure there carries its source (a spec sheet, a published report, or "assumption") and
uncertain ones a range; see `sources.py`. Scenario files name entries by key (`platform =
"mavic_3"`, `type = "drone_radar"`) and may override single figures.

Platform classes are the granularity of the model: kill probabilities and casualty rates are given
per class, never per variant of a weapon.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sahelsim.errors import UserError
from sahelsim.sim.sources import Figure, set_figures, strip_figures

CATALOGUE = "the bundled catalogue"
PlatformClass = Literal["quadcopter", "enterprise_quadcopter", "fpv", "fixed_wing"]
PLATFORM_CLASSES: tuple[str, ...] = PlatformClass.__args__  # type: ignore[attr-defined]

Probability = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Base for every spec: unknown keys are errors, types are strict (a string is no number, 1 or
    "yes" no boolean), numbers are finite (TOML can spell inf and nan), values are immutable once
    validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class Platform(Strict):
    """A threat platform as published by its maker, plus abstract effect figures per delivery."""

    name: str
    platform_class: PlatformClass = Field(alias="class")
    speed_mps: Positive
    endurance_s: Positive
    rcs_m2: Positive
    emits: bool = Field(description="flies on a radio link: an RF detector can hear it, a jammer cut"
                        " it (false: pre-programmed or fibre-optic flight)")
    autonomy_share: Probability = Field(description="share of sorties that fly on through jamming,"
                                        " drawn once per sortie (docs/simulator.md, Engagement)")
    unit_cost_usd: NonNegative
    expendable: bool = Field(description="one-way: lost when it delivers (FPV)")
    p_damage: Probability = Field(description="chance one delivery damages one unsheltered asset")
    p_destroy: Probability = Field(description="chance a damaged asset is destroyed")
    p_casualty: Probability = Field(description="chance one delivery hurts one exposed person")


Shape = Literal["fourth_power", "logistic", "constant"]
# Bounded so a typo cannot ask for millions of queue slots: documented counter-drone systems track
# tens of targets, and launchers carry a few interceptors.
TrackCapacity = Annotated[int, Field(ge=1, le=1024, description="tracks it holds at once")]
Inventory = Annotated[int, Field(ge=0, le=100_000)]


class SensorType(Strict):
    """A sensor family: detection hazard against range (docs/simulator.md, Detection) and what degrades it."""

    name: str
    kind: Literal["radar", "rf", "eo_ir", "acoustic", "observer"]
    range_m: Positive = Field(description="range against the reference target (radar: rcs_ref_m2)")
    rcs_ref_m2: Positive = 0.01
    rate_per_s: Positive = Field(description="detection hazard at close range")
    shape: Shape
    night_factor: Probability = 1.0
    low_altitude_factor: Probability = 1.0
    noise_factor: Probability = 1.0
    track_capacity: TrackCapacity = 64
    classifies: bool = Field(False, description="can identify what it sees (a camera, an observer);"
                             " radars and RF detectors only detect")
    classify_range_m: Positive | None = Field(None, description="range within which it identifies"
                                              " (default: range_m); at night x night_factor")
    classify_s: NonNegative = Field(0.0, description="time to identify one track in range")
    false_alarms_per_h: NonNegative = Field(0.0, description="false tracks it raises per hour")
    acquisition_usd: NonNegative = 0.0
    lifetime_days: Positive = 3650.0


class EffectorType(Strict):
    """A family of means to defeat a drone: where it reaches, how long one engagement takes, how well."""

    name: str
    kind: Literal["jammer", "gun", "interceptor"]
    range_min_m: NonNegative = 0.0
    range_max_m: Positive
    engage_s: Positive = Field(description="time one engagement (a burst, a jamming attempt) takes")
    p_kill: dict[PlatformClass, Probability]
    cost_per_engagement_usd: NonNegative = 0.0
    inventory: Inventory | None = Field(None, description="engagements it can make before it is"
                                        " empty (interceptors); none: unlimited")
    acquisition_usd: NonNegative = 0.0
    lifetime_days: Positive = 3650.0


class DefenceCatalogue(Strict):
    sensors: dict[str, SensorType]
    effectors: dict[str, EffectorType]


class Catalogue(Strict):
    """Both catalogues and the source of every figure in them (path -> Figure)."""

    platforms: dict[str, Platform]
    sensors: dict[str, SensorType]
    effectors: dict[str, EffectorType]
    figures: dict[str, Figure]

    def with_figures(self, values: Mapping[str, float]) -> Catalogue:
        """The catalogue with the numbers at the given paths replaced (`platforms.mavic_3.p_casualty`,
        `defences.sensors.rf_detector.range_m`), as `scenario.with_figures` does for a scenario.

        Raises `UserError` naming the path; the bundled catalogue itself is left as it was.
        """
        dump = self.model_dump(by_alias=True, exclude={"figures"})
        document = {"platforms": dump.pop("platforms"), "defences": dump}
        figures = set_figures(document, self.figures, values, CATALOGUE)
        try:
            checked = DefenceCatalogue.model_validate(document["defences"])
            platforms = {key: Platform.model_validate(entry) for key, entry in document["platforms"].items()}
        except ValidationError as error:
            raise UserError(error.errors()[0]["msg"], file=CATALOGUE,
                            field=", ".join(map(str, values))) from None
        return Catalogue(platforms=platforms, sensors=checked.sensors, effectors=checked.effectors,
                         figures=figures)


def _read(name: str) -> tuple[dict, dict[str, Figure]]:
    text = resources.files("sahelsim.sim").joinpath("catalogue", name).read_text("utf-8")
    return strip_figures(tomllib.loads(text))


@cache
def load_catalogue() -> Catalogue:
    """The bundled catalogues, validated once per process. A broken bundled file is a bug: it raises."""
    platforms, platform_figures = _read("platforms.toml")
    defences, defence_figures = _read("defences.toml")
    try:
        checked = DefenceCatalogue.model_validate(defences)
        return Catalogue(
            platforms={key: Platform.model_validate(entry) for key, entry in platforms.items()},
            sensors=checked.sensors, effectors=checked.effectors,
            figures={**{f"platforms.{k}": v for k, v in platform_figures.items()},
                     **{f"defences.{k}": v for k, v in defence_figures.items()}})
    except ValidationError as error:  # pragma: no cover - guarded by the catalogue tests
        raise RuntimeError(f"bundled catalogue is invalid: {error}") from error
