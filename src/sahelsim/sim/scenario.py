"""Scenario files: a defended site, the threat taken from documented incidents, and the defence.

A scenario is a TOML file with the tables `[sources]`, `[site]`, `[threat]` and `[defence]`, plus any
number of `[variants.NAME]`, each a patch of the `defence` table (tables merge, lists replace). The
threat never varies between variants: comparing variants is comparing defences under the same attack,
with common random numbers. Numbers may carry their source and range (`sources.py`).

    load_scenario("post-assault")            # bundled scenario, baseline defence
    load_scenario("post-assault@improved")   # bundled scenario, one of its variants
    load_scenario("my/file.toml@variant")    # a file of one's own

Any mistake in a file raises `UserError` naming the file, the field path and what was expected.
Unknown keys are errors.

Sizes are bounded (the `MAX_*` limits below, each with its reason in the field's description and
in the error): a file that validates must also run, in bounded memory, and validating any file
takes well under a second, so a typo such as `attackers = 1000000000` is refused at once.
"""

from __future__ import annotations

import os

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, get_args

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

from sahelsim.errors import UserError
from sahelsim.sim.catalogue import (EffectorType, Inventory, NonNegative, Platform, Positive,
                                    Probability, SensorType, Shape, Strict, TrackCapacity,
                                    load_catalogue)
from sahelsim.sim.sources import Figure, FigureError, join, set_at, set_figures, strip_figures

BASELINE = "baseline"
MAX_REACH = 8  # the most assets one delivery can reach (dispersion lowers it)
MAX_FORCE = 10_000
FORCE_REASON = ("at most 10,000: outcome distributions keep one count per possible loss, and the"
                " record's largest assaults number hundreds")
MAX_ITEMS = 64
ITEMS_REASON = ("at most 64: every one costs time in every replication, and 64 is far more than"
                " any documented incident holds")
MAX_SORTIES = 512
SORTIES_REASON = ("at most 512 sorties in all (the counts summed): each replication simulates every"
                  " one, far beyond any documented attack")
MAX_VARIANTS = 64
MAX_FILE_BYTES = 128 * 1024  # the bundled scenarios are under 8 KiB; parsing is pure Python
MAX_DEPTH = 16  # the deepest legitimate path (a variant's shelter figure) is 7 tables down
# An assumption, stated in docs/simulator.md: a repair costs about a quarter of a new asset. A file
# may give each asset its own share.
DAMAGED_VALUE_SHARE = 0.25

Force = Annotated[int, Field(ge=0, le=MAX_FORCE, description=FORCE_REASON)]
MAX_MINUTES = 1440
MINUTES_REASON = "at most 1,440 (a day): every minute is a step of every fight still going on"
MAX_AIR_SORTIES = 64
AIR_SORTIES_REASON = "at most 64: more than a day of back-to-back sorties"
MAX_MUNITIONS = 1000
MUNITIONS_REASON = "at most 1,000: the heaviest strike aircraft carry tens"


class Asset(Strict):
    """Things on the site a delivery can damage (aircraft, vehicles, a helicopter, fuel trucks)."""

    name: str
    count: Force
    reach: Annotated[int, Field(ge=1, le=MAX_REACH)] = Field(
        1, description="assets within one delivery's reach as parked (dispersion lowers it)")
    unit_value_usd: NonNegative = 0.0
    damaged_value_share: Probability = Field(
        DAMAGED_VALUE_SHARE, description="share of its value a damaged but not destroyed asset costs"
        " (its repair)")


