"""Rates fitted to the stored record, from which campaign simulations draw drone incidents: how often
each actor's drone incidents arrive and how that changes, what the drones are used for, how deadly a
drone strike is, and how often the actor's drones are brought down.

Every figure carries the SQL that produced its data (with its parameters), its sample size and a 90%
interval, so that a scenario built on it can say where it comes from and how sure it is. The events
are selected once (`RatesResult.selection`, the filters every record command shares, see
`EventFilter`) and handed back to DuckDB as the table `drone_incidents`; each figure's own query runs
on that table. The actor of an incident is the one who flew the drone (`trends.drone_actor`).

Why months with no incident count
    Arrivals are counted per calendar month from a group's first month to the end of the record, and
    a month with nothing in it is a count of 0. Left out, the quiet months would raise the rate and
    hide the very clustering (overdispersion) the simulation must reproduce.

Where a window starts and ends
    It starts at `since` when given, else at the first month of the group's first incident: before an
    actor first flies a drone its rate is not zero but undefined. It ends at the record's last event of
    any kind in the selected countries: after the last drone incident, months of a record that still
    reports other events are real zeros. A month the window covers only in part (a `since` or a record
    end inside it) counts for the share of its days covered (the model's exposure), so a record ending
    on the 10th does not read as a collapse in the last month.

Why one negative binomial model per group
    Actors and countries differ in level, trend and dispersion alike; one model with group fixed
    effects would force one dispersion and (without interactions) one trend on all. Each actor ×
    country (× first-level region) group gets a log-linear trend in time, its dispersion alpha
    estimated by maximum likelihood (statsmodels' discrete NegativeBinomial, NB2: variance
    mu + alpha mu²), compared with Poisson (alpha = 0) by a likelihood ratio whose null lies on the
    boundary (p = half the chi-square(1) tail). The interval of alpha is the profile-likelihood one,
    which, unlike a Wald interval, can reach 0 and is not symmetric. A group with fewer than
    `MIN_INCIDENTS` incidents, fewer than `MIN_MONTHS` months, or all its incidents in one month, gets
    its raw mean rate with an exact Poisson (Garwood) interval, and the reason is stated.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats
from scipy.special import expit
from statsmodels.discrete.count_model import ZeroInflatedNegativeBinomialP
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.stats.proportion import proportion_confint

from sahelsim.errors import UserError
from sahelsim.evidence import store
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.record import EventFilter
from sahelsim.evidence.schema import DRONE_ROLES
from sahelsim.evidence.trends import drone_actor

LEVEL = 0.90
MIN_INCIDENTS = 5  # fewer: no trend nor dispersion worth stating
MIN_MONTHS = 3  # fewer: a trend through two points has no error to estimate
NO_GAIN = 1e-3  # a likelihood ratio below this (p = 0.49) is alpha estimated at 0
MIN_STRIKES = 10  # fewer: a three-parameter zero-inflated model does not converge to anything useful
BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_SEED = 20240601  # fixed: the same store and filters give the same intervals
INCIDENTS = "drone_incidents"
DOWNED_ROLE = "intercepted"
DOWNED_MEANS = (f"drone_role = '{DOWNED_ROLE}': the tagger's one role for a drone shot down, jammed "
                "down, intercepted, crashed or captured (it does not tell these apart); the actor is "
                "the side that lost the drone")

_Z = stats.norm.ppf(0.5 + LEVEL / 2)


@dataclass(frozen=True)
class Query:
    """SQL as it was run, and the values of its `?` placeholders in order."""

    sql: str
    params: tuple


@dataclass(frozen=True)
class Interval:
    """A 90% interval; `high` is None where the data set no upper bound."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class IncidentRate:
    """Drone incidents per month of one actor in one country (and region): the arrival rate.

    `rate` is the expected count in a whole month at the window's last month. `method` is
    "negative binomial", "poisson" (the data show no overdispersion, or the negative binomial fit
    failed: `reason` says which) or "raw mean" (too little data for a trend: `reason`).
    """

    actor: str
    country: str
    admin1: str | None
    first_month: date
    last_month: date
    n: int  # months in the window
    zero_months: int
    incidents: int
    method: str
    reason: str | None
    rate: float
    rate_interval: Interval
    trend_per_year: float | None  # rate ratio over twelve months
    trend_interval: Interval | None
    alpha: float | None  # NB2 dispersion: variance = mu + alpha mu^2
    alpha_interval: Interval | None
    poisson_aic: float | None
    negbin_aic: float | None
    lr_statistic: float | None
    lr_p_value: float | None
    overdispersed: bool | None  # Poisson rejected at the 10% level
    query: Query


