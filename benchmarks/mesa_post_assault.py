"""The Mesa twin of the simulator's 0.3.0 model: agents, events, and a clock that jumps.

An independent reading of the model (docs/simulator.md, "The model", as changed by the 0.3.0 contract:
track capacity, identification, false alarms, inventory and engagement policy, cover that ends,
early warning of the assault, air sorties with munitions, break points drawn per replication, killed
and wounded). It shares nothing with `sahelsim.sim` but the files: it reads the scenario TOML and the
catalogue TOMLs itself with `tomllib` and writes every equation and constant again. Its purpose is to
check the engine's vectorised shortcuts (hazard tables, engagement in rank order, inverted binomials)
against a plain, event-by-event reading of the same equations, and to be the speed baseline an
agent-based modeller would write.

Agents: a `Drone` per sortie, a `Sensor` per sensor (the classifying ones run their servers), the
`Picture` that holds the fused tracks (capacity), an `Effector` per effector, a `FalseTrack` per false
alarm, and the two `Force`s of the assault, in a `mesa.Model`. Time is a plain next-event heap: with
`step_mode="event"` (the careful twin) the clock jumps to the next moment anything can happen: a launch, a detection found by inverting the exactly integrated
fused hazard at one Exp(1) draw, a slot or server freed, an alert, a try ending, a delivery, a minute
of the assault. With `step_mode="fixed"` (the naive twin) the same agents and handlers run on a 1 s
clock: every event waits for the next tick, and detection is a coin flip per sensor, drone and tick.
Each assault minute is one binomial draw per side (plus one for air hits); the naive twin flips a coin
per fighter instead. (Mesa 3.3's own `mesa.experimental.devs.DEVSimulator` runs the same events at
half the speed: each of its events carries a weak reference and a Python-level comparison in the
heap, about 290 replications a second on `post-drone-assault@improved` against 590 with the heap.)

Where the contract leaves a choice, this twin makes the causal one: an effector that is free takes,
among the targets it can engage at that moment (alerted, in its range, not down), the first in the
policy's order (strike drones and false tracks before ISR drones, then by arrival at the perimeter),
and stays on it until it falls or leaves its range.

One replication = one `TwinModel` run with its own numpy Generator. Run directly for a look:
`python benchmarks/mesa_post_assault.py [reps] [variant] [event|fixed]`.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import sys
import time
import tomllib
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "sahelsim" / "sim" / "library"
CATALOGUE = ROOT / "src" / "sahelsim" / "sim" / "catalogue"
SCENARIO = "post-drone-assault"

# outcome codes, the engine's table's codes, so the two compare directly
NO_ASSAULT, REPELLED, OVERRUN, STALEMATE = 0, 1, 2, 3

# the logistic detection shape: g(x) = (1 + e^{-k m}) / (1 + e^{k (x - m)}), 1 at x = 0
MIDPOINT, STEEPNESS = 0.7, 12.0
NODES, NEWTON_STEPS = 256, 3  # inverting the cumulative hazard: bracket, then polish
TICK_S = 1.0  # the naive twin's clock
MINUTE_S = 60.0


class Priority:
    """Order of events due at the same instant: tries end, then the rest, then effectors choose."""

    HIGH, DEFAULT, LOW = 0, 1, 2


# --- reading the files ------------------------------------------------------------------------------

def _plain(node):
    """A TOML node with every `{ value = ..., source = ... }` figure reduced to its value."""
    if isinstance(node, dict):
        if "value" in node:
            return _plain(node["value"])
        return {k: _plain(v) for k, v in node.items() if k != "source"}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _patch(base: dict, patch: dict) -> dict:
    """A variant's patch: tables merge key by key, everything else (lists too) replaces."""
    out = dict(base)
    for key, value in patch.items():
        out[key] = _patch(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def _set(document: dict, path: str, value: float) -> None:
    """Set `a.b[2].c` in a plain document."""
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    for key in keys[:-1]:
        document = document[key]
    document[keys[-1]] = value


def read_scenario(name: str, variant: str | None = None) -> dict:
    """A library name, `name@variant`, or a path; a calibration's medians in place of the figures it
    fitted; the defence patched by the variant."""
    if "@" in name and variant is None:
        name, variant = name.split("@", 1)
    path = Path(name) if name.endswith(".toml") else LIBRARY / f"{name}.toml"
    raw = _plain(tomllib.loads(path.read_text("utf-8-sig")))
    for figure, fit in raw.pop("calibration", {}).get("figures", {}).items():
        _set(raw, figure, fit["median"])
    variants = raw.pop("variants", {})
    if variant not in (None, "baseline"):
        raw["defence"] = _patch(raw.get("defence", {}), variants[variant].get("defence", {}))
    raw["label"] = raw.get("name", path.stem) + (f"@{variant}" if variant else "")
    return raw


def read_catalogue() -> tuple[dict, dict, dict]:
    platforms = _plain(tomllib.loads((CATALOGUE / "platforms.toml").read_text("utf-8")))
    defences = _plain(tomllib.loads((CATALOGUE / "defences.toml").read_text("utf-8")))
    return platforms, defences.get("sensors", {}), defences.get("effectors", {})


# --- the geometry of a track -------------------------------------------------------------------------

class Track:
    """Straight in at transit speed from r0; a strike ends at the point, an ISR sortie holds at h."""

    def __init__(self, r0: float, speed: float, hold: float = 0.0, dwell: float = 0.0) -> None:
        self.r0, self.v, self.h = r0, speed, hold
        self.arrive = (r0 - hold) / speed
        self.end = self.arrive + dwell

    def at(self, t: float) -> float:
        return max(self.r0 - self.v * t, self.h)

    def reach(self, radius: float) -> float:
        """Since launch, when the drone first comes within `radius` (or holds, if never closer)."""
        return max(self.r0 - max(radius, self.h), 0.0) / self.v

    def window(self, r_min: float, r_max: float) -> tuple[float, float]:
        """[in, out] inside r_min <= r <= r_max, since launch; None when never."""
        if self.h > r_max or r_min > self.r0:
            return None
        out = self.end if self.h >= r_min else (self.r0 - r_min) / self.v
        return self.reach(r_max), out


def _shape_g(shape: str, x: float) -> float:
    if x >= 1.0:
        return 0.0
    if shape == "fourth_power":
        return 1.0 - x**4
    if shape == "logistic":
        return (1.0 + math.exp(-STEEPNESS * MIDPOINT)) / (1.0 + math.exp(STEEPNESS * (x - MIDPOINT)))
    return 1.0


def _shape_integral(shape: str, x: float) -> float:
    """G(x) = integral of g from 0 to min(x, 1), in closed form."""
    x = min(x, 1.0)
    if shape == "fourth_power":
        return x - x**5 / 5.0
    if shape == "logistic":
        c = 1.0 + math.exp(-STEEPNESS * MIDPOINT)
        return c * (x - (math.log1p(math.exp(STEEPNESS * (x - MIDPOINT)))
                         - math.log1p(math.exp(-STEEPNESS * MIDPOINT))) / STEEPNESS)
    return x


class Hazard:
    """The fused detection hazard of every sensor along one track, integrated exactly."""

    def __init__(self, track: Track, looks: list[tuple[float, float, str]]) -> None:
        self.track = track
        self.looks = [(rate, reach, shape) for rate, reach, shape in looks if rate > 0 and reach > 0]
        self.hold_rate = sum(self.rate_at(track.h, look) for look in self.looks)
        self.at_arrival = self.cumulative(track.arrive)
        self.total = self.cumulative(track.end)
        self.nodes_t = [track.arrive * i / NODES for i in range(NODES + 1)]
        self.nodes_cum = [self.cumulative(t) for t in self.nodes_t]

    @staticmethod
    def rate_at(r: float, look: tuple[float, float, str]) -> float:
        rate, reach, shape = look
        return rate * _shape_g(shape, r / reach)

    def cumulative(self, t: float) -> float:
        """Lambda(t) since launch: (1/v) * integral of lambda over the range flown, then the hold."""
        tr = self.track
        flown = min(t, tr.arrive)
        r = tr.r0 - tr.v * flown
        inbound = sum(rate * reach * (_shape_integral(shape, tr.r0 / reach) - _shape_integral(shape, r / reach))
                      for rate, reach, shape in self.looks) / tr.v
        return inbound + self.hold_rate * max(t - tr.arrive, 0.0)

    def inverse(self, e: float) -> float:
        """The time since launch where Lambda reaches e; inf when the track never gathers that much.

        Inbound: bracket e between exact values of Lambda at NODES times, interpolate, then polish
        by Newton steps on the exact Lambda (its derivative is the fused rate), kept in the bracket.
        """
        if e >= self.total:
            return math.inf
        if e > self.at_arrival:
            return self.track.arrive + (e - self.at_arrival) / self.hold_rate
        i = max(bisect.bisect_left(self.nodes_cum, e), 1)
        lo, hi = self.nodes_t[i - 1], self.nodes_t[i]
        c_lo, c_hi = self.nodes_cum[i - 1], self.nodes_cum[i]
        t = lo + (hi - lo) * (e - c_lo) / (c_hi - c_lo)
        for _ in range(NEWTON_STEPS):
            rate = sum(self.rate(self.track.at(t)))
            if rate <= 0:
                break
            t = min(max(t - (self.cumulative(t) - e) / rate, lo), hi)
        return t

    def rate(self, r: float) -> list[float]:
        return [self.rate_at(r, look) for look in self.looks]


# --- the parameters one replication needs ---------------------------------------------------------

def _sensor_looks(spec: dict, kind: dict, group: dict, site: dict) -> tuple[float, float, str]:
    """(rate, range, shape) of one sensor against one sortie group."""
    reach = spec.get("range_m", kind["range_m"])
    if kind["kind"] == "radar":
        reach *= (group["rcs"] / kind["rcs_ref_m2"]) ** 0.25
    if kind["kind"] == "rf" and not group["emits"]:
        reach = 0.0
    rate = spec.get("rate_per_s", kind["rate_per_s"])
    if site.get("night", False) and kind["kind"] in ("eo_ir", "observer"):
        rate *= kind.get("night_factor", 1.0)
    if group["low_altitude"] and kind["kind"] == "radar":
        rate *= kind.get("low_altitude_factor", 1.0)
    if site.get("noisy", False) and kind["kind"] in ("acoustic", "observer"):
        rate *= kind.get("noise_factor", 1.0)
    return rate, reach, spec.get("shape", kind["shape"])


def load_params(name: str = SCENARIO, variant: str | None = None) -> dict:
    """Everything the twin needs from a scenario file and the catalogues, as plain values."""
    sc = read_scenario(name, variant)
    platforms, sensor_kinds, effector_kinds = read_catalogue()
    site, threat, defence = sc["site"], sc["threat"], sc.get("defence", {})
    passive = defence.get("passive", {})
    assets = [{"name": a["name"], "count": a["count"],
               "reach": passive.get("dispersion", {}).get(a["name"], a.get("reach", 1)),
               "p_hit_factor": 1.0 - passive.get("shelters", {}).get(a["name"], 0.0),
               "value": a.get("unit_value_usd", 0.0), "damaged_share": a.get("damaged_value_share", 0.25)}
              for a in site.get("assets", [])]
    asset_index = {a["name"]: i for i, a in enumerate(assets)}
    sensors = []
    for spec in defence.get("sensors", []):
        kind = sensor_kinds[spec["type"]]
        # weapons free (identify_first = false): nothing waits for identification, nothing screens
        classify = kind.get("classifies", False) and defence.get("identify_first", True)
        c_range = spec.get("classify_range_m", kind.get("classify_range_m")) or spec.get(
            "range_m", kind["range_m"])
        if site.get("night", False) and kind["kind"] in ("eo_ir", "observer"):
            c_range *= kind.get("night_factor", 1.0)
        sensors.append({"spec": spec, "kind": kind, "classifies": classify, "classify_range": c_range,
                        "classify_s": spec.get("classify_s", kind.get("classify_s", 0.0)),
                        "capacity": spec.get("track_capacity", kind.get("track_capacity", 64)),
                        "false_per_h": spec.get("false_alarms_per_h", kind.get("false_alarms_per_h", 0.0))})
    effectors = []
    for spec in defence.get("effectors", []):
        kind = effector_kinds[spec["type"]]
        p_kill = kind["p_kill"] if "p_kill" not in spec else {c: spec["p_kill"] for c in kind["p_kill"]}
        effectors.append({
            "name": spec["name"], "jammer": kind["kind"] == "jammer",
            "r_min": spec.get("range_min_m", kind["range_min_m"]),
            "r_max": spec.get("range_max_m", kind["range_max_m"]),
            "tau": spec.get("engage_s", kind["engage_s"]), "p_kill": p_kill,
            "inventory": spec.get("inventory", kind.get("inventory")),
            "shot_usd": kind.get("cost_per_engagement_usd", 0.0),
            "daily_usd": kind.get("acquisition_usd", 0.0) / kind.get("lifetime_days", 1.0)})
    groups = []
    for g in threat.get("sorties", []):
        pl = platforms[g["platform"]]
        strike = g["role"] == "strike"
        if strike:
            track = Track(g["start_range_m"], pl["speed_mps"])
        else:
            hold = g.get("standoff_m", 300.0)
            transit = (g["start_range_m"] - hold) / pl["speed_mps"]
            dwell = max(pl["endurance_s"] - 2 * transit, 0.0)
            if g.get("dwell_s") is not None:
                dwell = min(dwell, g["dwell_s"])
            track = Track(g["start_range_m"], pl["speed_mps"], hold, dwell)
        group = {"name": g["name"], "count": g["count"], "strike": strike, "cls": pl["class"],
                 "launch": tuple(g.get("launch_window_s", (0.0, 0.0))), "track": track,
                 "rcs": pl["rcs_m2"], "emits": g.get("emits", pl["emits"]),
                 "low_altitude": g.get("low_altitude", False), "autonomy": pl.get("autonomy_share", 0.0),
                 "needed": g.get("dwell_needed_s", 600.0), "p_damage": pl["p_damage"],
                 "p_destroy": pl["p_destroy"], "p_casualty": pl["p_casualty"],
                 "unit_usd": pl.get("unit_cost_usd", 0.0), "expendable": pl.get("expendable", False),
                 "target": asset_index.get(g.get("target", "personnel"), -1) if strike else -1,
                 "perimeter": track.reach(site.get("perimeter_m", 300.0))}
        group["looks"] = [_sensor_looks(s["spec"], s["kind"], group, site) for s in sensors]
        group["hazard"] = Hazard(track, group["looks"])
        group["windows"] = [track.window(e["r_min"], e["r_max"]) for e in effectors]
        group["p"] = [0.0 if e["jammer"] and not group["emits"] else e["p_kill"].get(pl["class"], 0.0)
                      for e in effectors]
        group["classify"] = [track.window(0.0, s["classify_range"]) if s["classifies"] else None
                             for s in sensors]
        groups.append(group)
    flying = [g for g in groups if g["count"] > 0]
    return {
        "label": sc["label"], "groups": groups, "sensors": sensors, "effectors": effectors,
        "assets": assets, "personnel": site["personnel"], "exposed": site.get("exposed_per_delivery", 0),
        "killed_share": site.get("killed_share", 0.4),
        "killed_share_overrun": site.get("killed_share_overrun", site.get("killed_share", 0.4)),
        "find_s": (site["find_time_s"] / (1 - passive.get("route_variation", 0.0))
                   if site["kind"] == "convoy" else 0.0),
        "delay": (defence.get("command_delay", {}).get("median_s", 60.0),
                  defence.get("command_delay", {}).get("sigma", 0.5)),
        "warning": passive.get("warning", False), "cover_time": passive.get("cover_time_s", 60.0),
        "cover_share": passive.get("cover_share", 0.9), "camouflage": passive.get("camouflage", 0.0),
        "cover_duration": passive.get("cover_duration_s", 1800.0),
        "policy": defence.get("engagement_policy", "strike_first"),
        "early_warning": defence.get("early_warning", True),
        "isr_success": threat.get("isr_success_quality", 0.5),
        "horizon": max((g["launch"][1] + g["track"].end for g in groups), default=0.0),
        "last_launch": max((g["launch"][1] for g in flying), default=0.0),
        "daily_usd": (defence.get("days_amortised", 1.0)
                      * (sum(s["kind"].get("acquisition_usd", 0.0) / s["kind"].get("lifetime_days", 1.0)
                             for s in sensors) + sum(e["daily_usd"] for e in effectors))),
        "assault": threat.get("assault") if defence.get("ground") else None,
        "ground": defence.get("ground"), "qrf": defence.get("qrf"), "air": defence.get("air_support"),
    }


def _binomial_pmf(n: int, p: float) -> list[float]:
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def _convolve(a: list[float], b: list[float]) -> list[float]:
    """The law of a sum of two independent counts."""
    out = [0.0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


# --- agents -----------------------------------------------------------------------------------------

class Target:
    """What an effector can take up: a drone, or a false track."""

    cls = 0
    arrival = 0.0
    alert_at = math.inf
    defeated_at = math.inf
    index = 0

    def engageable(self, j: int, now: float) -> bool:
        enter, leave = self.windows[j]
        return self.alert_at <= now and enter <= now < leave and self.defeated_at == math.inf

    def key(self, policy: str) -> tuple:
        return (self.cls if policy == "strike_first" else 0, self.arrival, self.index)


class Drone(mesa.Agent, Target):
    """One sortie: launches, may be detected, identified, alerted on, engaged; delivers or leaves."""

    def __init__(self, model: TwinModel, group: dict, index: int) -> None:
        super().__init__(model)
        self.group, self.index = group, index
        lo, hi = group["launch"]
        self.launch = lo + (hi - lo) * model.rng.random()
        tr = group["track"]
        self.end = self.launch + tr.end
        self.cls = 0 if group["strike"] else 1
        self.arrival = self.launch + group["perimeter"]
        self.windows = [(math.inf, -math.inf) if w is None else (self.launch + w[0], self.launch + w[1])
                        for w in group["windows"]]
        self.autonomous = None  # drawn once, when a jammer first needs it
        self.engaged_by: set[Effector] = set()
        self.raw_at = self.detected_at = self.identified_at = math.inf
        self.delivered = False
        model.at(self.launch, self.take_off)
        model.at(self.end, self.finish)
        for enter, _ in self.windows:
            if enter < math.inf:
                model.at(enter, model.poke)

    def take_off(self) -> None:
        """Careful twin: draw E ~ Exp(1) once and jump to Lambda^-1(E); naive: the ticks will look."""
        if self.model.step_mode == "event":
            since = self.group["hazard"].inverse(self.model.rng.exponential())
            if since < math.inf:
                self.model.at(self.launch + since, self.model.picture.raw_detection, self)
        else:
            self.model.start_ticking()

    def exposure(self, now: float) -> tuple[float, float]:
        """Naive twin: seconds flown in the tick ending now, and the range at its middle."""
        lo, hi = max(now - TICK_S, self.launch), min(now, self.end)
        if hi <= lo:
            return 0.0, 0.0
        return hi - lo, self.group["track"].at(0.5 * (lo + hi) - self.launch)

    def p_for(self, effector: Effector) -> float:
        p = self.group["p"][effector.j]
        if p > 0 and effector.jammer:
            if self.autonomous is None:
                self.autonomous = self.model.rng.random() < self.group["autonomy"]
            if self.autonomous:
                return 0.0
        return p

    def finish(self) -> None:
        """The track ends: a strike not defeated delivers; an ISR sortie leaves."""
        if self.group["strike"] and self.defeated_at == math.inf:
            self.delivered = True
            self.model.deliver(self)


class FalseTrack(Target):
    """A false alarm: alerts at once, ranks as a strike arriving now, can never be killed."""

    def __init__(self, model: TwinModel, now: float) -> None:
        self.arrival, self.alert_at, self.index = now, now, -1
        self.windows = [(now, now + e["tau"]) for e in model.p["effectors"]]
        self.engaged_by: set[Effector] = set()

    def p_for(self, effector: Effector) -> float:
        return 0.0


class Picture(mesa.Agent):
    """The fused picture: at most C tracks at once; a track waits for a slot, holds it to its end."""

    def __init__(self, model: TwinModel, capacity: int) -> None:
        super().__init__(model)
        self.capacity, self.held, self.waiting = capacity, 0, []

    def raw_detection(self, drone: Drone) -> None:
        if drone.raw_at < math.inf or self.model.now >= drone.end:
            return
        drone.raw_at = self.model.now
        if self.held < self.capacity:
            self.take(drone)
        else:
            self.waiting.append(drone)

    def take(self, drone: Drone) -> None:
        self.held += 1
        self.model.at(drone.end, self.release)
        self.model.detected(drone)

    def release(self) -> None:
        self.held -= 1
        now = self.model.now
        while self.waiting:
            drone = self.waiting.pop(0)
            if drone.end > now:
                self.take(drone)
                return


class Sensor(mesa.Agent):
    """A sensor; one that classifies has `track_capacity` servers, each busy classify_s per track."""

    def __init__(self, model: TwinModel, spec: dict, k: int) -> None:
        super().__init__(model)
        self.k, self.spec = k, spec
        self.busy, self.queue = 0, []

    def look(self, drone: Drone, seconds: float, r: float) -> bool:
        """Naive twin: one coin flip for this sensor against this drone over one tick."""
        rate, reach, shape = drone.group["looks"][self.k]
        lam = rate * _shape_g(shape, r / reach) if reach > 0 else 0.0
        return lam > 0 and self.model.rng.random() < -math.expm1(-lam * seconds)

    def join(self, drone: Drone) -> None:
        self.queue.append(drone)
        self.serve()

    def serve(self) -> None:
        now = self.model.now
        while self.queue and self.busy < self.spec["capacity"]:
            drone = self.queue.pop(0)
            out = drone.launch + drone.group["classify"][self.k][1]
            if now + self.spec["classify_s"] <= out:
                self.busy += 1
                self.model.at(now + self.spec["classify_s"], self.done, drone)

    def done(self, drone: Drone) -> None:
        self.busy -= 1
        self.model.identified(drone)
        self.serve()


class Effector(mesa.Agent):
    """Takes one target at a time; a try lasts tau and kills with p; stays on until it falls or leaves."""

    def __init__(self, model: TwinModel, spec: dict, j: int) -> None:
        super().__init__(model)
        self.j, self.spec, self.jammer, self.tau = j, spec, spec["jammer"], spec["tau"]
        self.limit = math.inf if spec["inventory"] is None else spec["inventory"]
        self.target: Target | None = None
        self.shots, self.turn = 0, 0  # turn: which engagement a pending event belongs to
        self.try_start = -math.inf

    def wake(self) -> None:
        if self.target is not None or self.shots >= self.limit:
            return
        now, policy = self.model.now, self.model.p["policy"]
        choice = [t for t in self.model.targets if t.engageable(self.j, now)]
        if choice:
            self.target = min(choice, key=lambda t: t.key(policy))
            self.target.engaged_by.add(self)
            self.turn += 1
            self.next_try(self.turn)

    def next_try(self, turn: int) -> None:
        if turn != self.turn:
            return
        now, leave = self.model.now, self.target.windows[self.j][1]
        if self.shots < self.limit and now + self.tau <= leave:
            self.shots, self.try_start = self.shots + 1, now
            self.model.at(now + self.tau, self.try_ends, turn, priority=Priority.HIGH)
        else:  # no whole try fits: the crew stays on it until it leaves
            self.model.at(leave, self.release, turn)

    def try_ends(self, turn: int) -> None:
        if turn != self.turn:
            return
        p = self.target.p_for(self)
        if p > 0 and self.model.rng.random() < p:
            self.model.defeat(self.target)
        else:
            self.next_try(turn)

    def release(self, turn: int) -> None:
        if turn == self.turn:
            self.drop()

    def drop(self) -> None:
        """Leave the target. A try begun at this very instant (another effector's kill landed at
        the same time) was never fired."""
        if self.try_start == self.model.now and self.target.defeated_at == self.model.now:
            self.shots -= 1
        self.target.engaged_by.discard(self)
        self.target, self.turn = None, self.turn + 1
        self.model.poke()


class Force(mesa.Agent):
    """One side of the assault, as a count of fighters standing."""

    def __init__(self, model: TwinModel, standing: int) -> None:
        super().__init__(model)
        self.standing, self.start = standing, standing

    def lose(self, mean: float) -> int:
        """One minute's losses: each fighter falls with p = mean / standing; one binomial draw, or
        (naive twin) a coin per fighter."""
        n = self.standing
        if n <= 0:
            return 0
        p = min(mean, n) / n
        rng = self.model.rng
        lost = int(rng.binomial(n, p)) if self.model.step_mode == "event" else int(
            (rng.random(n) < p).sum())
        return lost


# --- the model ---------------------------------------------------------------------------------------

class TwinModel(mesa.Model):
    """One replication of the drone phase and the assault, on an event clock or a 1 s clock."""

    def __init__(self, params: dict, seed, step_mode: str = "event") -> None:
        super().__init__(rng=np.random.default_rng(seed))
        if step_mode not in ("event", "fixed"):
            raise ValueError(f"step_mode must be 'event' or 'fixed', not {step_mode!r}")
        self.p, self.step_mode = params, step_mode
        self.now = 0.0
        self.events: list[tuple] = []  # heap of (time, priority, sequence, handler, args)
        self.sequence = 0
        self.ticking, self.poked = False, math.nan
        self.alerts: list[float] = []
        self.first_alert = math.inf
        self.identified_n = 0
        self.false_alarms = 0
        self.casualties = 0
        self.casualties_expected = 0.0  # the mean of the drawn count given what delivered
        self.hits_pmf = [[1.0] for _ in params["assets"]]  # law of the hits on each kind, likewise
        self.hits = [0] * len(params["assets"])
        self.kills = [0] * len(params["assets"])
        self.sensor_agents = [Sensor(self, s, k) for k, s in enumerate(params["sensors"])]
        self.classifiers = [s for s in self.sensor_agents if s.spec["classifies"]]
        self.picture = Picture(self, sum(s["capacity"] for s in params["sensors"]))
        self.effector_agents = [Effector(self, e, j) for j, e in enumerate(params["effectors"])]
        self.drones: list[Drone] = []
        for group in params["groups"]:
            for _ in range(group["count"]):
                self.drones.append(Drone(self, group, len(self.drones)))
        self.targets: list[Target] = list(self.drones)
        rate = sum(s["false_per_h"] for s in params["sensors"]) / 3600.0
        self.false_rate = rate if not self.classifiers else 0.0
        if self.false_rate > 0:
            self.next_false_alarm(0.0)

    # the clock
    def at(self, t: float, handler, *args, priority: int = Priority.DEFAULT) -> None:
        """Schedule a handler at t; the naive twin notices it only at the next tick."""
        if t == math.inf:
            return
        if self.step_mode == "fixed":
            t = math.ceil(t / TICK_S - 1e-9) * TICK_S
        self.sequence += 1
        heapq.heappush(self.events, (max(t, self.now), priority, self.sequence, handler, args))

    def start_ticking(self) -> None:
        if not self.ticking:
            self.ticking = True
            self.at(self.now + TICK_S, self.tick, priority=Priority.HIGH)

    def tick(self) -> None:
        """Naive twin: every second, every sensor flips a coin for every drone in the air."""
        now = self.now
        for drone in self.drones:
            if drone.raw_at < math.inf or drone.launch >= now:
                continue
            seconds, r = drone.exposure(now)
            if seconds > 0 and any(s.look(drone, seconds, r) for s in self.sensor_agents):
                self.picture.raw_detection(drone)
        if any(d.end > now for d in self.drones):
            self.at(now + TICK_S, self.tick, priority=Priority.HIGH)

    # events of the drone phase
    def poke(self) -> None:
        """Something changed that a free effector may act on: let them look, once per instant."""
        if self.poked != self.now:
            self.poked = self.now
            self.at(self.now, self.dispatch, priority=Priority.LOW)

    def dispatch(self) -> None:
        for effector in self.effector_agents:
            effector.wake()

    def detected(self, drone: Drone) -> None:
        drone.detected_at = self.now
        if not self.classifiers:
            self.identified(drone)
            return
        for sensor in self.classifiers:
            window = drone.group["classify"][sensor.k]
            if window is not None:
                self.at(max(self.now, drone.launch + window[0]), sensor.join, drone)

    def identified(self, drone: Drone) -> None:
        if drone.identified_at < math.inf:
            return
        drone.identified_at = self.now
        self.identified_n += 1
        median, sigma = self.p["delay"]
        self.at(self.now + median * math.exp(sigma * self.rng.standard_normal()), self.alerted, drone)

    def alerted(self, target: Target) -> None:
        target.alert_at = self.now
        self.alerts.append(self.now)
        if isinstance(target, Drone):
            self.first_alert = min(self.first_alert, self.now)
        self.poke()

    def false_alarm(self) -> None:
        self.false_alarms += 1
        phantom = FalseTrack(self, self.now)
        self.targets.append(phantom)
        self.alerted(phantom)
        self.next_false_alarm(self.now)

    def next_false_alarm(self, after: float) -> None:
        """False tracks are a Poisson stream over [0, horizon]: the next comes an Exp gap later."""
        nxt = after + self.rng.exponential(1.0 / self.false_rate)
        if nxt <= self.p["horizon"]:
            self.at(nxt, self.false_alarm)

    def defeat(self, target: Drone) -> None:
        target.defeated_at = self.now
        for other in list(target.engaged_by):
            other.drop()

    def deliver(self, drone: Drone) -> None:
        """People exposed lose cover share w after the latest alert; assets within reach are hit."""
        g, p, now = drone.group, self.p, self.now
        share = 0.0
        latest = max((a for a in self.alerts if a <= now), default=None)
        if p["warning"] and latest is not None and now - latest <= p["cover_duration"]:
            share = p["cover_share"] * min(1.0, (now - latest) / p["cover_time"])
        p_hurt = g["p_casualty"] * (1.0 - share)
        self.casualties_expected += p["exposed"] * p_hurt
        self.casualties += int(self.rng.binomial(p["exposed"], p_hurt))
        if g["target"] >= 0:
            asset = p["assets"][g["target"]]
            p_hit = g["p_damage"] * asset["p_hit_factor"]
            self.hits_pmf[g["target"]] = _convolve(self.hits_pmf[g["target"]], _binomial_pmf(asset["reach"], p_hit))
            hits = int(self.rng.binomial(asset["reach"], p_hit))
            self.hits[g["target"]] += hits
            self.kills[g["target"]] += int(self.rng.binomial(hits, g["p_destroy"]))

    # after the drones
    def isr_quality(self) -> float:
        best = 0.0
        for d in self.drones:
            if d.group["strike"]:
                continue
            start = d.launch + d.group["track"].arrive
            if self.p["find_s"] > 0:
                start += self.rng.exponential(self.p["find_s"])
            flown = max(min(d.end, d.defeated_at) - start, 0.0)
            best = max(best, min(1.0, flown / d.group["needed"]) * (1.0 - self.p["camouflage"]))
        return best

    def cover_minutes(self) -> float:
        if not self.p["warning"]:
            return 0.0
        total, until = 0.0, -math.inf
        for a in sorted(self.alerts):
            end = a + self.p["cover_duration"]
            total += end - max(a, until) if end > until else 0.0
            until = max(until, end)
        return total / 60.0

    def run_events(self) -> None:
        """Jump from event to event until nothing is left to happen."""
        while self.events:
            self.now, _, _, handler, args = heapq.heappop(self.events)
            handler(*args)

    def run(self) -> dict:
        self.run_events()
        quality = self.isr_quality()
        casualties = min(self.casualties, self.p["personnel"])
        fight = Assault(self, quality, casualties).result() if self.p["assault"] else None
        return self.outputs(quality, casualties, fight)

    def outputs(self, quality: float, casualties: int, fight: dict | None) -> dict:
        p = self.p
        damaged = [min(h, a["count"]) for h, a in zip(self.hits, p["assets"])]
        destroyed = [min(k, a["count"]) for k, a in zip(self.kills, p["assets"])]
        if fight is not None and fight["assault_outcome"] != NO_ASSAULT:  # the attackers burn what stands
            share = p["assault"].get("destroys_overrun" if fight["assault_outcome"] == OVERRUN
                                     else "destroys_held", 0.0)
            destroyed = [x + int(self.rng.binomial(a["count"] - x, share)) for x, a in zip(destroyed, p["assets"])]
            damaged = [max(d, x) for d, x in zip(damaged, destroyed)]
        value = sum(a["value"] * (x + a["damaged_share"] * (d - x))
                    for a, d, x in zip(p["assets"], damaged, destroyed))
        defeated = [d for d in self.drones if d.defeated_at < math.inf]
        fight = fight or {"assault_outcome": NO_ASSAULT, "assault_defender_losses": 0, "attacker_losses": 0,
                          "air_hits": 0, "assault_warning_min": 0.0}
        losses = casualties + fight["assault_defender_losses"]
        killed = int(self.rng.binomial(losses, p["killed_share_overrun"] if fight["assault_outcome"] == OVERRUN
                                       else p["killed_share"]))
        return {
            "detected": sum(d.detected_at < math.inf for d in self.drones),
            "identified": self.identified_n, "defeated": len(defeated),
            "leakers": sum(d.delivered for d in self.drones),
            "false_alarms": self.false_alarms,
            "assets_damaged": sum(damaged), "assets_destroyed": sum(destroyed),
            "assets_damaged_expected": sum(sum(min(k, a["count"]) * q for k, q in enumerate(pmf))
                                           for pmf, a in zip(self.hits_pmf, p["assets"])),
            "casualties_expected": self.casualties_expected, "casualties": casualties,
            "isr_quality": quality,
            "isr_success": any(not g["strike"] for g in p["groups"]) and quality >= p["isr_success"],
            "cover_min": self.cover_minutes(), **fight,
            "defender_losses": losses, "defender_killed": killed, "defender_wounded": losses - killed,
            "value_lost_usd": value,
            "defender_cost_usd": p["daily_usd"] + value + sum(
                e.shots * e.spec["shot_usd"] for e in self.effector_agents),
            "attacker_cost_usd": sum(d.group["unit_usd"] for d in self.drones
                                     if d.defeated_at < math.inf or (d.delivered and d.group["expendable"])),
        }


class Assault:
    """The ground assault in one-minute events: QRF, surprise, air on station, losses, air hits, breaks."""

    def __init__(self, model: TwinModel, quality: float, casualties: int) -> None:
        self.model, p = model, model.p
        a, ground, qrf, air = p["assault"], p["ground"], p["qrf"] or {}, p["air"]
        self.a, self.quality = a, quality
        self.occurs = model.rng.random() < (a.get("probability_without_isr", 1.0) + (
            a.get("probability_with_isr", 1.0) - a.get("probability_without_isr", 1.0)) * quality)
        if not self.occurs:
            return
        start = a.get("start_s", p["last_launch"])
        lead = start - model.first_alert if p["early_warning"] else 0.0
        self.lead = lead if lead > 0 else 0.0
        self.qrf_size = qrf.get("size", 0)
        self.qrf_at = ((qrf["call_delay_s"] + qrf["travel_s"] - self.lead) / 60.0) if qrf else math.inf
        self.air = air
        if air:
            self.air_at = (air["call_delay_s"] + air["arrival_s"] - self.lead) / 60.0
            self.fire_from = self.air_at + air.get("authorisation_s", 0.0) / 60.0
            self.cycle = air.get("on_station_min", 60.0) + air.get("turnaround_min", 60.0)
            self.left = [air.get("munitions_per_sortie", 4)] * air.get("sorties", 1)
            self.fired = [0] * air.get("sorties", 1)
        self.surprise_lost = self.lead > 0 or (air is not None and self.air_at <= 0)
        self.alpha = a["alpha_per_min"] * (1.0 + a.get("isr_gain", 0.0) * quality)
        self.attackers = Force(model, a["attackers"])
        self.defenders = Force(model, p["personnel"] - casualties)
        self.garrison = p["personnel"]
        self.break_a = self.breaking(a.get("break_fraction", 0.5), a.get("break_concentration", 20.0))
        self.break_d = self.breaking(ground.get("break_fraction", 0.3), ground.get("break_concentration", 20.0))
        self.joined = False
        self.outcome = STALEMATE
        self.air_hits = 0
        self.t0 = model.now
        model.at(self.t0, self.minute, 0)

    def breaking(self, mean: float, concentration: float) -> float:
        if mean in (0.0, 1.0):
            return mean
        return float(self.model.rng.beta(concentration * mean, concentration * (1 - mean)))

    def on_station(self, k: int) -> int | None:
        """The air sortie on station at minute k, if any."""
        if not self.air:
            return None
        s = math.floor((k - self.air_at) / self.cycle) if k >= self.air_at else -1
        on = self.air.get("on_station_min", 60.0)
        if 0 <= s < len(self.left) and k < self.air_at + s * self.cycle + on:
            return s
        return None

    def minute(self, k: int) -> None:
        a, D, A = self.a, self.defenders, self.attackers
        if not self.joined and k >= self.qrf_at:
            self.joined = True
            D.standing += self.qrf_size
            D.start += self.qrf_size
        surprise = a.get("surprise_factor", 1.0) if k < a.get("surprise_min", 0.0) and not self.surprise_lost else 1.0
        sortie = self.on_station(k)
        guided = 1.0 + (self.air.get("guidance_gain", 0.2) if sortie is not None else 0.0)
        n_a, n_d = A.standing, D.standing
        lost_a = A.lose(self.model.p["ground"]["beta_per_min"] * guided * n_d)
        lost_d = D.lose(self.alpha * surprise * n_a)
        A.standing -= lost_a
        D.standing -= lost_d
        if sortie is not None and self.air.get("armed") and k >= self.fire_from:
            self.air_strike(sortie)
        if D.standing <= self.break_d * self.garrison:
            self.outcome = OVERRUN
        elif A.standing <= self.break_a * A.start:
            self.outcome = REPELLED
        elif k + 1 < a.get("max_minutes", 120):
            self.model.at(self.t0 + (k + 1) * MINUTE_S, self.minute, k + 1)

    def air_strike(self, s: int) -> None:
        rate, j = self.air.get("munitions_per_min", 0.5), self.fired[s]
        n = min(math.floor(rate * (j + 1)) - math.floor(rate * j), self.left[s])
        self.fired[s] += 1
        self.left[s] -= n
        if n > 0:
            hits = min(int(self.model.rng.binomial(n, self.air.get("p_effect", 0.5))), self.attackers.standing)
            self.attackers.standing -= hits
            self.air_hits += hits

    def result(self) -> dict:
        if not self.occurs:
            return None
        self.model.run_events()
        return {"assault_outcome": self.outcome,
                "assault_defender_losses": self.defenders.start - self.defenders.standing,
                "attacker_losses": self.attackers.start - self.attackers.standing,
                "air_hits": self.air_hits, "assault_warning_min": self.lead / 60.0}


def run_replication(params: dict, seed, step_mode: str = "event") -> dict:
    """One replication = one model run."""
    return TwinModel(params, seed, step_mode).run()


def run_many(params: dict, reps: int, seed: int = 0, step_mode: str = "event") -> dict[str, np.ndarray]:
    """`reps` replications, replication i seeded (seed, i); one array per output."""
    rows = [run_replication(params, (seed, i), step_mode) for i in range(reps)]
    return {key: np.array([row[key] for row in rows], dtype=float) for key in rows[0]}


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    variant = sys.argv[2] if len(sys.argv) > 2 else None
    mode = sys.argv[3] if len(sys.argv) > 3 else "event"
    params = load_params(SCENARIO, variant)
    t0 = time.perf_counter()
    cols = run_many(params, reps, step_mode=mode)
    elapsed = time.perf_counter() - t0
    print(f"{params['label']} ({mode}): {reps} replications in {elapsed:.1f} s = {reps / elapsed:.1f} /s")
    for key, values in cols.items():
        print(f"  {key:24s} mean {values.mean():.4f}  sd {values.std(ddof=1):.4f}")
    for c in range(4):
        print(f"  share outcome {c}: {(cols['assault_outcome'] == c).mean():.4f}")