class Site(Strict):
    """The defended site or moving asset, at the origin of every track."""

    kind: Literal["air_base", "post", "convoy", "patrol", "landing_zone"]
    name: str
    perimeter_m: Positive = 300.0
    personnel: Force
    exposed_per_delivery: Annotated[int, Field(ge=0, le=200)] = Field(
        0, description="people within one delivery's reach when not under cover")
    assets: list[Asset] = Field([], max_length=MAX_ITEMS, description=ITEMS_REASON)
    night: bool = False
    noisy: bool = False
    find_time_s: Positive | None = Field(
        None, description="convoy only: mean time an ISR drone needs to find it (docs/simulator.md, ISR)")
    killed_share: Probability = Field(
        0.4, description="share of the defenders' losses killed, the rest wounded (range 0.25-0.55;"
        " historically about 1 killed to 3 wounded, Tongo Tongo 2017 8 killed and 10 wounded)")
    killed_share_overrun: Probability | None = Field(
        None, description="share killed when the post is overrun (default: killed_share): the wounded"
        " cannot be evacuated and the missing are rarely found alive, so overrun posts report far more"
        " dead than wounded")

    @model_validator(mode="after")
    def _unique_assets(self) -> Site:
        names = [asset.name for asset in self.assets]
        if len(set(names)) != len(names):
            raise ValueError("asset names must be unique")
        return self


class Sortie(Strict):
    """A group of identical drone sorties: platform, number, launch window, role and approach."""

    name: str
    platform: str
    count: Annotated[int, Field(ge=0, le=64)]
    role: Literal["isr", "strike"]
    launch_window_s: tuple[NonNegative, NonNegative] = Field(
        (0.0, 0.0), strict=False,  # TOML gives a list; strict mode takes only a tuple
        description="launches spread uniformly over [start, end] (a Poisson process conditioned on"
        " the count)")
    start_range_m: Positive
    low_altitude: bool = False
    emits: bool | None = Field(None, description="override the platform's radio link (false:"
                               " pre-programmed or fibre-optic flight)")
    standoff_m: NonNegative = Field(300.0, description="ISR: loiter radius")
    dwell_s: Positive | None = Field(None, description="ISR: planned dwell (capped by endurance)")
    dwell_needed_s: Positive = Field(600.0, description="ISR: dwell that gives a full picture")
    target: str = Field("personnel", description="strike: an asset name, or 'personnel'")

    def listens(self, platform: Platform) -> bool:
        """Whether the sortie flies on a radio link, the one thing RF detectors hear and jammers
        cut: the platform's own, unless the file says otherwise for this sortie."""
        return platform.emits if self.emits is None else self.emits

    @model_validator(mode="after")
    def _window_ordered(self) -> Sortie:
        if self.launch_window_s[1] < self.launch_window_s[0]:
            raise ValueError("launch_window_s must be [start, end] with start <= end")
        return self


class Assault(Strict):
    """Ground assault after the drones (docs/simulator.md, Ground assault): its size, when it starts
    and how ISR changes its odds."""

    attackers: Annotated[int, Field(ge=1, le=MAX_FORCE, description=FORCE_REASON)]
    alpha_per_min: Positive = Field(description="defenders hit per attacker per minute")
    probability_without_isr: Probability = 1.0
    probability_with_isr: Probability = 1.0
    isr_gain: NonNegative = Field(0.0, description="kappa: attacker effectiveness x (1 + kappa Q)")
    break_fraction: Probability = Field(0.5, description="mean share of the attackers left when"
                                        " they break")
    break_concentration: Positive = Field(
        20.0, description="how tightly each fight's break point gathers round break_fraction (Beta)")
    surprise_factor: Annotated[float, Field(ge=1)] = 1.0
    surprise_min: NonNegative = 0.0
    max_minutes: Annotated[int, Field(ge=1, le=MAX_MINUTES, description=MINUTES_REASON)] = 120
    start_s: NonNegative | None = Field(
        None, description="absolute time of the first shot (default: when the last drone sortie has"
        " launched)")
    destroys_held: Probability = Field(
        0.0, description="share of the site's assets the drones left untouched that the attackers"
        " destroy in an assault the defenders hold (a raid that breaches the perimeter)")
    destroys_overrun: Probability = Field(
        0.0, description="the same where the post is overrun: its vehicles burned or taken")