@dataclass(frozen=True)
class RoleShare:
    """The share of an actor's drone incidents the tagger gave one role."""

    actor: str
    role: str
    count: int
    n: int
    share: float
    interval: Interval
    query: Query


@dataclass(frozen=True)
class StrikeFatalities:
    """Fatalities per drone strike of one actor: how many strikes kill nobody, and the mean.

    `zero_share` is the observed share of strikes with no fatality; `inflation` the zero-inflated
    negative binomial's share of structural zeros (strikes that could not have killed), beside the
    zeros its count part gives. `mean` is the sample mean with a bootstrap interval. Strikes whose
    record gives no fatality figure are left out and counted in `missing`.
    """

    actor: str
    n: int
    missing: int
    zeros: int
    zero_share: float | None
    zero_share_interval: Interval | None
    inflation: float | None
    inflation_interval: Interval | None
    mean: float | None
    mean_interval: Interval | None
    method: str
    reason: str | None
    query: Query


@dataclass(frozen=True)
class DownedShare:
    """The share of an actor's drone incidents in which its drone was brought down (`counted_as`)."""

    actor: str
    downed: int
    n: int
    share: float
    interval: Interval
    counted_as: str
    query: Query


@dataclass(frozen=True)
class RatesResult:
    """Every figure fitted for one choice of filters, with the store and filters it came from."""

    store: str
    filters: dict
    window_end: date | None
    incidents: int
    selection: Query
    incident_rates: tuple[IncidentRate, ...]
    role_mix: tuple[RoleShare, ...]
    strike_fatalities: tuple[StrikeFatalities, ...]
    downed: tuple[DownedShare, ...]
    level: float = LEVEL
    note: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON values: dates as ISO text, no NaN."""
        return _plain(self)

    def to_frame(self) -> pd.DataFrame:
        """The incident rates, one row per group, intervals as `_low`/`_high` columns."""
        columns = [f.name for f in fields(IncidentRate) if f.name != "query"]
        rows = []
        for rate in self.incident_rates:
            row: dict = {}
            for name in columns:
                value = getattr(rate, name)
                if name.endswith("_interval"):
                    stem = name.removesuffix("_interval")
                    row[f"{stem}_low"] = value.low if value else None
                    row[f"{stem}_high"] = value.high if value else None
                else:
                    row[name] = value
            rows.append(row)
        return pd.DataFrame(rows)


def fit_rates(con_or_db_path: duckdb.DuckDBPyConnection | Path | str | None, *, actor: str | None = None,
              country: list[str] | None = None, since: date | None = None,
              admin1: bool = False) -> RatesResult:
    """All four kinds of figure for the drone incidents the filters select (see the module docstring).

    `actor` is the one who flew the drone (a registry key or part of an ACLED actor name), `country`
    any of these countries, `since` incidents on or after that day; `admin1` splits the incident
    rates by first-level region too. A path opens the store read-only (None: the default store).
    """
    since = since.date() if isinstance(since, datetime) else since  # as typer gives --since
    if isinstance(con_or_db_path, duckdb.DuckDBPyConnection):
        return _fit(con_or_db_path, actor, tuple(country or ()), since, admin1)
    con = store.connect(Path(con_or_db_path) if con_or_db_path is not None else None, read_only=True)
    try:
        return _fit(con, actor, tuple(country or ()), since, admin1)
    finally:
        con.close()


def _fit(con: duckdb.DuckDBPyConnection, actor: str | None, countries: tuple[str, ...],
         since: date | None, admin1: bool) -> RatesResult:
    _check_actor(con, actor)
    end = _record_end(con, countries, since)
    where = EventFilter(countries=countries, since=since, actor=actor,
                        actor_as="operator" if actor else "either", drone_only=True)
    selection = _selection(where, admin1)
    incidents = con.sql(selection.sql, params=list(selection.params)).to_arrow_table()
    filters = {"actor": actor, "country": list(countries), "since": since, "admin1": admin1}
    path = con.execute("SELECT coalesce(path, ':memory:') FROM duckdb_databases() "
                       "WHERE database_name = current_database()").fetchall()[0][0]
    if incidents.num_rows == 0:
        return RatesResult(path, filters, end, 0, selection, (), (), (), (),
                           note="no drone incident matches these filters")
    con.register(INCIDENTS, incidents)
    try:
        return RatesResult(path, filters, end, incidents.num_rows, selection,
                           _incident_rates(con, since, end, admin1), _role_mix(con),
                           _strike_fatalities(con), _downed(con))
    finally:
        con.unregister(INCIDENTS)


def _check_actor(con: duckdb.DuckDBPyConnection, actor: str | None) -> None:
    """An actor that is neither a registry key nor part of any stored actor name is a typo, not an
    actor with no drones: say so rather than fit nothing."""
    if actor is None or actor in {known.key for known in ActorRegistry.load().actors}:
        return
    named = con.execute("SELECT count(*) FROM events WHERE actor1 ILIKE ? OR actor2 ILIKE ?",
                        [f"%{actor}%"] * 2).fetchall()[0][0]
    if not named:
        raise UserError(f"unknown actor {actor!r}: neither a registry key (see `sahelsim actors`) "
                        "nor part of any actor name in the record", field="--actor")


def _record_end(con: duckdb.DuckDBPyConnection, countries: tuple[str, ...],
                since: date | None) -> date | None:
    """The last day the record reports on in these countries; a `since` past it leaves no window."""
    if since is not None and since > date.today():
        raise UserError(f"{since.isoformat()} is in the future: no record to fit yet", field="--since")
    condition, params = EventFilter(countries=countries).where()
    end = con.execute(f"SELECT max(event_date) FROM events WHERE {condition}", params).fetchall()[0][0]
    if since is not None and end is not None and since > end:
        where = f" in {', '.join(countries)}" if countries else ""
        raise UserError(f"{since.isoformat()} is after the record's last event{where} "
                        f"({end.isoformat()}): the window is empty", field="--since")
    return end


def _selection(where: EventFilter, admin1: bool) -> Query:
    condition, params = where.where()
    place = "coalesce(admin1, 'unknown')" if admin1 else "NULL::VARCHAR"
    sql = (f"SELECT event_id_cnty, event_date, date_trunc('month', event_date)::DATE AS month, "
           f"coalesce({drone_actor()}, 'unknown') AS actor, coalesce(country, 'unknown') AS country, "
           f"{place} AS admin1, coalesce(drone_role, 'unknown') AS role, fatalities "
           f"FROM events WHERE {condition} ORDER BY event_date, event_id_cnty")
    return Query(sql, tuple(params))


# ---- incident rates ----------------------------------------------------------------------------

def _incident_rates(con: duckdb.DuckDBPyConnection, since: date | None, end: date,
                    admin1: bool) -> tuple[IncidentRate, ...]:
    keys = "actor, country, admin1" if admin1 else "actor, country"
    query = Query(" ".join(  # on one line, as it is run: it is shown in the JSON
        f"""WITH groups AS (
                SELECT {keys}, coalesce(?::DATE, min(month)) AS first_day FROM {INCIDENTS} GROUP BY ALL),
            months AS (
                SELECT {keys}, m::DATE AS month,
                       (least(last_day(m::DATE), ?::DATE) - greatest(m::DATE, first_day) + 1)
                           / day(last_day(m::DATE)) AS exposure
                FROM groups, unnest(generate_series(date_trunc('month', first_day)::TIMESTAMP,
                                                    ?::TIMESTAMP, INTERVAL 1 MONTH)) AS months(m))
            SELECT {keys}, month, exposure, count(i.event_id_cnty) AS incidents
            FROM months LEFT JOIN {INCIDENTS} i USING ({keys}, month)
            GROUP BY ALL ORDER BY {keys}, month""".split()),
        (since, end, end))
    monthly = con.execute(query.sql, list(query.params)).df()
    group_keys = ["actor", "country", "admin1"] if admin1 else ["actor", "country"]
    return tuple(_group_rate(dict(zip(group_keys, key)), frame, query)
                 for key, frame in monthly.groupby(group_keys, sort=True))


def _group_rate(group: dict, frame: pd.DataFrame, query: Query) -> IncidentRate:
    counts = frame["incidents"].to_numpy(dtype=float)
    exposure = frame["exposure"].to_numpy(dtype=float)
    common = dict(actor=group["actor"], country=group["country"], admin1=group.get("admin1"),
                  first_month=frame["month"].iloc[0].date(), last_month=frame["month"].iloc[-1].date(),
                  n=len(frame), zero_months=int((counts == 0).sum()), incidents=int(counts.sum()),
                  query=query)
    if counts.sum() < MIN_INCIDENTS:
        return _raw_rate(common, counts, exposure, f"fewer than {MIN_INCIDENTS} incidents: too few "
                                                   "to fit a trend or an overdispersion")
    if len(counts) < MIN_MONTHS:
        return _raw_rate(common, counts, exposure, f"fewer than {MIN_MONTHS} months: no trend to fit")
    if (counts > 0).sum() < 2:  # the likeliest trend would be infinitely steep
        return _raw_rate(common, counts, exposure, "every incident in one month: no trend to fit")
    return _modelled_rate(common, counts, exposure)


def _raw_rate(common: dict, counts: np.ndarray, exposure: np.ndarray, reason: str) -> IncidentRate:
    """Incidents per month over the window, with Garwood's exact Poisson interval."""
    k, months = counts.sum(), exposure.sum()
    low = stats.chi2.ppf((1 - LEVEL) / 2, 2 * k) / 2 / months if k else 0.0
    high = stats.chi2.ppf(0.5 + LEVEL / 2, 2 * k + 2) / 2 / months
    return IncidentRate(**common, method="raw mean", reason=reason, rate=float(k / months),
                        rate_interval=Interval(float(low), float(high)), trend_per_year=None,
                        trend_interval=None, alpha=None, alpha_interval=None, poisson_aic=None,
                        negbin_aic=None, lr_statistic=None, lr_p_value=None, overdispersed=None)


