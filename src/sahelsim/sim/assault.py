"""Ground assault after the drones: stochastic Lanchester square law (docs/simulator.md, Ground assault).

Attackers A and defenders D attrit each other minute by minute: the attackers lose on average
β·(1 + g·[air on station])·D per minute and the defenders α'·A, with α' = α·(1 + κ·Q) raised by the
attackers' ISR quality Q, and by a surprise factor during the first minutes unless the defenders
were warned. Warning comes from the drone phase (an alert before the first shot: the reaction force
and air support are called then) or from air overwatch already on station (Tongo Tongo, 2017). Air
support flies sorties on station; on station it guides the defenders' fire (the gain g), and armed
it releases its munitions, each putting one attacker out of action with probability p_effect. Each
side breaks at its own fraction of its strength, drawn per replication; time may run out.

Each step's losses are exact binomial draws, as the model asks: each of the side's n fighters
falls with probability p = mean / n. They are drawn by inversion (`binomial.quantile`) from one
uniform per replication, step and side of the assault stream, and the air hits likewise from one
uniform per replication and step of their own stream. One number per draw, whatever n and p, keeps
the streams laid out by replication and step (common random numbers between defence variants), and
for a fixed uniform more opposing fire (p up) or more fighters under the same risk (n up) never gives
fewer losses, so comparisons stay monotone. (An earlier rounded normal with the binomial's mean and
variance had the same layout but biased the outcome: +1.6% attacker losses against
soldier-by-soldier coin flips.) With no draws (`uniforms=None`) the step is the deterministic Euler
step of dA/dt = −β·D − air, dD/dt = −α·A, break points are their means and air hits are the
munitions released times p_effect: the closed-form check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from sahelsim.sim import binomial


class Outcome(IntEnum):
    NO_ASSAULT = 0
    REPELLED = 1  # the attackers broke
    OVERRUN = 2  # the defenders broke
    STALEMATE = 3  # time ran out


@dataclass(frozen=True)
class AirPlan:
    """Air support as the fight sees it; minutes count from the first shot, before any warning."""

    arrival_min: float  # call delay + arrival
    authorisation_min: float  # from arrival until an armed sortie may fire
    armed: bool
    sorties: int
    on_station_min: float
    turnaround_min: float
    munitions_per_sortie: int
    munitions_per_min: float
    p_effect: float
    guidance_gain: float

    @property
    def fires(self) -> bool:
        """Whether any munition can ever hit: armed, loaded and with a chance of effect."""
        return self.armed and self.munitions_per_sortie > 0 and self.p_effect > 0

    @property
    def cycle_min(self) -> float:
        return self.on_station_min + self.turnaround_min


# A figure of the fight: one value for every replication, or one per replication (an uncertain
# figure drawn per replication, or one parameter point per replication in calibration).
PerFight = float | np.ndarray


@dataclass(frozen=True)
class AssaultPlan:
    attackers: PerFight
    alpha_per_min: PerFight
    beta_per_min: PerFight
    attacker_break: PerFight
    defender_break: PerFight
    probability_without_isr: PerFight
    probability_with_isr: PerFight
    isr_gain: PerFight
    surprise_factor: PerFight
    surprise_min: PerFight
    max_minutes: int
    start_s: float = 0.0  # absolute time of the first shot
    early_warning: bool = True
    attacker_break_concentration: float = 20.0
    defender_break_concentration: float = 20.0
    qrf_size: PerFight = 0
    qrf_arrival_min: float = np.inf  # call delay + travel, before any warning
    air: AirPlan | None = None
    step_min: float = 1.0
    destroys_held: PerFight = 0.0  # share of the untouched assets destroyed where the post held
    destroys_overrun: PerFight = 0.0  # and where it fell


@dataclass(frozen=True)
class AssaultResult:
    outcome: np.ndarray  # Outcome codes, int8
    attacker_losses: np.ndarray  # air hits included
    defender_losses: np.ndarray
    air_hits: np.ndarray


def launch_probability(plan: AssaultPlan, quality: np.ndarray) -> np.ndarray:
    """Odds of the assault rise linearly from no intelligence to a full picture."""
    return plan.probability_without_isr + (plan.probability_with_isr
                                           - plan.probability_without_isr) * quality


def warning_lead_s(plan: AssaultPlan, first_alert_s: np.ndarray) -> np.ndarray:
    """Seconds from the first drone alert to the first shot: the warning the drones gave the
    garrison, 0 without early warning or when no alert came before the assault."""
    if not plan.early_warning:
        return np.zeros_like(first_alert_s)
    lead = plan.start_s - first_alert_s  # −inf where nothing was alerted
    return np.maximum(lead, 0.0, out=lead)


def break_fractions(mean: PerFight, concentration: float, u: np.ndarray | None) -> PerFight:
    """A side's break point as a share of its strength: Beta(κm, κ(1 − m)) by inversion of u, so it
    varies from fight to fight around the mean m; exactly m where m is 0 or 1, or without draws."""
    if u is None:
        return mean
    inside = (mean > 0.0) & (mean < 1.0)
    if not np.any(inside):
        return mean
    # imported only here: scipy.special costs a tenth of a second to import
    from scipy.special import betaincinv

    m = np.where(inside, mean, 0.5)  # any mean inside (0, 1) where the result is not used
    return np.where(inside, betaincinv(concentration * m, concentration * (1.0 - m), u), mean)


def _at(value: PerFight, fights: np.ndarray) -> PerFight:
    """A figure's value in the given fights: the one value, or each fight's own."""
    return value[fights] if isinstance(value, np.ndarray) else value


# The rows of the per-fight parameters `fight` keeps beside the forces (one column per fight).
(ALPHA, ALPHA_SURPRISED, SURPRISE_UNTIL, BETA, ATTACKERS_BREAK, DEFENDERS_BREAK, QRF_SIZE, QRF_STEP,
 AIR_FROM, FIRE_FROM) = range(10)


def _parameters(plan: AssaultPlan, fights: np.ndarray, garrison: PerFight, quality: np.ndarray,
                lead_min: np.ndarray, breaks: tuple[PerFight, PerFight]) -> np.ndarray:
    """What stays fixed through each of the `fights`, laid out (row, fight) so that one `take`
    follows the fights that go on: fire rates and how long surprise lasts, break points, the
    relief's size and the step it joins, when air arrives."""
    rows = np.empty((10, len(fights)))  # ALPHA ... FIRE_FROM
    rows[ALPHA] = _at(plan.alpha_per_min, fights) * (1.0 + _at(plan.isr_gain, fights) * quality)
    air = plan.air
    air_from = (np.full(len(fights), np.inf) if air is None else air.arrival_min - lead_min)
    # surprise is lost to a warning from the drones, or to air overwatch there at the first shot
    warned = (lead_min > 0) | (air_from <= 0)
    rows[ALPHA_SURPRISED] = rows[ALPHA] * np.where(warned, 1.0, _at(plan.surprise_factor, fights))
    rows[SURPRISE_UNTIL] = _at(plan.surprise_min, fights)
    rows[BETA] = _at(plan.beta_per_min, fights)
    rows[ATTACKERS_BREAK] = breaks[0] * _at(plan.attackers, fights)
    rows[DEFENDERS_BREAK] = breaks[1] * _at(garrison, fights)
    rows[QRF_SIZE] = _at(plan.qrf_size, fights)
    # the first step k with k·Δt >= the arrival minute (step 0 if already there)
    arrival = plan.qrf_arrival_min - lead_min
    rows[QRF_STEP] = np.where(rows[QRF_SIZE] > 0, np.maximum(np.ceil(arrival / plan.step_min), 0.0),
                              np.inf)
    rows[AIR_FROM] = air_from
    rows[FIRE_FROM] = air_from + (np.inf if air is None else air.authorisation_min)
    return rows