class IndirectFire(Strict):
    """Rockets and mortars on one kind of the site's assets (`sim/indirect_fire.py`)."""

    target: str = Field(description="the asset the rounds fall on")
    rounds: Annotated[float, Field(ge=0, le=1000)] = Field(
        description="mean rounds fired (Poisson); at most 1,000, beyond any documented raid")
    p_hit: Probability = Field(description="chance a round hits one unit of the target")
    p_destroy: Probability = Field(description="chance a hit destroys the unit")


class Threat(Strict):
    """The attack, taken from the documented record: never a decision variable."""

    actor: Literal["jnim", "is_sahel", "iswap", "fla", "jas", "unknown"]
    sorties: list[Sortie] = Field([], max_length=MAX_ITEMS, description=ITEMS_REASON)
    assault: Assault | None = None
    indirect_fire: IndirectFire | None = None
    isr_success_quality: Probability = Field(0.5, description="Q at or above which ISR 'succeeds'")

    @model_validator(mode="after")
    def _unique_sorties(self) -> Threat:
        names = [sortie.name for sortie in self.sorties]
        if len(set(names)) != len(names):
            raise ValueError("sortie names must be unique")
        if sum(sortie.count for sortie in self.sorties) > MAX_SORTIES:
            raise ValueError(f"expected {SORTIES_REASON}")
        return self


class SensorSpec(Strict):
    """A sensor on the site: a catalogue type, optionally with its figures overridden."""

    name: str
    type: str
    range_m: Positive | None = None
    rate_per_s: Positive | None = None
    shape: Shape | None = Field(None, description="hazard against range; 'constant' is the "
                                "cookie-cutter rate sensor")
    track_capacity: TrackCapacity | None = None
    classify_range_m: Positive | None = None
    classify_s: NonNegative | None = None
    false_alarms_per_h: NonNegative | None = None

    def figure(self, kind: SensorType, name: str) -> Any:
        """One of the sensor's figures: this sensor's own, else its catalogue type's."""
        value = getattr(self, name)
        return getattr(kind, name) if value is None else value


class EffectorSpec(Strict):
    """An effector on the site: a catalogue type, optionally with its figures overridden."""

    name: str
    type: str
    range_min_m: NonNegative | None = None
    range_max_m: Positive | None = None
    engage_s: Positive | None = None
    p_kill: Probability | None = Field(None, description="one kill probability for every class")
    inventory: Inventory | None = None

    def ranges_m(self, kind: EffectorType) -> tuple[float, float]:
        """(minimum, maximum) engagement range: this effector's own, else its catalogue type's."""
        return (kind.range_min_m if self.range_min_m is None else self.range_min_m,
                kind.range_max_m if self.range_max_m is None else self.range_max_m)


class CommandDelay(Strict):
    """Detection to engagement: LogNormal with this median and log-spread (docs/simulator.md, Engagement)."""

    median_s: Positive = 60.0
    sigma: NonNegative = 0.5


class Passive(Strict):
    """Passive measures: warning and cover, camouflage, shelters, dispersion, route variation."""

    warning: bool = False
    cover_time_s: Positive = Field(60.0, description="time people need to reach cover")
    cover_share: Probability = Field(0.9, description="share under cover given enough warning")
    cover_duration_s: Positive = Field(1800.0, description="how long people hold cover after an"
                                       " alert; a strike after that finds them in the open")
    camouflage: Annotated[float, Field(ge=0, lt=1)] = 0.0
    route_variation: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0, description="convoy: lowers the ISR drone's find rate by this share")
    shelters: dict[str, Probability] = Field({}, max_length=MAX_ITEMS,
                                             description="hardening h by asset name")
    dispersion: dict[str, Annotated[int, Field(ge=1, le=MAX_REACH)]] = Field(
        {}, max_length=MAX_ITEMS, description="assets within one delivery's reach, by asset name")


