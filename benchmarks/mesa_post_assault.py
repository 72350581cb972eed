"""Library scenario 3 (`post-drone-assault`) as a Mesa 3 agent-based model: the benchmark's baseline.

The same model as the engine (docs/simulator.md) written the way an agent-based modeller writes it: one
Python object per drone, sensor, effector, vehicle and soldier, the clock advanced in fixed steps
(1 s while drones fly, 1 min during the ground assault), a coin flip per step and object for every
random event. One replication is one `PostAssaultModel` run.

Parameters are read from the scenario file and the platform/defence catalogues through
`sahelsim.sim.scenario.load_scenario` and `sahelsim.sim.catalogue.load_catalogue` (the validated
inputs, not the engine's compiled arrays), so this model and the engine cannot drift apart on
numbers, while the derivations (tracks, hazards, windows, effects) are written again here from the
equations. Where the engine makes a modelling choice docs/simulator.md leaves open, this model follows it:

* tracks: straight in at transit speed; an ISR sortie loiters at its stand-off radius for
  min(endurance - 2 x transit, dwell_s) and then stops mattering (no outbound leg);
* detection: sensors at the post, hazard lambda0 * m * g(r / R) with the engine's logistic
  constants; here a coin flip per sensor per second with P = 1 - exp(-lambda(r) dt);
* engagement: after the alert (detection + LogNormal command delay) an effector engages one
  drone at a time inside [r_min, r_max], preferring the drone that reaches the perimeter first;
  each try lasts tau and kills with p if the drone is still in the window when the try ends; a
  jammer's p is 0 against a drone that does not emit or that flies on autonomously (a coin flip
  with the autonomy share, once per drone), though the jammer still spends its tries on it;
* effects: every delivering strike hurts each of `exposed_per_delivery` soldiers with
  p_casualty x (1 - cover share), the cover share growing with the lead time from the first alert;
  a strike on vehicles damages each vehicle within its reach with p_damage x (1 - hardening);
* ISR quality: best ISR sortie's min(1, undisturbed dwell / needed) x (1 - camouflage);
* assault: happens with probability p_without + (p_with - p_without) x Q; then every minute each
  defender falls with probability (alpha' x A x dt) / D and each attacker with
  ((beta x D + air) x dt) / A - binomial attrition soldier by soldier, where the engine draws the
  same binomial in one inverse-CDF step per side; breaking judged as in the engine.

Run directly for a quick look: `python benchmarks/mesa_post_assault.py [reps]`.
"""

from __future__ import annotations

import math
import sys
import time

import mesa

from sahelsim.sim.catalogue import load_catalogue
from sahelsim.sim.scenario import Scenario, load_scenario
from sahelsim.sim.sensors import LOGISTIC_MIDPOINT, LOGISTIC_STEEPNESS

SCENARIO = "post-drone-assault"  # library scenario 3

# engine outcome codes (sahelsim.sim.assault.Outcome), so the two tables compare directly
NO_ASSAULT, REPELLED, OVERRUN, STALEMATE = 0, 1, 2, 3


# --- parameters: a plain dict read from the validated scenario + catalogues ----------------------