def fight(plan: AssaultPlan, occurs: np.ndarray, defenders: np.ndarray, garrison: PerFight,
          quality: np.ndarray, uniforms: Callable[[], np.ndarray] | None, *,
          lead_s: np.ndarray | None = None, break_uniforms: np.ndarray | None = None,
          air_uniforms: Callable[[], np.ndarray] | None = None) -> AssaultResult:
    """Run every replication's assault at once, step by step, until all have ended.

    `defenders` are those standing when the assault begins (after drone casualties); breaking is
    judged against the full `garrison`. `lead_s` is each replication's warning lead
    (`warning_lead_s`; None: no warning). `uniforms()` returns the next (2, R) uniforms (row 0 for
    the attackers' losses, 1 for the defenders'), each the random number of one exact binomial draw
    by inversion (`binomial.quantile`); `air_uniforms()` the next (R,) for the air hits, needed
    when armed air support can hit. Both are called once per step while any fight goes on, so every
    replication sees the same numbers whatever the others do. `break_uniforms` (2, R) draw the
    attackers' and the defenders' break points (None: their means). With `uniforms=None` nothing is
    drawn: the deterministic limit.

    The fights still going on are the working set: `state` holds their attackers (row 0), standing
    defenders (row 1) and air hits so far (row 2), so both sides' losses come from one search over
    2 × fights draws without concatenating, and `params` what stays fixed in each (`_parameters`).
    A fight that ends drops out of the working set, and its final numbers are written then, so late
    steps cost little.
    """
    air = plan.air
    strikes = air is not None and air.fires
    if uniforms is not None and strikes and air_uniforms is None:
        raise TypeError("fight() needs air_uniforms when armed air support can hit")
    outcome = np.where(occurs, Outcome.STALEMATE, Outcome.NO_ASSAULT).astype(np.int8)
    final = np.zeros((4, len(occurs)))  # attackers, standing defenders, air hits, QRF joined
    final[0], final[1] = plan.attackers, defenders
    rows = np.flatnonzero(occurs)  # the working set: fights still going on
    params = _parameters(plan, rows, garrison, quality[rows],
                         np.zeros(rows.size) if lead_s is None else lead_s[rows] / 60.0,
                         _break_points(plan, rows, None if uniforms is None or break_uniforms is None
                                       else break_uniforms[:, rows]))
    state = np.zeros((3, rows.size))
    state[:2] = final[:2, rows]
    steps = int(np.ceil(plan.max_minutes / plan.step_min))
    schedule = _schedule(plan, params)
    for step in range(steps):
        if rows.size == 0:
            break
        # this step's uniforms of the fights going on, laid out like the forces
        u = None if uniforms is None else np.take(uniforms(), rows, axis=1)
        u_air = air_uniforms()[rows] if u is not None and strikes else None
        _minute(plan, schedule, step, state, params, u, u_air)
        attackers, standing = state[:2]
        ended = standing <= params[DEFENDERS_BREAK]
        ended |= attackers <= params[ATTACKERS_BREAK]
        done = np.flatnonzero(ended)
        if done.size:
            # the defenders' break counts first when both sides break in the same step
            outcome[rows[done]] = np.where(standing[done] <= params[DEFENDERS_BREAK, done],
                                           Outcome.OVERRUN, Outcome.REPELLED)
            _record(rows[done], state.take(done, axis=1), params.take(done, axis=1), step, final)
            going_on = np.flatnonzero(~ended)
            rows, state = rows[going_on], state.take(going_on, axis=1)
            params = params.take(going_on, axis=1)
    _record(rows, state, params, steps - 1, final)  # time ran out
    return AssaultResult(
        outcome=outcome,
        attacker_losses=np.where(occurs, plan.attackers - final[0], 0.0),
        defender_losses=np.where(occurs, defenders + plan.qrf_size * final[3] - final[1], 0.0),
        air_hits=final[2])