class GroundForce(Strict):
    """The defenders' fighting power in a ground assault (docs/simulator.md, Ground assault); their
    number is the site's."""

    beta_per_min: Positive = Field(description="attackers hit per defender per minute")
    break_fraction: Probability = Field(0.3, description="mean share of the garrison left when the"
                                        " defenders break")
    break_concentration: Positive = Field(
        20.0, description="how tightly each fight's break point gathers round break_fraction (Beta)")


class QuickReactionForce(Strict):
    """Relief called at the first alert before the assault, else at its first shot."""

    size: Force
    call_delay_s: NonNegative
    travel_s: NonNegative


class AirSupport(Strict):
    """Air overwatch (the Tongo Tongo question): sorties on station guide the defenders' fire and
    take the surprise away; armed ones release munitions."""

    armed: bool
    call_delay_s: NonNegative = Field(description="from the first alert before the assault, else"
                                      " its first shot, to the call; 0 with arrival_s 0 means"
                                      " already on station")
    arrival_s: NonNegative
    authorisation_s: NonNegative = Field(0.0, description="from arrival until armed sorties may fire")
    sorties: Annotated[int, Field(ge=1, le=MAX_AIR_SORTIES, description=AIR_SORTIES_REASON)] = 1
    on_station_min: Positive = 60.0
    turnaround_min: NonNegative = Field(60.0, description="off station between sorties")
    munitions_per_sortie: Annotated[int, Field(ge=0, le=MAX_MUNITIONS,
                                               description=MUNITIONS_REASON)] = 4
    munitions_per_min: Positive = Field(0.5, description="release rate while firing")
    p_effect: Probability = Field(0.5, description="chance one munition puts one attacker out of"
                                  " action")
    guidance_gain: NonNegative = Field(0.2, description="the defenders' fire x (1 + gain) while a"
                                       " sortie is on station, armed or not")


class Defence(Strict):
    """The defender's decision variables: everything a variant may change."""

    sensors: list[SensorSpec] = Field([], max_length=MAX_ITEMS, description=ITEMS_REASON)
    effectors: list[EffectorSpec] = Field([], max_length=MAX_ITEMS, description=ITEMS_REASON)
    command_delay: CommandDelay = CommandDelay()
    passive: Passive = Passive()
    ground: GroundForce | None = None
    qrf: QuickReactionForce | None = None
    air_support: AirSupport | None = None
    early_warning: bool = Field(True, description="a drone alert before the assault takes its"
                                " surprise away and calls the QRF and air support at once")
    days_amortised: Positive = Field(1.0, description="days of acquisition cost one scenario bears")
    identify_first: bool = Field(
        True, description="engage only what a classifying sensor has identified (where the defence"
        " has one); false: weapons free on detection, and every sensor's false tracks reach the"
        " effectors")
    engagement_policy: Literal["strike_first", "arrival"] = Field(
        "strike_first", description="order in which effectors take up targets: strike drones before"
        " ISR drones, then by arrival at the perimeter; or by arrival alone")

    @model_validator(mode="after")
    def _unique_names(self) -> Defence:
        for kind, items in (("sensor", self.sensors), ("effector", self.effectors)):
            names = [item.name for item in items]
            if len(set(names)) != len(names):
                raise ValueError(f"{kind} names must be unique")
        return self


class Sources(Strict):
    incidents: list[str] = []
    notes: str = ""


MAX_DRAWS = 4096  # posterior draws kept per fitted figure: enough for runs that sample them


class Fitted(Strict):
    """One fitted figure: its posterior median (the figure's value), 90% interval and draws."""

    median: float
    interval90: list[float] = Field(min_length=2, max_length=2)
    draws: list[float] = Field(max_length=MAX_DRAWS)