def params_from_scenario(scenario: Scenario | str = SCENARIO) -> dict:
    """Everything the Mesa model needs, as plain numbers, from a scenario (or its library name)."""
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    cat = load_catalogue()
    site, threat, defence = scenario.site, scenario.threat, scenario.defence
    passive = defence.passive
    sorties = []
    for s in threat.sorties:
        pl = cat.platforms[s.platform]
        dwell = 0.0
        if s.role == "isr":
            transit = (s.start_range_m - s.standoff_m) / pl.speed_mps
            dwell = max(pl.endurance_s - 2 * transit, 0.0)
            if s.dwell_s is not None:
                dwell = min(dwell, s.dwell_s)
        sorties.append({
            "name": s.name, "role": s.role, "count": s.count, "cls": pl.platform_class,
            "launch": tuple(s.launch_window_s), "r0": s.start_range_m, "speed": pl.speed_mps,
            "hold": s.standoff_m if s.role == "isr" else 0.0, "dwell": dwell,
            "dwell_needed": s.dwell_needed_s, "rcs": pl.rcs_m2,
            "emits": pl.emits if s.emits is None else s.emits, "low_altitude": s.low_altitude,
            "autonomy": pl.autonomy_share, "target": s.target, "p_damage": pl.p_damage,
            "p_destroy": pl.p_destroy, "p_casualty": pl.p_casualty,
        })
    sensors = []
    for spec in defence.sensors:
        st = cat.sensors[spec.type]
        sensors.append({"name": spec.name, "kind": st.kind, "shape": st.shape,
                        "range": st.range_m if spec.range_m is None else spec.range_m,
                        "rate": st.rate_per_s if spec.rate_per_s is None else spec.rate_per_s,
                        "rcs_ref": st.rcs_ref_m2, "night": st.night_factor,
                        "low_altitude": st.low_altitude_factor, "noise": st.noise_factor})
    effectors = []
    for spec in defence.effectors:
        et = cat.effectors[spec.type]
        effectors.append({
            "name": spec.name, "jammer": et.kind == "jammer",
            "r_min": et.range_min_m if spec.range_min_m is None else spec.range_min_m,
            "r_max": et.range_max_m if spec.range_max_m is None else spec.range_max_m,
            "tau": et.engage_s if spec.engage_s is None else spec.engage_s,
            "p_kill": ({c: spec.p_kill for c in et.p_kill} if spec.p_kill is not None
                       else dict(et.p_kill))})
    assets = [{"name": a.name, "count": a.count,
               "reach": passive.dispersion.get(a.name, a.reach),
               "hardening": passive.shelters.get(a.name, 0.0)} for a in site.assets]
    assault = None
    if threat.assault is not None and defence.ground is not None:
        a, qrf, air = threat.assault, defence.qrf, defence.air_support
        air_arrival = math.inf if air is None else air.call_delay_s + air.arrival_s
        assault = {
            "attackers": a.attackers, "alpha": a.alpha_per_min, "beta": defence.ground.beta_per_min,
            "break_a": a.break_fraction, "break_d": defence.ground.break_fraction,
            "p_without": a.probability_without_isr, "p_with": a.probability_with_isr,
            "kappa": a.isr_gain, "surprise": a.surprise_factor, "surprise_min": a.surprise_min,
            "max_minutes": a.max_minutes,
            "qrf_size": 0 if qrf is None else qrf.size,
            "qrf_at_s": math.inf if qrf is None else qrf.call_delay_s + qrf.travel_s,
            "air_fire": air.fire_per_min if air is not None and air.armed else 0.0,
            "air_fire_at_s": math.inf if air is None else air_arrival + air.authorisation_s,
            "warned": air is not None and air_arrival <= 0,
        }
    return {
        "label": scenario.label, "personnel": site.personnel, "perimeter": site.perimeter_m,
        "exposed": site.exposed_per_delivery, "night": site.night, "noisy": site.noisy,
        "sorties": sorties, "sensors": sensors, "effectors": effectors, "assets": assets,
        "delay_median": defence.command_delay.median_s, "delay_sigma": defence.command_delay.sigma,
        "warning": passive.warning, "cover_time": passive.cover_time_s,
        "cover_share": passive.cover_share, "camouflage": passive.camouflage,
        "isr_success_quality": threat.isr_success_quality, "assault": assault,
    }


# --- agents ---------------------------------------------------------------------------------------