def _break_points(plan: AssaultPlan, fights: np.ndarray, u: np.ndarray | None) -> tuple[PerFight, ...]:
    """The attackers' and the defenders' break fractions in the `fights`, drawn from u's two rows."""
    return (break_fractions(_at(plan.attacker_break, fights), plan.attacker_break_concentration,
                            None if u is None else u[0]),
            break_fractions(_at(plan.defender_break, fights), plan.defender_break_concentration,
                            None if u is None else u[1]))


class Schedule(NamedTuple):
    """The steps in which some fight's relief may join, the minutes in which some fight may still
    be surprised and those in which some fight's air support may be overhead with anything to do
    there: outside them no fight needs a look."""

    qrf_steps: tuple[float, float]
    surprise_until: float
    air_minutes: tuple[float, float]


def _schedule(plan: AssaultPlan, params: np.ndarray) -> Schedule:
    air = plan.air
    busy = air is not None and (air.guidance_gain > 0 or air.fires)
    return Schedule(_span(params[QRF_STEP], 0.0), float(params[SURPRISE_UNTIL].max(initial=0.0)),
                    _span(params[AIR_FROM], air.sorties * air.cycle_min) if busy else (np.inf, -np.inf))


def _minute(plan: AssaultPlan, schedule: Schedule, step: int, state: np.ndarray, params: np.ndarray,
            u: np.ndarray | None, u_air: np.ndarray | None) -> None:
    """One step of every fight going on, in the model's order: the relief joins, surprise, air on
    station, ground losses, air hits (docs/simulator.md, One minute, in order). Breaking is
    `fight`'s."""
    air, dt = plan.air, plan.step_min
    minute = step * dt
    forces = state[:2]
    if schedule.qrf_steps[0] <= step <= schedule.qrf_steps[1]:
        forces[1] += params[QRF_SIZE] * (params[QRF_STEP] == step)
    alpha = params[ALPHA]
    if minute < schedule.surprise_until:
        alpha = np.where(minute < params[SURPRISE_UNTIL], params[ALPHA_SURPRISED], alpha)
    overhead = None
    beta = params[BETA]
    if schedule.air_minutes[0] <= minute < schedule.air_minutes[1]:
        overhead = _on_station(air, minute - params[AIR_FROM])
        if air.guidance_gain:
            beta = beta * (1.0 + air.guidance_gain * overhead[0])
    forces -= _losses(_mean_losses(forces, beta, alpha, dt), forces, u)
    if overhead is not None and air.fires:
        _air_strikes(air, state, overhead, step, dt, params, u_air)