class Calibration(Strict):
    """How the figures were fitted (`sahelsim calibrate`): the record of the fit, kept in the file.

    Every fitted figure holds the same number of draws, one joint draw per index, so a run that
    samples the posterior keeps the figures' dependence."""

    method: str
    distance: str
    incidents: list[str]
    simulations: int = Field(ge=0)
    seed: int = Field(ge=0)
    figures: dict[str, Fitted]

    @model_validator(mode="after")
    def _joint_draws(self) -> Calibration:
        if len({len(fit.draws) for fit in self.figures.values()}) > 1:
            raise ValueError("expected the same number of draws for every fitted figure")
        return self


class Scenario(Strict):
    """A validated scenario with one defence chosen (the baseline or a variant)."""

    name: str
    title: str
    description: str = ""
    sources: Sources = Sources()
    site: Site
    threat: Threat
    defence: Defence = Defence()
    variant: str = BASELINE
    variants: list[str] = Field([], description="every defence variant the file offers")
    figures: dict[str, Figure] = Field({}, description="source and range of each number, by path")
    calibration: Calibration | None = None

    @property
    def label(self) -> str:
        return self.name if self.variant == BASELINE else f"{self.name}@{self.variant}"


# --- files ----------------------------------------------------------------------------------

def library_dir() -> Path:
    """Folder of the bundled, documented scenarios."""
    return Path(str(resources.files("sahelsim.sim").joinpath("library")))


def list_library() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(path.stem for path in library_dir().glob("*.toml"))


def _resolve(name_or_path: str) -> tuple[Path, str]:
    """Split `thing@variant` and find the file: a path, or a bundled scenario name."""
    target, _, variant = name_or_path.partition("@")
    path = Path(target)
    # os.path answers False where pathlib raises (a name too long for the file system)
    if path.suffix == ".toml" or os.path.exists(target):
        if not os.path.isfile(target):
            raise UserError("no such scenario file", file=target)
        return path, variant or BASELINE
    bundled = library_dir() / f"{target}.toml"
    if not os.path.isfile(bundled):
        raise UserError(f"unknown scenario {target!r}; expected a .toml file or one of: "
                        + ", ".join(list_library()))
    return bundled, variant or BASELINE