class Drone(mesa.Agent):
    """One sortie: waits for its launch, flies in, loiters (ISR) or delivers (strike)."""

    def __init__(self, model, spec):
        super().__init__(model)
        self.spec = spec
        lo, hi = spec["launch"]
        self.launch = self.random.uniform(lo, hi)
        self.range = spec["r0"]
        self.autonomous = self.random.random() < spec["autonomy"]  # flies on through jamming
        self.state = "waiting"  # waiting, inbound, loiter, delivered, defeated, gone
        self.loitered = 0.0
        hold = max(model.p["perimeter"], spec["hold"])
        self.perimeter_eta = self.launch + max(spec["r0"] - hold, 0.0) / spec["speed"]
        self.detected_at = None
        self.alert_at = None
        self.mid_range = self.range  # mean range over the last step
        self.exposure = 0.0  # seconds flown in the last step

    @property
    def active(self):
        return self.state in ("inbound", "loiter")

    def alerted(self, now):
        return self.alert_at is not None and self.alert_at <= now

    def step(self):
        """Fly the step (now - dt, now]; remember where the drone was, on average, and for how long."""
        dt, now = self.model.dt, self.model.time
        self.exposure = 0.0
        start = now - dt
        if self.state == "waiting":
            if now <= self.launch:
                return
            self.state, start = "inbound", self.launch
        left = now - start
        if self.state == "inbound":
            spec = self.spec
            flight = min(left, (self.range - spec["hold"]) / spec["speed"])
            before = self.range
            self.range = max(self.range - spec["speed"] * flight, spec["hold"])
            self.mid_range, self.exposure = 0.5 * (before + self.range), flight
            left -= flight
            if self.range <= spec["hold"]:
                if spec["role"] == "strike":
                    self.model.deliver(self, at=start + flight)
                    return
                self.state = "loiter"
        if self.state == "loiter" and left > 0:
            stay = min(left, self.spec["dwell"] - self.loitered)
            self.loitered += stay
            if self.exposure == 0.0:
                self.mid_range = self.range
            self.exposure += stay
            if self.loitered >= self.spec["dwell"]:
                self.state = "gone"


class Sensor(mesa.Agent):
    """Looks at every active, undetected drone each step: detects it with P = 1 - exp(-lambda dt)."""

    def __init__(self, model, spec):
        super().__init__(model)
        self.spec = spec
        self.against = {}  # (range, rate) per sortie group, resolved once

    def resolve(self, sortie):
        key = sortie["name"]
        if key not in self.against:
            s, p = self.spec, self.model.p
            reach = s["range"]
            if s["kind"] == "radar":
                reach *= (sortie["rcs"] / s["rcs_ref"]) ** 0.25
            if s["kind"] == "rf" and not sortie["emits"]:
                reach = 0.0
            rate = s["rate"]
            if p["night"] and s["kind"] in ("eo_ir", "observer"):
                rate *= s["night"]
            if sortie["low_altitude"] and s["kind"] == "radar":
                rate *= s["low_altitude"]
            if p["noisy"] and s["kind"] in ("acoustic", "observer"):
                rate *= s["noise"]
            self.against[key] = (reach, rate)
        return self.against[key]

    def hazard(self, drone):
        reach, rate = self.resolve(drone.spec)
        if reach <= 0 or drone.mid_range >= reach:
            return 0.0
        x = drone.mid_range / reach
        shape = self.spec["shape"]
        if shape == "fourth_power":
            return rate * (1.0 - x**4)
        if shape == "logistic":
            k, m = LOGISTIC_STEEPNESS, LOGISTIC_MIDPOINT
            return rate * (1.0 + math.exp(-k * m)) / (1.0 + math.exp(k * (x - m)))
        return rate

    def step(self):
        for drone in self.model.drones:
            if drone.exposure > 0.0 and drone.detected_at is None:
                lam = self.hazard(drone)
                if lam > 0.0 and self.random.random() < 1.0 - math.exp(-lam * drone.exposure):
                    self.model.detect(drone)


class Effector(mesa.Agent):
    """Engages one alerted drone at a time inside its ranges; each try takes tau seconds."""

    def __init__(self, model, spec):
        super().__init__(model)
        self.spec = spec
        self.target = None
        self.try_ends = 0.0
        self.shots = 0

    def can_engage(self, drone, now):
        return (drone.active and drone.alerted(now)
                and self.spec["r_min"] <= drone.range <= self.spec["r_max"])

    def p_class(self, drone):
        """What the crew expects of a try against the drone's class: it picks targets by this."""
        return self.spec["p_kill"].get(drone.spec["cls"], 0.0)

    def p_kill(self, drone):
        immune = self.spec["jammer"] and (drone.autonomous or not drone.spec["emits"])
        return 0.0 if immune else self.p_class(drone)

    def step(self):
        now = self.model.time
        if self.target is not None:
            if not self.can_engage(self.target, now):
                self.target = None  # delivered, left, or defeated by another effector
            elif now >= self.try_ends:
                self.shots += 1
                if self.random.random() < self.p_kill(self.target):
                    self.model.defeat(self.target, self)
                    self.target = None
                else:
                    self.try_ends = now + self.spec["tau"]
                return
            else:
                return
        targets = [d for d in self.model.drones if self.can_engage(d, now) and self.p_class(d) > 0]
        if targets:
            self.target = min(targets, key=lambda d: d.perimeter_eta)
            self.try_ends = now + self.spec["tau"]