def _span(starts: np.ndarray, length: float) -> tuple[float, float]:
    """[earliest start, latest start + length] over the fights: outside it no fight needs a look."""
    if starts.size == 0:
        return np.inf, -np.inf
    return float(starts.min()), float(starts.max()) + length


def _on_station(air: AirPlan, since_min: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether an air sortie is on station, `since_min` after the first sortie arrived, and which:
    sortie s covers [s·(on + turn), s·(on + turn) + on) for s < sorties."""
    sortie = np.floor(since_min / air.cycle_min)
    into = since_min - sortie * air.cycle_min
    on = (since_min >= 0.0) & (sortie < air.sorties) & (into < air.on_station_min)
    return on, sortie


def _air_strikes(air: AirPlan, state: np.ndarray, overhead: tuple[np.ndarray, np.ndarray],
                 step: int, dt: float, params: np.ndarray, u: np.ndarray | None) -> None:
    """The armed sorties' hits this step, taken from the attackers still standing (`state` row 0)
    and counted in row 2.

    A sortie fires from max(its arrival on station, the first arrival + authorisation) and, in its
    j-th firing step, releases what takes its cumulative release to ⌊rate·(j + 1)·Δt⌋, never more
    than it carries; each munition hits with p_effect (Binomial, by inversion of u). Without draws
    the release is rate·Δt a step and the hits its mean.
    """
    on, sortie = overhead
    firing = on & (step * dt >= params[FIRE_FROM])
    if not firing.any():
        return
    lanes = np.flatnonzero(firing)
    station_from = params[AIR_FROM, lanes] + sortie[lanes] * air.cycle_min
    fire_from = np.maximum(station_from, params[FIRE_FROM, lanes])
    j = step - np.maximum(np.ceil(fire_from / dt), 0.0)  # firing steps before this one
    np.maximum(j, 0.0, out=j)  # where rounding put k·Δt and the ceiling on either side
    per_step, whole = air.munitions_per_min * dt, u is not None
    released = _cumulative(per_step * (j + 1.0), air.munitions_per_sortie, whole)
    released -= _cumulative(per_step * j, air.munitions_per_sortie, whole)
    if whole:  # most firing minutes release nothing at a few munitions a minute or less
        releasing = np.flatnonzero(released)
        lanes, released = lanes[releasing], released[releasing]
    attackers = state[0, lanes]
    hits = released * air.p_effect if u is None else binomial.quantile(released, air.p_effect,
                                                                       u[lanes])
    np.minimum(hits, attackers, out=hits)
    state[0, lanes] = attackers - hits
    state[2, lanes] += hits


def _cumulative(released: np.ndarray, carried: int, whole: bool) -> np.ndarray:
    """Munitions released so far: whole ones when drawn, never more than the sortie carries."""
    if whole:
        released = np.floor(released)
    return np.minimum(released, carried)


def _mean_losses(forces: np.ndarray, beta: float | np.ndarray, alpha: np.ndarray,
                 dt: float) -> np.ndarray:
    """The step's mean losses, laid out like `forces`: β·D·Δt for the attackers and α·A·Δt for
    the defenders (α with the surprise factor where it applies), neither above what is left of
    them."""
    attackers, standing = forces
    mean = np.empty_like(forces)
    lost_attackers, lost_defenders = mean
    np.multiply(standing, beta, out=lost_attackers)
    np.multiply(alpha, attackers, out=lost_defenders)
    if dt != 1.0:
        mean *= dt
    np.minimum(lost_attackers, attackers, out=lost_attackers)
    np.minimum(lost_defenders, standing, out=lost_defenders)
    return mean


def _losses(mean: np.ndarray, side: np.ndarray, u: np.ndarray | None) -> np.ndarray:
    """Losses of one side (or several, stacked) in one step: the mean with no draws, else an exact
    binomial draw of `side` fighters each falling with probability mean / side, inverted from the
    uniform u."""
    if u is None:
        return mean
    # side is a whole number and mean <= side, so p <= 1; where side = 0 the mean is 0 and so is p
    p = np.maximum(side, 1.0)
    np.divide(mean, p, out=p)
    return binomial.quantile(side, p, u)


def _record(rows: np.ndarray, state: np.ndarray, params: np.ndarray, step: int,
            final: np.ndarray) -> None:
    """Write the numbers the fights `rows` ended with, at `step`, into the per-replication arrays."""
    final[:3, rows] = state
    final[3, rows] = params[QRF_STEP] <= step