def scenario_file(name_or_path: str | Path) -> Path:
    """The file a scenario name (or path, with or without `@variant`) refers to."""
    return _resolve(str(name_or_path))[0]


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (lists included) is replaced.

    New tables only along the patch's paths, the rest shared with `base` and `patch`: validation
    reads documents and never changes them, and copying every variant's whole document made
    validating a file of many variants take seconds.
    """
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


LIMIT_ERRORS = {"too_long", "less_than_equal"}


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required field is missing"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "too_long":  # pydantic repeats the whole input's length otherwise
        message = message.split(" after validation")[0]
    if "input" in error and not isinstance(error["input"], (dict, list)):
        message += f" (got {error['input']!r})"
    field = _field(error["loc"])
    if error["type"] in LIMIT_ERRORS and field is not None and field.description:
        message += f"; {field.description}"
    return message


def _field(location: tuple[Any, ...]) -> FieldInfo | None:
    """The schema field an error location points at (list indices and dict keys skipped)."""
    model: type[BaseModel] | None = Scenario
    field = None
    for part in location:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _model_in(field.annotation)
    return field


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly or in a list or an optional."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, get_args(annotation))), None)


def _error_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        path = join(path, part)
    return path


def _validate(document: dict[str, Any], file: str, prefix: str) -> Scenario:
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        path = _error_path(first["loc"])
        raise UserError(_describe(first), file=file, field=join(prefix, path) if prefix else path) from None


def _check_references(scenario: Scenario, file: str, prefix: str) -> None:
    """Names that must match the catalogue or the site; each failure points at its field."""
    catalogue = load_catalogue()
    assets = {asset.name for asset in scenario.site.assets}

    def fail(path: str, message: str) -> NoReturn:
        raise UserError(message, file=file, field=join(prefix, path) if prefix else path)

    for i, sortie in enumerate(scenario.threat.sorties):
        where = f"threat.sorties[{i}]"
        platform = catalogue.platforms.get(sortie.platform)
        if platform is None:
            fail(f"{where}.platform", f"unknown platform {sortie.platform!r}; expected one of "
                 + ", ".join(catalogue.platforms))
        if sortie.role == "strike" and sortie.target != "personnel" and sortie.target not in assets:
            fail(f"{where}.target", f"expected 'personnel' or an asset of the site ({', '.join(assets)})")
        if sortie.role == "isr" and sortie.standoff_m >= sortie.start_range_m:
            fail(f"{where}.standoff_m", "expected a stand-off radius below start_range_m")
        transit = (sortie.start_range_m - (sortie.standoff_m if sortie.role == "isr" else 0.0))
        if transit / platform.speed_mps * (2 if sortie.role == "isr" else 1) > platform.endurance_s:
            fail(f"{where}.start_range_m", "expected a start range the platform can fly from "
                 f"(endurance {platform.endurance_s:.0f} s at {platform.speed_mps} m/s)")
    for i, sensor in enumerate(scenario.defence.sensors):
        if sensor.type not in catalogue.sensors:
            fail(f"defence.sensors[{i}].type", f"unknown sensor type {sensor.type!r}; expected one of "
                 + ", ".join(catalogue.sensors))
    for i, effector in enumerate(scenario.defence.effectors):
        kind = catalogue.effectors.get(effector.type)
        if kind is None:
            fail(f"defence.effectors[{i}].type", f"unknown effector type {effector.type!r}; expected "
                 "one of " + ", ".join(catalogue.effectors))
        r_min, r_max = effector.ranges_m(kind)
        if r_min >= r_max:
            fail(f"defence.effectors[{i}].range_min_m", f"expected a minimum range below the maximum"
                 f" range ({r_max:g} m)")
    for kind in ("shelters", "dispersion"):
        for name in getattr(scenario.defence.passive, kind):
            if name not in assets:
                fail(f"defence.passive.{kind}.{name}", "expected the name of an asset of the site")
    parked = {asset.name: asset.reach for asset in scenario.site.assets}
    for name, reach in scenario.defence.passive.dispersion.items():
        if reach > parked[name]:
            fail(f"defence.passive.dispersion.{name}", f"expected at most the {parked[name]} assets "
                 "one delivery reaches as parked: dispersion lowers the reach")
    fire = scenario.threat.indirect_fire
    if fire is not None and fire.target not in assets:
        fail("threat.indirect_fire.target", f"expected an asset of the site ({', '.join(assets)})")
    if scenario.threat.assault is not None and scenario.defence.ground is None:
        fail("defence.ground", "a scenario with a ground assault needs [defence.ground]")
    if scenario.site.kind == "convoy" and scenario.site.find_time_s is None:
        fail("site.find_time_s", "a convoy needs the ISR find time")


def parse_scenario(text: str, file: str = "<scenario>", variant: str = BASELINE) -> Scenario:
    """Validate scenario text and pick one defence variant. Raises `UserError` on any mistake."""
    return _pick(_parse_text(text, file), variant)


def scenario_from_document(raw: dict[str, Any], file: str = "<scenario>",
                           variant: str = BASELINE) -> Scenario:
    """Validate an already parsed TOML document (figures not yet stripped), as `parse_scenario`."""
    return _pick(_prepare(raw, file), variant)


@dataclass(frozen=True)
class _Parsed:
    """A file read once: the document without figures or variants, and what each variant patches,
    so that validating every variant does not read, parse and check the baseline again each time."""

    file: str
    document: dict[str, Any]
    figures: dict[str, Figure]  # the baseline's, by path
    patches: dict[str, dict[str, Any]]
    variant_figures: dict[str, dict[str, Figure]]  # each variant's own, by path within its patch


def _parse_text(text: str, file: str) -> _Parsed:
    """TOML text to a prepared document; a leading byte-order mark is accepted, as in CSV files."""
    if len(text) > MAX_FILE_BYTES:
        _too_large(file)
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"not valid TOML: {error}", file=file) from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise UserError(f"not valid TOML: nested more than {MAX_DEPTH} levels deep", file=file) from None
    return _prepare(raw, file)


def _prepare(raw: dict[str, Any], file: str) -> _Parsed:
    """Check the document's shape and strip its figures; no model validation yet."""
    deep = _too_deep(raw)
    if deep is not None:
        raise UserError(f"nested more than {MAX_DEPTH} levels deep", file=file, field=deep)
    raw = dict(raw)
    calibration = _calibration(raw.pop("calibration", None), file)
    try:
        document, figures = strip_figures(raw)
    except FigureError as error:
        raise UserError(str(error), file=file, field=error.path) from None
    if calibration is not None:
        _apply_fit(document, figures, calibration, file)
        document["calibration"] = calibration
    for reserved in ("variant", "figures"):
        if reserved in document:
            raise UserError("unknown key", file=file, field=reserved)
    patches = document.pop("variants", {})
    if not isinstance(patches, dict) or not all(isinstance(v, dict) for v in patches.values()):
        raise UserError("expected tables [variants.NAME]", file=file, field="variants")
    if len(patches) > MAX_VARIANTS:
        raise UserError(f"expected at most {MAX_VARIANTS} variants: each is validated and compared "
                        "whole", file=file, field="variants")
    if BASELINE in patches:
        raise UserError(f"{BASELINE!r} is the file's own defence; give the variant another name",
                        file=file, field=f"variants.{BASELINE}")
    document["variants"] = [BASELINE, *patches]
    own = {name: {path.removeprefix(f"variants.{name}."): figure for path, figure in figures.items()
                  if path.startswith(f"variants.{name}.")} for name in patches}
    return _Parsed(file, document, {p: f for p, f in figures.items() if not p.startswith("variants.")},
                   patches, own)