def _modelled_rate(common: dict, counts: np.ndarray, exposure: np.ndarray) -> IncidentRate:
    """Poisson and negative binomial fits of a log-linear trend, the better one reported."""
    years = np.arange(len(counts)) / 12
    design = np.column_stack([np.ones_like(years), years])
    poisson = sm.GLM(counts, design, family=sm.families.Poisson(), exposure=exposure).fit()
    negbin, failure = _negative_binomial(counts, design, exposure, poisson)
    if negbin is None:
        chosen, params, cov, alpha, llf = "poisson", poisson.params, poisson.cov_params(), 0.0, poisson.llf
        reason = failure
    else:
        chosen, params, cov = "negative binomial", negbin.params[:2], negbin.cov_params()[:2, :2]
        alpha, llf, reason = float(negbin.params[2]), negbin.llf, None
    lr = max(2 * (llf - poisson.llf), 0.0)
    p_value = 0.5 * stats.chi2.sf(lr, 1) if lr > 0 else 1.0
    last = design[-1]
    eta, eta_se = last @ params, math.sqrt(last @ cov @ last)
    slope_se = math.sqrt(cov[1, 1])
    return IncidentRate(
        **common, method=chosen, reason=reason, rate=float(np.exp(eta)),
        rate_interval=Interval(float(np.exp(eta - _Z * eta_se)), float(np.exp(eta + _Z * eta_se))),
        trend_per_year=float(np.exp(params[1])),
        trend_interval=Interval(float(np.exp(params[1] - _Z * slope_se)),
                                float(np.exp(params[1] + _Z * slope_se))),
        alpha=alpha, alpha_interval=_alpha_interval(counts, design, exposure, alpha, llf, poisson.llf),
        poisson_aic=float(2 * 2 - 2 * poisson.llf), negbin_aic=float(2 * 3 - 2 * llf),
        lr_statistic=float(lr), lr_p_value=float(p_value), overdispersed=bool(p_value < 1 - LEVEL))


