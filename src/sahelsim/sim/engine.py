"""The Monte Carlo engine: a scenario compiled to arrays, simulated chunk by chunk over replications.

Public API (used by the CLI, the analysis layer and `benchmarks/`):

    scenario = load_scenario("post-assault")             # sahelsim.sim.scenario
    result = run(scenario, runs=100_000, seed=7)          # RunResult
    result.table                                          # pyarrow.Table, one row per replication
    result.summary                                        # dict: means, 95% intervals, convergence
    compare(a, b, runs, seed)                             # CompareResult: paired, common random numbers
    run(scenario, runs, seed, executor=LocalExecutor(4))  # four local processes; no number changes

    plan = compile_plan(scenario)                         # the hot path, for benchmarks:
    columns = simulate_chunk(plan, seed, start, stop)     # dict[str, np.ndarray] for reps [start, stop)

`run` splits replications into chunks of `chunk_size`; each chunk is simulated with arrays shaped
(replications × sorties) and its rows are folded into running summaries, optionally kept or written
to Parquet as they come, so memory stays bounded however many replications are asked for. Random
numbers are laid out by replication index (`sahelsim.runtime.seeds`): the same seed gives the same
table for any chunk size or number of worker processes.

One replication, in order (docs/simulator.md): launch times → detection times from the fused hazard,
within the picture's track capacity → identification by a classifying sensor → alert after the
command delay → false tracks (where nothing classifies) → engagements in the policy's order → what
leaks delivers (assets; casualties, with cover from the latest alert) → ISR quality → ground
assault → costs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sahelsim.version import __version__
from sahelsim.runtime.executors import Executor, or_local
from sahelsim.runtime.seeds import ChunkStreams, Purpose, name_key
from sahelsim.sim import assault as assault_model
from sahelsim.sim import binomial, indirect_fire, isr
from sahelsim.sim.catalogue import Catalogue, load_catalogue
from sahelsim.sim.costs import attacker_cost, defender_cost
from sahelsim.sim.effectors import EffectorPlan, engage, tries_needed
from sahelsim.sim.effects import (AssetLosses, AssetPlan, PeoplePlan, assault_destruction, asset_losses,
                                  casualties, cover_minutes, latest_before)
from sahelsim.sim.outcomes import Accumulator, PairedAccumulator
from sahelsim.sim.identification import Classifier, identified
from sahelsim.sim.indirect_fire import IndirectFirePlan
from sahelsim.sim.scenario import AirSupport, Scenario
from sahelsim.sim.sensors import (HazardTable, false_alarm_slots, false_alarm_times, held, resolve,
                                  tabulate)
from sahelsim.sim.tracks import Track
from sahelsim.sim.uncertainty import (FIXED, PER_SORTIE_ROW, ROW_FIGURES, WHOLE_FIGURES, Uncertainty,
                                      uncertainty)

DEFAULT_CHUNK = 16_384
# The most float cells the (replication × sortie) arrays of one chunk may hold (256 MiB): a chunk of
# a scenario with many sorties and effectors simulates fewer replications at a time, which changes
# no result (random numbers are laid out by replication) but keeps memory bounded.
CHUNK_CELLS = 2**25
ARRAYS_PER_SORTIE = 16  # (R, D) arrays a chunk holds at once, besides three per effector
STEPS_PER_DRAW = 16
# Added to an ISR sortie's arrival when the policy serves strike drones first: larger than any time
# on the scenario's clock, so the class decides first and arrival breaks ties within a class.
ISR_LAST_S = 1e12
FALSE_ALARMS_KEY = name_key("false alarms")
INDIRECT_FIRE_KEY = name_key("indirect fire")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Plan:
    """A scenario reduced to the arrays the engine needs; small and picklable for worker processes."""

    label: str
    group_of: np.ndarray  # (D,) sortie group of each sortie
    tables: list[HazardTable]  # fused cumulative hazard per group
    launch_start_s: np.ndarray  # (D,)
    launch_spread_s: np.ndarray  # (D,)
    arrival_s: np.ndarray  # (D,) launch to the perimeter (or closest approach)
    delivery_s: np.ndarray  # (D,) launch to delivery; +inf for ISR
    is_strike: np.ndarray  # (D,)
    delay_median_s: float
    delay_sigma: float
    effectors: list[EffectorPlan]
    assets: AssetPlan
    people: PeoplePlan
    isr: isr.IsrPlan
    isr_success_quality: float
    assault: assault_model.AssaultPlan | None
    garrison: int
    killed_share: float  # of the defenders' losses
    killed_share_overrun: float  # of the defenders' losses where the post was overrun
    amortised_usd: float
    expendable: np.ndarray  # (D,)
    unit_cost_usd: np.ndarray  # (D,)
    autonomy_share: np.ndarray  # (D,) chance a sortie flies on through jamming
    track_end_s: np.ndarray  # (D,) launch to the end of the track (delivery, or end of the dwell)
    track_capacity: int  # tracks the fused picture holds at once
    classifiers: list[Classifier]  # none: effectors engage on detection
    false_alarm_rate_per_s: float  # false tracks reaching the effectors (none with a classifier)
    horizon_s: float  # the scenario's span, over which false tracks come
    phantom_slots: int  # columns for false tracks after the D sorties' in engagement arrays
    rank_offset_s: np.ndarray  # (D,) added to arrival for the engagement order (policy)
    indirect_fire: IndirectFirePlan | None = None  # rockets and mortars on one kind of asset

    @property
    def sorties(self) -> int:
        return len(self.group_of)


# --- compiling a scenario --------------------------------------------------------------------

def _tracks(scenario: Scenario, catalogue: Catalogue) -> list[Track]:
    tracks = []
    for sortie in scenario.threat.sorties:
        platform = catalogue.platforms[sortie.platform]
        if sortie.role == "strike":
            tracks.append(Track(sortie.start_range_m, platform.speed_mps))
            continue
        transit = (sortie.start_range_m - sortie.standoff_m) / platform.speed_mps
        dwell = max(platform.endurance_s - 2 * transit, 0.0)
        if sortie.dwell_s is not None:
            dwell = min(dwell, sortie.dwell_s)
        tracks.append(Track(sortie.start_range_m, platform.speed_mps, sortie.standoff_m, dwell))
    return tracks


def _hazard_tables(scenario: Scenario, catalogue: Catalogue, tracks: list[Track]) -> list[HazardTable]:
    site = scenario.site
    tables = []
    for sortie, track in zip(scenario.threat.sorties, tracks, strict=True):
        platform = catalogue.platforms[sortie.platform]
        sensors = [resolve(catalogue.sensors[spec.type], platform, emits=sortie.listens(platform),
                           night=site.night, noisy=site.noisy, low_altitude=sortie.low_altitude,
                           range_m=spec.range_m, rate_per_s=spec.rate_per_s, shape=spec.shape)
                   for spec in scenario.defence.sensors]
        tables.append(tabulate(track, sensors))
    return tables


def _effector_plans(scenario: Scenario, catalogue: Catalogue, tracks: list[Track],
                    group_of: np.ndarray, phantoms: int) -> list[EffectorPlan]:
    """Each effector's windows and kill probability per sortie. A jammer's is zero against a sortie
    that does not listen; against one that does, it is the class's, and whether the sortie flies
    on autonomously is drawn per replication (`_tries`), not folded into p.

    `phantoms` false tracks follow the sorties: each is in range for one engagement from its
    alert and cannot be killed, so an effector that takes it up loses exactly that time."""
    sorties = scenario.threat.sorties
    platforms = [catalogue.platforms[s.platform] for s in sorties]
    plans = []
    for spec in scenario.defence.effectors:
        kind = catalogue.effectors[spec.type]
        jammer = kind.kind == "jammer"
        r_min, r_max = spec.ranges_m(kind)
        windows = np.array([track.window(r_min, r_max) for track in tracks]).reshape(-1, 2)
        p_kill = np.array([
            (kind.p_kill.get(p.platform_class, 0.0) if spec.p_kill is None else spec.p_kill)
            if s.listens(p) or not jammer else 0.0
            for s, p in zip(sorties, platforms, strict=True)])
        engage_s = kind.engage_s if spec.engage_s is None else spec.engage_s
        inventory = kind.inventory if spec.inventory is None else spec.inventory
        plans.append(EffectorPlan(
            name=spec.name, stream_key=name_key(spec.name), jammer=jammer, engage_s=engage_s,
            cost_per_engagement_usd=kind.cost_per_engagement_usd,
            window_in_s=np.concatenate([windows[group_of, 0], np.zeros(phantoms)]),
            window_out_s=np.concatenate([windows[group_of, 1], np.full(phantoms, engage_s)]),
            p_kill=np.concatenate([p_kill[group_of] if len(p_kill) else p_kill, np.zeros(phantoms)]),
            inventory=np.inf if inventory is None else float(inventory)))
    return plans


def _classifiers(scenario: Scenario, catalogue: Catalogue, tracks: list[Track],
                 group_of: np.ndarray) -> list[Classifier]:
    """The classifying sensors, each with its classification window per sortie: its range (at night
    shortened by the sensor's night factor, as its sight is), from the sortie's entry to its end."""
    night = scenario.site.night
    classifiers = []
    for spec in scenario.defence.sensors:
        kind = catalogue.sensors[spec.type]
        if not kind.classifies:
            continue
        reach = spec.figure(kind, "classify_range_m") or spec.figure(kind, "range_m")
        if night and kind.kind in ("eo_ir", "observer"):
            reach *= kind.night_factor
        windows = np.array([track.window(0.0, reach) for track in tracks]).reshape(-1, 2)
        classifiers.append(Classifier(window_in_s=windows[group_of, 0], window_out_s=windows[group_of, 1],
                                      classify_s=spec.figure(kind, "classify_s"),
                                      servers=spec.figure(kind, "track_capacity")))
    return classifiers


def _false_alarm_rate(scenario: Scenario, catalogue: Catalogue, screened: bool) -> float:
    """False tracks per second reaching the effectors: every sensor's, unless a classifier screens
    them out."""
    if screened:
        return 0.0
    return sum(spec.figure(catalogue.sensors[spec.type], "false_alarms_per_h")
               for spec in scenario.defence.sensors) / 3600.0


def _per_sortie(values: list, group_of: np.ndarray, dtype: type = float) -> np.ndarray:
    """Spread one value per sortie group to one per sortie."""
    return np.array(values, dtype=dtype)[group_of]


def _asset_plan(scenario: Scenario, catalogue: Catalogue, group_of: np.ndarray) -> AssetPlan:
    passive = scenario.defence.passive
    index = {asset.name: i for i, asset in enumerate(scenario.site.assets)}
    target, reach, p_hit, p_destroy = [], [], [], []
    for sortie in scenario.threat.sorties:
        platform = catalogue.platforms[sortie.platform]
        asset = scenario.site.assets[index[sortie.target]] if sortie.target in index else None
        hit = sortie.role == "strike" and asset is not None
        target.append(index[asset.name] if hit else -1)
        reach.append(passive.dispersion.get(asset.name, asset.reach) if hit else 0)
        p_hit.append(platform.p_damage * (1 - passive.shelters.get(asset.name, 0.0)) if hit else 0.0)
        p_destroy.append(platform.p_destroy)
    return AssetPlan(target=_per_sortie(target, group_of, int), reach=_per_sortie(reach, group_of, int),
                     p_hit=_per_sortie(p_hit, group_of), p_destroy=_per_sortie(p_destroy, group_of),
                     asset_counts=np.array([a.count for a in scenario.site.assets], dtype=int),
                     unit_value_usd=np.array([a.unit_value_usd for a in scenario.site.assets]),
                     damaged_value_share=np.array([a.damaged_value_share for a in scenario.site.assets]))


def _assault_plan(scenario: Scenario) -> assault_model.AssaultPlan | None:
    spec, defence = scenario.threat.assault, scenario.defence
    if spec is None or defence.ground is None:
        return None
    qrf = defence.qrf
    ends = [sortie.launch_window_s[1] for sortie in scenario.threat.sorties if sortie.count]
    return assault_model.AssaultPlan(
        attackers=spec.attackers, alpha_per_min=spec.alpha_per_min,
        beta_per_min=defence.ground.beta_per_min, attacker_break=spec.break_fraction,
        defender_break=defence.ground.break_fraction,
        probability_without_isr=spec.probability_without_isr,
        probability_with_isr=spec.probability_with_isr, isr_gain=spec.isr_gain,
        surprise_factor=spec.surprise_factor, surprise_min=spec.surprise_min,
        max_minutes=spec.max_minutes, destroys_held=spec.destroys_held,
        destroys_overrun=spec.destroys_overrun,
        start_s=max(ends, default=0.0) if spec.start_s is None else spec.start_s,
        early_warning=defence.early_warning,
        attacker_break_concentration=spec.break_concentration,
        defender_break_concentration=defence.ground.break_concentration,
        qrf_size=0 if qrf is None else qrf.size,
        qrf_arrival_min=np.inf if qrf is None else (qrf.call_delay_s + qrf.travel_s) / 60,
        air=_air_plan(defence.air_support))


def _air_plan(air: AirSupport | None) -> assault_model.AirPlan | None:
    if air is None:
        return None
    return assault_model.AirPlan(
        arrival_min=(air.call_delay_s + air.arrival_s) / 60, authorisation_min=air.authorisation_s / 60,
        armed=air.armed, sorties=air.sorties, on_station_min=air.on_station_min,
        turnaround_min=air.turnaround_min, munitions_per_sortie=air.munitions_per_sortie,
        munitions_per_min=air.munitions_per_min, p_effect=air.p_effect,
        guidance_gain=air.guidance_gain)


def _indirect_fire_plan(scenario: Scenario) -> IndirectFirePlan | None:
    fire = scenario.threat.indirect_fire
    if fire is None:
        return None
    target = [asset.name for asset in scenario.site.assets].index(fire.target)
    return IndirectFirePlan(target=target, rounds=fire.rounds, p_hit=fire.p_hit, p_destroy=fire.p_destroy,
                            shelter=scenario.defence.passive.shelters.get(fire.target, 0.0))


def _amortised_usd(scenario: Scenario, catalogue: Catalogue) -> float:
    items = [catalogue.sensors[s.type] for s in scenario.defence.sensors]
    items += [catalogue.effectors[e.type] for e in scenario.defence.effectors]
    return scenario.defence.days_amortised * sum(i.acquisition_usd / i.lifetime_days for i in items)


def compile_plan(scenario: Scenario, catalogue: Catalogue | None = None) -> Plan:
    """Resolve catalogue entries, tracks and hazard tables once; the chunks only draw and combine.

    `catalogue` defaults to the bundled one; calibration and sweeps pass one with figures set
    (`Catalogue.with_figures`) rather than edit files.
    """
    catalogue = load_catalogue() if catalogue is None else catalogue
    site, passive = scenario.site, scenario.defence.passive
    sorties = scenario.threat.sorties
    group_of = np.repeat(np.arange(len(sorties)), [s.count for s in sorties]).astype(int)
    tracks = _tracks(scenario, catalogue)
    platforms = [catalogue.platforms[s.platform] for s in sorties]

    def per_sortie(values: list, dtype: type = float) -> np.ndarray:
        return _per_sortie(values, group_of, dtype)

    is_strike = per_sortie([s.role == "strike" for s in sorties], bool)
    find_s = site.find_time_s / (1 - passive.route_variation) if site.kind == "convoy" else 0.0
    classifiers = _classifiers(scenario, catalogue, tracks, group_of) if scenario.defence.identify_first else []
    false_rate = _false_alarm_rate(scenario, catalogue, screened=bool(classifiers))
    horizon = max((s.launch_window_s[1] + t.end_s for s, t in zip(sorties, tracks, strict=True)),
                  default=0.0)
    phantoms = false_alarm_slots(false_rate, horizon)
    isr_last = scenario.defence.engagement_policy == "strike_first"
    track_end = per_sortie([t.end_s for t in tracks])  # delivery, or the end of the dwell
    return Plan(
        label=scenario.label, group_of=group_of, tables=_hazard_tables(scenario, catalogue, tracks),
        launch_start_s=per_sortie([s.launch_window_s[0] for s in sorties]),
        launch_spread_s=per_sortie([s.launch_window_s[1] - s.launch_window_s[0] for s in sorties]),
        arrival_s=per_sortie([t.time_to(site.perimeter_m) for t in tracks]),
        delivery_s=per_sortie([t.end_s if s.role == "strike" else np.inf
                               for s, t in zip(sorties, tracks, strict=True)]),
        is_strike=is_strike,
        delay_median_s=scenario.defence.command_delay.median_s,
        delay_sigma=scenario.defence.command_delay.sigma,
        effectors=_effector_plans(scenario, catalogue, tracks, group_of, phantoms),
        assets=_asset_plan(scenario, catalogue, group_of),
        people=PeoplePlan(exposed_per_delivery=site.exposed_per_delivery,
                          p_casualty=per_sortie([p.p_casualty for p in platforms]),
                          is_strike=is_strike,
                          warning=passive.warning, cover_share=passive.cover_share,
                          cover_time_s=passive.cover_time_s,
                          cover_duration_s=passive.cover_duration_s, personnel=site.personnel),
        isr=isr.IsrPlan(is_isr=per_sortie([s.role == "isr" for s in sorties], bool),
                        on_station_s=per_sortie([t.arrive_s for t in tracks]),
                        off_station_s=track_end,
                        dwell_needed_s=per_sortie([s.dwell_needed_s for s in sorties]),
                        camouflage=passive.camouflage, mean_find_s=find_s),
        isr_success_quality=scenario.threat.isr_success_quality,
        assault=_assault_plan(scenario), garrison=site.personnel, killed_share=site.killed_share,
        killed_share_overrun=site.killed_share if site.killed_share_overrun is None
        else site.killed_share_overrun,
        amortised_usd=_amortised_usd(scenario, catalogue),
        expendable=per_sortie([p.expendable for p in platforms], bool),
        unit_cost_usd=per_sortie([p.unit_cost_usd for p in platforms]),
        autonomy_share=per_sortie([p.autonomy_share for p in platforms]),
        track_end_s=track_end,
        track_capacity=sum(spec.figure(catalogue.sensors[spec.type], "track_capacity")
                           for spec in scenario.defence.sensors),
        classifiers=classifiers, false_alarm_rate_per_s=false_rate, horizon_s=horizon,
        phantom_slots=phantoms,
        rank_offset_s=np.where(~is_strike & isr_last, ISR_LAST_S, 0.0),
        indirect_fire=_indirect_fire_plan(scenario))


# --- one chunk ---------------------------------------------------------------------------------

def _detection_times(plan: Plan, exp_draws: np.ndarray) -> np.ndarray:
    """Time since launch of each sortie's first detection (+inf: never), group by group.

    A group's sorties are adjacent columns (`compile_plan` repeats each group in place), so each
    group reads and writes a slice rather than copying its columns out and back by a mask.
    """
    times = np.empty_like(exp_draws)
    bounds = np.searchsorted(plan.group_of, np.arange(len(plan.tables) + 1))
    for table, first, last in zip(plan.tables, bounds[:-1], bounds[1:], strict=True):
        times[:, first:last] = table.detection_times(exp_draws[:, first:last])
    return times


def with_rows(plan: Plan, figures: Mapping[str, np.ndarray]) -> Plan:
    """The plan with each figure in `figures` (path -> one value per replication of a chunk) in
    place of its single value. Raises ValueError for a figure that cannot vary per replication."""
    changes: dict[str, dict[str, np.ndarray]] = {}
    for path, values in figures.items():
        where = ROW_FIGURES.get(path)
        if where is None:
            raise ValueError(f"{path} cannot vary per replication; expected one of: "
                             + ", ".join(ROW_FIGURES))
        if len(where) == 2 and getattr(plan, where[0]) is None:
            raise ValueError(f"{path}: the scenario has no {where[0].replace('_', ' ')}")
        values = np.rint(values) if path in WHOLE_FIGURES else np.asarray(values, dtype=float)
        if where[-1] in PER_SORTIE_ROW:
            values = values[:, None]
        changes.setdefault(where[0] if len(where) == 2 else "", {})[where[-1]] = values
    own = changes.pop("", {})
    if "garrison" in own:
        own["people"] = dataclasses.replace(plan.people, personnel=own["garrison"])
    for group, values_by_field in changes.items():
        own[group] = dataclasses.replace(getattr(plan, group), **values_by_field)
    return dataclasses.replace(plan, **own)


def simulate_chunk(plan: Plan, seed: int, start: int, stop: int,
                   figures: Mapping[str, np.ndarray] | None = None, repeat: int = 1) -> dict[str, np.ndarray]:
    """Simulate replications [start, stop) of a run seeded `seed`; one array per output column.

    `figures` gives figures of `ROW_FIGURES` one value per row of the chunk; the random numbers are
    the same whatever the figures, so replication i under two sets of figures differs only by what
    the figures change. `repeat` = P simulates the replications P times over in one call (P × (stop
    − start) rows, block p holding the p-th copy): with one figure value per block, a sweep of P
    parameter points on common random numbers.
    """
    if figures:
        plan = with_rows(plan, figures)
    streams = ChunkStreams(seed, start, stop, repeat)
    d = plan.sorties
    # threat: when each sortie launches and, against a convoy, how long it needs to find it
    launch = plan.launch_start_s + plan.launch_spread_s * streams.uniform(Purpose.THREAT, (d,))
    find = streams.exponential(Purpose.THREAT, (d,))
    # detection within the picture's capacity, identification, alert
    seen = launch + _detection_times(plan, streams.exponential(Purpose.DETECTION, (d,)))
    detected_at = held(seen, launch + plan.track_end_s, plan.track_capacity)
    identified_at = identified(plan.classifiers, detected_at, launch) if plan.classifiers else detected_at
    delay = plan.delay_median_s * np.exp(plan.delay_sigma * streams.normal(Purpose.ENGAGEMENT, (d,)))
    alert = identified_at + delay
    # false tracks join the sorties as targets that cannot be killed (alert = their own time)
    false_at = _false_tracks(plan, streams)
    targets_launch, targets_alert = np.hstack([launch, false_at]), np.hstack([alert, false_at])
    arrival = np.concatenate([plan.arrival_s + plan.rank_offset_s, np.zeros(plan.phantom_slots)])
    fight = engage(targets_launch + arrival, targets_launch, targets_alert, plan.effectors,
                   _tries(plan, streams))
    defeat_time = fight.defeat_time[:, :d]
    defeated = np.isfinite(defeat_time)
    delivered = plan.is_strike & ~defeated
    # effects of what got through
    assets = asset_losses(plan.assets, delivered, streams.uniform(Purpose.EFFECTS, (d,)),
                          streams.uniform(Purpose.EFFECTS, (d,)))
    delivery = launch + plan.delivery_s
    cover_from = latest_before(targets_alert, delivery[:, plan.people.is_strike]) \
        if plan.people.warning else None
    expected_cas, drawn_cas = casualties(plan.people, delivered, delivery, cover_from,
                                         streams.uniform(Purpose.EFFECTS, (d,)))
    quality = isr.quality(plan.isr, launch, defeat_time, find)
    first_alert = _min_by_row(alert, np.inf)  # the sorties' own: false tracks warn of no assault
    if plan.indirect_fire is not None:
        assets = indirect_fire.fire(plan.indirect_fire, assets, plan.assets.asset_counts,
                                    streams.uniform(Purpose.EFFECTS, (3,), key=INDIRECT_FIRE_KEY))
    ground = _assault_columns(plan, streams, drawn_cas, quality, first_alert)
    assets = _ground_destruction(plan, streams, assets, ground["assault_outcome"])
    value_lost = assets.value_lost_usd(plan.assets)
    return {
        "replication": np.tile(np.arange(start, stop, dtype=np.int64), repeat),
        "first_detection_s": _first_detection(launch, detected_at),
        "detected": _count_by_row(np.isfinite(detected_at)),
        "identified": _count_by_row(np.isfinite(identified_at)),
        "false_alarms": _count_by_row(np.isfinite(false_at)),
        "defeated": _count_by_row(defeated),
        **{f"defeated_by_{e.name}": _count_by_row(fight.defeated_by[:, :d] == j)
           for j, e in enumerate(plan.effectors)},
        "leakers": _count_by_row(delivered),
        "assets_damaged": assets.damaged,
        "assets_destroyed": assets.destroyed,
        "casualties_expected": expected_cas,
        "casualties": drawn_cas,
        "cover_min": cover_minutes(targets_alert, plan.people.cover_duration_s) if plan.people.warning
        else np.zeros(streams.size),
        "isr_quality": quality,
        "isr_success": plan.isr.is_isr.any() & (quality >= plan.isr_success_quality),
        **ground,
        "value_lost_usd": value_lost,
        "defender_cost_usd": defender_cost(plan.amortised_usd, fight.shots,
                                           np.array([e.cost_per_engagement_usd for e in plan.effectors]),
                                           value_lost),
        "attacker_cost_usd": attacker_cost(defeated, delivered, plan.expendable, plan.unit_cost_usd),
    }


def _false_tracks(plan: Plan, streams: ChunkStreams) -> np.ndarray:
    """Times of the false tracks that reach the effectors, (R, phantom slots), +inf for unused slots.
    Their own stream key: a defence without them draws every other number the same."""
    if not plan.phantom_slots:
        return np.empty((streams.size, 0))
    gaps = streams.exponential(Purpose.DETECTION, (plan.phantom_slots,), key=FALSE_ALARMS_KEY)
    return false_alarm_times(gaps, plan.false_alarm_rate_per_s, plan.horizon_s)


def _tries(plan: Plan, streams: ChunkStreams) -> list[np.ndarray]:
    """The tries each effector needs against each sortie (+inf: never enough), then +inf against
    each false track.

    Whether a sortie flies on through jamming is a property of the sortie: drawn once per
    replication and sortie, it makes the sortie immune to every try of every jammer. Drawn only
    when a jammer is there to need it, as the last number of the engagement stream's shared
    key, so a defence without a jammer draws every other number the same (common random numbers).
    """
    d = plan.sorties
    tries = [tries_needed(streams.uniform(Purpose.ENGAGEMENT, (d,), key=e.stream_key), e.p_kill[:d])
             for e in plan.effectors]
    if any(e.jammer for e in plan.effectors):
        autonomous = streams.uniform(Purpose.ENGAGEMENT, (d,)) < plan.autonomy_share
        for effector, needed in zip(plan.effectors, tries, strict=True):
            if effector.jammer:
                needed[autonomous] = np.inf
    never = np.full((streams.size, plan.phantom_slots), np.inf)
    return [np.hstack([needed, never]) for needed in tries]


def _first_detection(launch: np.ndarray, detected_at: np.ndarray) -> np.ndarray:
    """Seconds from the first launch to the first detection; NaN when nothing was detected."""
    first = _min_by_row(detected_at, np.inf)
    return np.subtract(first, _min_by_row(launch, np.inf), out=np.full_like(first, np.nan),
                       where=np.isfinite(first))


# numpy reduces a short last axis (the sorties) one replication at a time, several times slower
# than folding the few columns over all replications at once; counts and minima come out the same.

def _count_by_row(mask: np.ndarray) -> np.ndarray:
    """True entries in each row of an (R, D) mask, as `mask.sum(axis=1)`."""
    counts = np.zeros(len(mask), dtype=np.int64)
    for column in mask.T:
        counts += column
    return counts


def _min_by_row(values: np.ndarray, initial: float) -> np.ndarray:
    """Least entry of each row of (R, D) values, as `values.min(axis=1, initial=initial)`."""
    least = np.full(len(values), initial)
    for column in values.T:
        np.minimum(least, column, out=least)
    return least


def _assault_uniforms(streams: ChunkStreams, key: int = 0, sides: tuple[int, ...] = (2,)
                      ) -> Iterator[np.ndarray]:
    """Uniforms for each assault step, (*sides, R) per step (the losses: row 0 for the attackers',
    1 for the defenders'; the air hits: `sides=()`, one row), drawn STEPS_PER_DRAW steps at a time:
    fewer, larger draws, laid out by step and replication, so chunking still changes nothing and
    each step's rows are contiguous."""
    while True:
        yield from streams.uniform(Purpose.ASSAULT, key=key, leading=(STEPS_PER_DRAW, *sides))


# The assault's own streams beside its main one (the occurrence, then the losses step by step):
# drawn from their own keys, a draw one defence makes and another does not (air hits), or that
# came later (break points, the killed), moves none of the other numbers.
BREAK_POINTS_KEY, AIR_HITS_KEY, KILLED_KEY, DESTRUCTION_KEY = (
    name_key(f"assault {name}") for name in ("break points", "air hits", "killed", "destruction"))


def _assault_columns(plan: Plan, streams: ChunkStreams, drone_casualties: np.ndarray,
                     quality: np.ndarray, first_alert: np.ndarray) -> dict[str, np.ndarray]:
    """The assault's columns, and the killed and wounded among all the defenders' losses.

    `first_alert` is each replication's first alert of a drone sortie (absolute seconds, +inf:
    none): an alert before the assault's first shot warns the garrison.
    """
    reps = streams.size
    killed_u = streams.uniform(Purpose.ASSAULT, key=KILLED_KEY)
    if plan.assault is None:
        zeros = np.zeros(reps, dtype=np.int64)
        return {"assault_outcome": np.zeros(reps, dtype=np.int8), "assault_defender_losses": zeros,
                "defender_losses": drone_casualties, "attacker_losses": zeros,
                "assault_warning_min": np.zeros(reps), "air_hits": zeros,
                **_killed_and_wounded(drone_casualties, plan.killed_share, killed_u)}
    spec = plan.assault
    occurs = streams.uniform(Purpose.ASSAULT) < assault_model.launch_probability(spec, quality)
    lead = assault_model.warning_lead_s(spec, first_alert)
    air_hits = None
    if spec.air is not None and spec.air.fires:
        air_hits = functools.partial(next, _assault_uniforms(streams, AIR_HITS_KEY, ()))
    result = assault_model.fight(
        spec, occurs, plan.garrison - drone_casualties, plan.garrison, quality,
        uniforms=functools.partial(next, _assault_uniforms(streams)), lead_s=lead,
        break_uniforms=streams.uniform(Purpose.ASSAULT, key=BREAK_POINTS_KEY, leading=(2,)),
        air_uniforms=air_hits)
    in_assault = np.rint(result.defender_losses).astype(np.int64)
    losses = drone_casualties + in_assault
    return {"assault_outcome": result.outcome, "assault_defender_losses": in_assault,
            "defender_losses": losses,
            "attacker_losses": np.rint(result.attacker_losses).astype(np.int64),
            "assault_warning_min": np.where(occurs, lead / 60, 0.0),
            "air_hits": np.rint(result.air_hits).astype(np.int64),
            **_killed_and_wounded(losses, np.where(result.outcome == assault_model.Outcome.OVERRUN,
                                                   plan.killed_share_overrun, plan.killed_share), killed_u)}


def _ground_destruction(plan: Plan, streams: ChunkStreams, assets: AssetLosses,
                        outcome: np.ndarray) -> AssetLosses:
    """The assets the attackers destroy in the assault, by how it ended; none without one."""
    spec = plan.assault
    if spec is None or not (np.any(spec.destroys_held) or np.any(spec.destroys_overrun)):
        return assets
    share = np.where(outcome == assault_model.Outcome.OVERRUN, spec.destroys_overrun,
                     np.where(outcome == assault_model.Outcome.NO_ASSAULT, 0.0, spec.destroys_held))
    u = streams.uniform(Purpose.ASSAULT, (len(plan.assets.asset_counts),), key=DESTRUCTION_KEY)
    return assault_destruction(plan.assets, assets, share, u)


def _killed_and_wounded(losses: np.ndarray, killed_share: float | np.ndarray,
                        u: np.ndarray) -> dict[str, np.ndarray]:
    """Each loss is a death with `killed_share`: Binomial(losses, share) by inversion of u."""
    killed = binomial.quantile(losses, killed_share, u).astype(np.int64)
    return {"defender_killed": killed, "defender_wounded": losses - killed}


# --- runs ----------------------------------------------------------------------------------------

@dataclass
class RunResult:
    """What a run returns: the summary always, the table when kept."""

    label: str
    runs: int
    seed: int
    summary: dict
    table: pa.Table | None = None
    convergence: list[dict] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome: its mean (or share) and 95% interval, as the CLI's table shows."""
        rows = [(name, m["mean"], *(m["ci95"] or (None, None)))
                for name, m in self.summary["means"].items()]
        rows += [(f"P({name})", p["p"], *(p["ci95"] or (None, None)))
                 for name, p in self.summary["proportions"].items()]
        rows += [(f"P({column} = {name})", p["p"], *(p["ci95"] or (None, None)))
                 for column, shares in self.summary["outcome_classes"].items()
                 for name, p in shares.items()]
        return pd.DataFrame(rows, columns=["outcome", "value", "ci95_low", "ci95_high"])


@dataclass(frozen=True)
class CompareResult:
    """A paired comparison, `second` minus `first`, under common random numbers."""

    first: str
    second: str
    seed: int
    runs: int
    same_threat: bool
    metrics: dict[str, dict]  # per outcome: first, second, difference, ci95, halfwidth, pairs
    outcome_classes: dict[str, dict[str, dict]]
    inputs: list[dict]  # each scenario's figures: at their values, or drawn (`Uncertainty.describe`)
    sahelsim_version: str = __version__

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome (and per class of each class column) with the paired difference."""
        rows = [(name, m["first"], m["second"], m["difference"], *(m["ci95"] or (None, None)))
                for name, m in self.metrics.items()]
        rows += [(f"P({column} = {name})", m["first"], m["second"], m["difference"],
                  *(m["ci95"] or (None, None)))
                 for column, shares in self.outcome_classes.items() for name, m in shares.items()]
        return pd.DataFrame(rows, columns=["outcome", self.first, self.second, "difference",
                                           "ci95_low", "ci95_high"])


def _record_batch(columns: dict[str, np.ndarray]) -> pa.RecordBatch:
    """Rows for Arrow/Parquet; NaN (nothing detected) becomes a proper null."""
    return pa.RecordBatch.from_arrays([pa.array(v, from_pandas=True) for v in columns.values()],
                                      names=list(columns))


def _chunks(runs: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, runs, chunk_size):
        yield start, min(start + chunk_size, runs)


Job = tuple[list[Plan], list[Uncertainty | None], int, int, int]


def _task(job: Job) -> list[dict[str, np.ndarray]]:
    """One chunk for each plan, its uncertain figures drawn (module-level so worker processes can
    run it)."""
    plans, inputs, seed, start, stop = job
    return [simulate_chunk(plan, seed, start, stop, None if drawn is None else drawn.draw(seed, start, stop))
            for plan, drawn in zip(plans, inputs, strict=True)]


def _check_request(runs: int, chunk_size: int) -> None:
    """A clear error for a request no run can serve (the CLI's options refuse the same)."""
    for name, value in (("runs", runs), ("chunk_size", chunk_size)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}")


def chunk_rows(plans: list[Plan], chunk_size: int) -> int:
    """Replications per chunk: `chunk_size`, or fewer where a chunk's arrays would hold more than
    CHUNK_CELLS cells."""
    width = sum(p.sorties * (ARRAYS_PER_SORTIE + 3 * len(p.effectors)) for p in plans)
    return max(1, min(chunk_size, CHUNK_CELLS // max(width, 1)))


def _stream(plans: list[Plan], inputs: list[Uncertainty | None], runs: int, seed: int, chunk_size: int,
            executor: Executor | None) -> Generator[tuple[int, list[dict[str, np.ndarray]]], None, None]:
    chunk_size = chunk_rows(plans, chunk_size)
    jobs = ((plans, inputs, seed, start, stop) for start, stop in _chunks(runs, chunk_size))
    ends = (stop for _, stop in _chunks(runs, chunk_size))
    yield from zip(ends, or_local(executor).map(_task, jobs), strict=True)


def run(scenario: Scenario, runs: int = 10_000, seed: int = 0, *, chunk_size: int = DEFAULT_CHUNK,
        keep_table: bool = True, executor: Executor | None = None, progress: Progress | None = None,
        parquet_path: Path | None = None, precision: float | None = None,
        catalogue: Catalogue | None = None, uncertain: bool = False) -> RunResult:
    """Simulate `runs` replications of `scenario` (fewer with `precision`, see below).

    `keep_table=False` keeps only running summaries (memory bounded by one chunk per worker);
    `parquet_path` streams the rows to a Parquet file as they come; `precision` stops at the first
    chunk where every proportion's 95% Wilson half-width is at most that (`runs` is then the cap).
    `progress(done, total)` is called after each chunk. `executor` runs the chunks (default: this
    process; `LocalExecutor(n)` for n local processes); it changes no number. `uncertain` draws
    the uncertain figures per replication (`uncertainty.py`); the summary's `inputs` says which.
    """
    _check_request(runs, chunk_size)
    if precision is not None and precision < 0:
        raise ValueError(f"precision must not be negative, not {precision}")
    plan = compile_plan(scenario, catalogue)
    accumulator = Accumulator()
    kept: list[pa.RecordBatch] = []
    writer: pq.ParquetWriter | None = None
    done = 0
    inputs = uncertainty(scenario) if uncertain else None
    chunks = _stream([plan], [inputs], runs, seed, chunk_size, executor)
    try:
        for done, (columns,) in chunks:
            accumulator.add(columns)
            # Arrow rows only when someone keeps them: the conversion (and the pandas import that
            # `from_pandas` brings, ~0.14 s and 30 MiB) is wasted on a summaries-only run
            batch = _record_batch(columns) if keep_table or parquet_path is not None else None
            if keep_table:
                kept.append(batch)
            if parquet_path is not None:
                writer = writer or pq.ParquetWriter(parquet_path, batch.schema)
                writer.write_batch(batch)
            if progress is not None:
                progress(done, runs)
            if precision is not None and accumulator.max_proportion_halfwidth() <= precision:
                break
    finally:
        chunks.close()  # stops the worker pool at once when --precision ends the run early
        if writer is not None:
            writer.close()
    summary = accumulator.summary()
    summary.update(scenario=scenario.label, seed=seed, runs=done, sahelsim_version=__version__,
                   inputs=FIXED if inputs is None else inputs.describe())
    return RunResult(label=scenario.label, runs=done, seed=seed, summary=summary,
                     table=pa.Table.from_batches(kept) if keep_table and kept else None,
                     convergence=accumulator.convergence)


def compare(first: Scenario, second: Scenario, runs: int = 10_000, seed: int = 0, *,
            chunk_size: int = DEFAULT_CHUNK, executor: Executor | None = None,
            progress: Progress | None = None, catalogue: Catalogue | None = None,
            uncertain: bool = False) -> CompareResult:
    """Paired comparison under common random numbers: `second` minus `first`, per metric.

    Both run on the same replication indices and seed, so their threats are drawn identically and
    the difference's interval is far narrower than the two means' intervals. `same_threat` in the
    result says whether the two scenarios face the same threat (a comparison of defences).
    With `uncertain`, both draw their uncertain figures per replication, and a figure the two
    share is drawn alike in both: common parameter draws beside common random numbers.
    """
    _check_request(runs, chunk_size)
    plans = [compile_plan(first, catalogue), compile_plan(second, catalogue)]
    paired = PairedAccumulator()
    inputs = [uncertainty(first), uncertainty(second)] if uncertain else [None, None]
    for done, (a, b) in _stream(plans, inputs, runs, seed, chunk_size, executor):
        paired.add(a, b)
        if progress is not None:
            progress(done, runs)
    return CompareResult(first=first.label, second=second.label, seed=seed, runs=runs,
                         same_threat=first.threat == second.threat,
                         inputs=[FIXED if i is None else i.describe() for i in inputs], **paired.summary())