def _calibration(table: Any, file: str) -> Calibration | None:
    """The file's [calibration] table checked, before its numbers could be taken for figures."""
    if table is None:
        return None
    try:
        return Calibration.model_validate(table)
    except ValidationError as error:
        first = error.errors()[0]
        raise UserError(_describe(first), file=file,
                        field=join("calibration", _error_path(first["loc"]))) from None


def _apply_fit(document: dict[str, Any], figures: dict[str, Figure], calibration: Calibration,
               file: str) -> None:
    """Each fitted figure takes its posterior median as its value; its declared range, the prior,
    stays, and its source names the fit."""
    for path, fit in calibration.figures.items():
        prior = figures.get(path)
        if prior is None or prior.low is None or prior.high is None:
            raise UserError("expected a fitted figure to be a figure of the file with a declared range",
                            file=file, field=f"calibration.figures.{path}")
        if not prior.allows(fit.median):
            raise UserError(f"expected a median within the declared range [{prior.low}, {prior.high}]",
                            file=file, field=f"calibration.figures.{path}")
        try:
            set_at(document, path, fit.median)
        except FigureError as error:
            raise UserError(str(error), file=file, field=f"calibration.figures.{path}") from None
        figures[path] = replace(prior, value=fit.median, source=f"calibrated ({calibration.method}, "
                                f"{len(calibration.incidents)} incidents); prior: {prior.source}")


def _too_large(file: str) -> NoReturn:
    raise UserError(f"expected a scenario file of at most {MAX_FILE_BYTES // 1024} KiB (a hand-written"
                    " one is a few KiB)", file=file)