def _negative_binomial(counts: np.ndarray, design: np.ndarray, exposure: np.ndarray, poisson):
    """The NB2 maximum-likelihood fit, or None and why: alpha at 0 (no better than Poisson, which
    is then the fit) or no convergence."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = NegativeBinomial(counts, design, exposure=exposure).fit(
                start_params=np.append(poisson.params, 0.1), disp=0, maxiter=500)
        except (np.linalg.LinAlgError, ValueError):
            return None, "the negative binomial fit failed: Poisson reported"
    # Heading for alpha = 0, the optimizer may stop short of the boundary and call it no convergence.
    if np.all(np.isfinite(fit.params)) and (fit.params[2] < 1e-6
                                            or 2 * (fit.llf - poisson.llf) < NO_GAIN):
        return None, "no overdispersion: alpha is estimated at 0, so the fit is Poisson"
    if not fit.mle_retvals.get("converged") or not np.all(np.isfinite(fit.bse)):
        return None, "the negative binomial fit did not converge: Poisson reported"
    return fit, None


def _alpha_interval(counts: np.ndarray, design: np.ndarray, exposure: np.ndarray, alpha: float,
                    llf: float, poisson_llf: float) -> Interval:
    """Where the profile log-likelihood of alpha falls half the chi-square(1) quantile below its top."""
    floor = llf - stats.chi2.ppf(LEVEL, 1) / 2

    def gap(log_alpha: float) -> float:
        family = sm.families.NegativeBinomial(alpha=math.exp(log_alpha))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sm.GLM(counts, design, family=family, exposure=exposure).fit().llf - floor

    top = math.log(max(alpha, 1e-6))
    low = 0.0 if poisson_llf >= floor else math.exp(optimize.brentq(gap, math.log(1e-8), top))
    high = top + 1
    while gap(high) > 0:
        if high > math.log(1e4):
            return Interval(low, None)
        high += 1
    return Interval(low, math.exp(optimize.brentq(gap, top, high)))


# ---- role mix, downed drones ---------------------------------------------------------------------

def _wilson(count: int, n: int) -> Interval:
    low, high = proportion_confint(count, n, alpha=1 - LEVEL, method="wilson")
    return Interval(float(low), float(high))


def _role_mix(con: duckdb.DuckDBPyConnection) -> tuple[RoleShare, ...]:
    """Every role the tagger gives (and `unknown` where an incident has none), zeros included."""
    query = Query(f"SELECT actor, role, count(*) AS count FROM {INCIDENTS} GROUP BY ALL "
                  f"ORDER BY actor, role", ())
    counts = con.execute(query.sql).df().pivot(index="actor", columns="role", values="count")
    roles = list(DRONE_ROLES) + sorted(set(counts.columns) - set(DRONE_ROLES))
    counts = counts.reindex(columns=roles).fillna(0).astype(int)
    return tuple(RoleShare(actor, role, int(row[role]), int(row.sum()), row[role] / row.sum(),
                           _wilson(int(row[role]), int(row.sum())), query)
                 for actor, row in counts.iterrows() for role in roles)


def _downed(con: duckdb.DuckDBPyConnection) -> tuple[DownedShare, ...]:
    query = Query(f"SELECT actor, count(*) FILTER (role = ?) AS downed, count(*) AS n "
                  f"FROM {INCIDENTS} GROUP BY actor ORDER BY actor", (DOWNED_ROLE,))
    return tuple(DownedShare(actor, downed, n, downed / n, _wilson(downed, n), DOWNED_MEANS, query)
                 for actor, downed, n in con.execute(query.sql, list(query.params)).fetchall())


# ---- fatalities per strike -----------------------------------------------------------------------

def _strike_fatalities(con: duckdb.DuckDBPyConnection) -> tuple[StrikeFatalities, ...]:
    query = Query(f"SELECT actor, fatalities FROM {INCIDENTS} WHERE role = 'strike' "
                  f"ORDER BY actor, event_date, event_id_cnty", ())
    strikes = con.execute(query.sql).df()
    return tuple(_fatalities(str(actor), frame["fatalities"], query)
                 for actor, frame in strikes.groupby("actor", sort=True))


def _fatalities(actor: str, recorded: pd.Series, query: Query) -> StrikeFatalities:
    deaths = recorded.dropna().to_numpy(dtype=float)
    n, zeros = len(deaths), int((deaths == 0).sum())
    common = dict(actor=actor, n=n, missing=int(recorded.isna().sum()), zeros=zeros, query=query)
    if n == 0:
        return StrikeFatalities(**common, zero_share=None, zero_share_interval=None, inflation=None,
                                inflation_interval=None, mean=None, mean_interval=None,
                                method="none", reason="no strike with a fatality figure")
    observed = dict(zero_share=zeros / n, zero_share_interval=_wilson(zeros, n),
                    mean=float(deaths.mean()), mean_interval=_bootstrap_mean(deaths))
    inflation, reason = _zero_inflation(deaths)
    if inflation is None:
        return StrikeFatalities(**common, **observed, inflation=None, inflation_interval=None,
                                method="observed", reason=reason)
    return StrikeFatalities(**common, **observed, inflation=inflation[0], inflation_interval=inflation[1],
                            method="zero-inflated negative binomial", reason=None)


def _bootstrap_mean(deaths: np.ndarray) -> Interval:
    """Percentile interval of the mean over strikes resampled with a fixed seed."""
    draws = np.random.default_rng(BOOTSTRAP_SEED).choice(deaths, size=(BOOTSTRAP_DRAWS, len(deaths)))
    low, high = np.quantile(draws.mean(axis=1), [(1 - LEVEL) / 2, 0.5 + LEVEL / 2])
    return Interval(float(low), float(high))


def _zero_inflation(deaths: np.ndarray) -> tuple[tuple[float, Interval] | None, str | None]:
    """The ZINB's structural-zero share with a Wald interval on the logit scale, or None and why."""
    if len(deaths) < MIN_STRIKES:
        return None, f"fewer than {MIN_STRIKES} strikes: no zero-inflated fit"
    if not (deaths == 0).any() or (deaths == 0).all():
        return None, "no zero to inflate" if not (deaths == 0).any() else "every strike killed nobody"
    ones = np.ones((len(deaths), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = ZeroInflatedNegativeBinomialP(deaths, ones, exog_infl=ones, p=2).fit(
                disp=0, maxiter=1000)
        except (np.linalg.LinAlgError, ValueError):
            return None, "the zero-inflated negative binomial fit failed"
    logit, se = float(fit.params[0]), float(fit.bse[0])
    if not fit.mle_retvals.get("converged") or not math.isfinite(se):
        return None, "the zero-inflated negative binomial fit did not converge"
    return (float(expit(logit)), Interval(float(expit(logit - _Z * se)), float(expit(logit + _Z * se)))), None


def _plain(value):
    """A figure as JSON values."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