class Vehicle(mesa.Agent):
    """One asset on the site (in scenario 3, one of the post's vehicles)."""

    def __init__(self, model, kind):
        super().__init__(model)
        self.kind = kind
        self.damaged = False
        self.destroyed = False


class Soldier(mesa.Agent):
    """A defender or an attacker; during the assault it falls with its side's per-minute risk."""

    def __init__(self, model, side):
        super().__init__(model)
        self.side = side
        self.alive = True

    def step(self):
        if self.alive and self.random.random() < self.model.risk[self.side]:
            self.alive = False


# --- the model ------------------------------------------------------------------------------------

class PostAssaultModel(mesa.Model):
    """One replication: the drone phase in 1 s steps, then the ground assault in 1 min steps."""

    def __init__(self, params: dict, seed=None):
        super().__init__(seed=seed)
        self.p = params
        self.dt = 1.0
        self.time = 0.0
        for spec in params["sorties"]:
            for _ in range(spec["count"]):
                Drone(self, spec)
        for spec in params["sensors"]:
            Sensor(self, spec)
        for spec in params["effectors"]:
            Effector(self, spec)
        for asset in params["assets"]:
            for _ in range(asset["count"]):
                Vehicle(self, asset["name"])
        self.garrison = [Soldier(self, "defender") for _ in range(params["personnel"])]
        self.drones = self.agents_by_type[Drone]
        self.sensors = self.agents_by_type.get(Sensor, mesa.agent.AgentSet([], random=self.random))
        self.effectors = self.agents_by_type.get(Effector, mesa.agent.AgentSet([], random=self.random))
        self.first_alert = math.inf
        self.casualties = 0
        self.leakers = 0
        self.defeated = 0
        self.risk = {"defender": 0.0, "attacker": 0.0}

    # events raised by the agents
    def detect(self, drone):
        drone.detected_at = self.time
        delay = self.random.lognormvariate(math.log(self.p["delay_median"]), self.p["delay_sigma"])
        drone.alert_at = self.time + delay

    def defeat(self, drone, effector):
        drone.state = "defeated"
        self.defeated += 1

    def deliver(self, drone, at):
        drone.state = "delivered"
        self.leakers += 1
        spec, now = drone.spec, at
        # people: the share under cover grows with the lead time since the first alert so far
        alerts = [d.alert_at for d in self.drones if d.alerted(now)]
        share = 0.0
        if self.p["warning"] and alerts:
            lead = now - min(alerts)
            share = self.p["cover_share"] * min(1.0, max(0.0, lead / self.p["cover_time"]))
        standing = [s for s in self.garrison if s.alive]
        for soldier in self.random.sample(standing, min(self.p["exposed"], len(standing))):
            if self.random.random() < spec["p_casualty"] * (1.0 - share):
                soldier.alive = False
                self.casualties += 1
        # assets within the delivery's reach
        for asset in self.p["assets"]:
            if asset["name"] != spec["target"]:
                continue
            intact = [v for v in self.agents_by_type.get(Vehicle, [])
                      if v.kind == asset["name"] and not v.damaged]
            for vehicle in self.random.sample(intact, min(asset["reach"], len(intact))):
                if self.random.random() < spec["p_damage"] * (1.0 - asset["hardening"]):
                    vehicle.damaged = True
                    if self.random.random() < spec["p_destroy"]:
                        vehicle.destroyed = True

    def isr_quality(self):
        best = 0.0
        for d in self.drones:
            if d.spec["role"] == "isr":
                q = min(1.0, d.loitered / d.spec["dwell_needed"]) * (1.0 - self.p["camouflage"])
                best = max(best, q)
        return best

    def step(self):
        """One second, (time - dt, time]: drones fly, sensors look, effectors fire."""
        self.time += self.dt
        self.drones.do("step")
        self.sensors.shuffle_do("step")
        self.effectors.shuffle_do("step")
        if not any(d.state in ("waiting", "inbound", "loiter") for d in self.drones):
            self.running = False

    def run(self) -> dict:
        while self.running:
            self.step()
        quality = self.isr_quality()
        outcome, lost_in_assault, lost_a = self.assault(quality)
        vehicles = self.agents_by_type.get(Vehicle, [])
        return {
            "detected": sum(d.detected_at is not None for d in self.drones),
            "defeated": self.defeated,
            "leakers": self.leakers,
            "assets_damaged": sum(v.damaged for v in vehicles),
            "assets_destroyed": sum(v.destroyed for v in vehicles),
            "casualties": self.casualties,
            "isr_quality": quality,
            "isr_success": quality >= self.p["isr_success_quality"],
            "assault_outcome": outcome,
            "assault_defender_losses": lost_in_assault,
            "defender_losses": self.casualties + lost_in_assault,
            "attacker_losses": lost_a,
        }

    def assault(self, quality):
        a = self.p["assault"]
        if a is None:
            return NO_ASSAULT, 0, 0
        p_launch = a["p_without"] + (a["p_with"] - a["p_without"]) * quality
        if self.random.random() >= p_launch:
            return NO_ASSAULT, 0, 0
        alpha = a["alpha"] * (1.0 + a["kappa"] * quality)
        attackers = [Soldier(self, "attacker") for _ in range(a["attackers"])]
        defenders = [s for s in self.garrison if s.alive]
        engaged = len(defenders)
        outcome, qrf_joined = STALEMATE, False
        for minute in range(a["max_minutes"]):
            if not qrf_joined and minute * 60.0 >= a["qrf_at_s"]:
                defenders += [Soldier(self, "defender") for _ in range(a["qrf_size"])]
                engaged += a["qrf_size"]
                qrf_joined = True
            n_a = sum(s.alive for s in attackers)
            n_d = sum(s.alive for s in defenders)
            surprise = a["surprise"] if minute < a["surprise_min"] and not a["warned"] else 1.0
            air = a["air_fire"] if minute * 60.0 >= a["air_fire_at_s"] else 0.0
            self.risk["attacker"] = min(1.0, (a["beta"] * n_d + air) / n_a) if n_a else 0.0
            self.risk["defender"] = min(1.0, alpha * surprise * n_a / n_d) if n_d else 0.0
            fighters = attackers + defenders
            self.random.shuffle(fighters)
            for soldier in fighters:
                soldier.step()
            n_a = sum(s.alive for s in attackers)
            n_d = sum(s.alive for s in defenders)
            if n_d <= a["break_d"] * self.p["personnel"]:
                outcome = OVERRUN
                break
            if n_a <= a["break_a"] * a["attackers"]:
                outcome = REPELLED
                break
        return outcome, engaged - sum(s.alive for s in defenders), a["attackers"] - sum(
            s.alive for s in attackers)


def run_replication(params: dict, seed: int) -> dict:
    """One replication = one model run."""
    return PostAssaultModel(params, seed=seed).run()


def run_many(params: dict, reps: int, seed: int = 0) -> list[dict]:
    return [run_replication(params, seed * 1_000_003 + i) for i in range(reps)]


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    variant = sys.argv[2] if len(sys.argv) > 2 else None
    params = params_from_scenario(load_scenario(SCENARIO, variant))
    t0 = time.perf_counter()
    rows = run_many(params, reps)
    elapsed = time.perf_counter() - t0
    print(f"{params['label']}: {reps} replications in {elapsed:.1f} s = {reps / elapsed:.1f} /s")
    for key in rows[0]:
        print(f"  {key:18s} mean {sum(float(r[key]) for r in rows) / reps:.3f}")