def _too_deep(document: Any) -> str | None:
    """The path of the first value nested deeper than MAX_DEPTH, or None; without recursion, since
    the document may be nested past Python's own recursion limit."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path
        items = value.items() if isinstance(value, dict) else enumerate(value) \
            if isinstance(value, list) else ()
        stack += [(item, join(path, key), depth + 1) for key, item in items]
    return None


def _pick(parsed: _Parsed, variant: str) -> Scenario:
    """The scenario with one defence: the baseline is always checked, so its mistakes come first."""
    if variant != BASELINE and variant not in parsed.patches:
        raise UserError(f"no variant {variant!r}; expected one of: "
                        + ", ".join(parsed.document["variants"]), file=parsed.file)
    baseline = _checked(dict(parsed.document), dict(parsed.figures), parsed.file, prefix="")
    return baseline if variant == BASELINE else _variant(parsed, variant)


def _variant(parsed: _Parsed, variant: str) -> Scenario:
    """One variant: the baseline document patched, with the figures of what the patch left alone."""
    patch = parsed.patches[variant]
    unknown = set(patch) - {"description", "defence"}
    if unknown:
        raise UserError("unknown key; a variant may only change description and defence",
                        file=parsed.file, field=f"variants.{variant}.{sorted(unknown)[0]}")
    merged = _merge(parsed.document, patch)
    merged["variant"] = variant
    inherited = _outside(parsed.figures, _replaced_paths(patch))
    inherited.update(parsed.variant_figures[variant])
    fit = merged.get("calibration")
    if fit is not None:  # a figure the variant sets itself is no longer the fitted one
        kept = {path: f for path, f in fit.figures.items() if path in inherited
                and path not in parsed.variant_figures[variant]}
        merged["calibration"] = fit.model_copy(update={"figures": kept})
    return _checked(merged, inherited, parsed.file, prefix=f"variants.{variant}")


def _replaced_paths(patch: dict[str, Any], path: str = "") -> list[str]:
    """Field paths a patch replaces outright (everything but the tables it merges into)."""
    paths = []
    for key, value in patch.items():
        here = join(path, key)
        paths += _replaced_paths(value, here) if isinstance(value, dict) else [here]
    return paths


def _outside(figures: dict[str, Figure], replaced: list[str]) -> dict[str, Figure]:
    """The figures not at or under any of the `replaced` paths."""
    below = tuple(path + mark for path in replaced for mark in (".", "["))
    exact = set(replaced)
    return {path: figure for path, figure in figures.items()
            if path not in exact and not path.startswith(below)}


def _checked(document: dict[str, Any], figures: dict[str, Figure], file: str, prefix: str) -> Scenario:
    document["figures"] = figures
    scenario = _validate(document, file, prefix)
    _check_references(scenario, file, prefix)
    return scenario


def _read(name_or_path: str | Path) -> tuple[_Parsed, str]:
    """A scenario file (or bundled name) read and prepared, and the variant its `@` suffix names."""
    path, named_variant = _resolve(str(name_or_path))
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # no more: the file may be any size
        if len(data) > MAX_FILE_BYTES:
            _too_large(str(path))
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read: {error}", file=str(path)) from None
    return _parse_text(text, str(path)), named_variant


def load_scenario(name_or_path: str | Path, variant: str | None = None) -> Scenario:
    """Load a bundled scenario by name or a TOML file, with `@variant` or `variant=` picking the defence."""
    parsed, named_variant = _read(name_or_path)
    return _pick(parsed, variant or named_variant)


def validate_file(path: str | Path) -> list[Scenario]:
    """Validate a file with every variant it defines; returns them, baseline first."""
    parsed, _ = _read(path)
    baseline = _pick(parsed, BASELINE)
    return [baseline, *(_variant(parsed, variant) for variant in parsed.patches)]


def with_figures(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with the numbers at the given paths replaced, checked as a file would be.

    Calibration and sweeps set figures this way rather than write files. A figure keeps its
    source and range, and a value outside the declared range is refused: the range is what the
    record allows. Raises `UserError` naming the path on any mistake.
    """
    document = scenario.model_dump(by_alias=True, exclude={"figures"})
    figures = set_figures(document, scenario.figures, values, scenario.label)
    return _checked(document, figures, scenario.label, prefix="")


__all__ = ["BASELINE", "Scenario", "list_library", "load_scenario",
           "parse_scenario", "scenario_file", "scenario_from_document", "validate_file",
           "with_figures"]
