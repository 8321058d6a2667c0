"""The measurement model: how a country's observed conditions set the model's inputs, and how its state maps to the survey.

Two directions, declared once here and documented in docs/ODD.md ("Measurement model"):

* **inputs**: a country's mean trust in others in 2013 (EU-SILC ``ilc_pw03``, 0-10) sets its
  societal trust, the model's long-run condition for trust, by a straight line clipped to
  [0, 1]: ``societal_trust = trust_at_reference + trust_slope * (trust_in_others - reference_trust)``.
  The line's level and slope are calibrated (:data:`CALIBRATED_MEASUREMENT`). Every start
  (generalised trust, trust in the municipality) is that societal trust, the share
  volunteering starts at :attr:`MeasurementModel.initial_volunteering` in every country, and
  associations and staff per citizen are the same everywhere (the file has no density);
  partner (npg) governance throughout.
* **observation**: the model is run for a burn-in of :attr:`MeasurementModel.burn_in_months`
  to the country's 2015 state; the observation is ``volunteered_past_year`` at that month (the
  share who volunteered in at least one of the last 12 months: the survey's question, EU-SILC
  ``ilc_scp19``), compared with the survey's percentage on the logit scale (a country's
  deviation is a ratio of odds, so Romania's 3 % and Denmark's 39 % are judged alike). What
  the model with these inputs cannot explain is a country discrepancy, normal on the logit
  scale with a calibrated standard deviation (``discrepancy_sd``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.errors import ParameterError

#: The survey's measure in the model.
OBSERVED_INDICATOR = "volunteered_past_year"


def _mm(default: Any, lo: float | None, hi: float | None, meaning: str, unit: str = "") -> Any:
    return field(default=default, metadata={"range": (lo, hi), "meaning": meaning, "unit": unit})


@dataclass(frozen=True)
class MeasurementModel:
    """The fixed parameters of the measurement model: typed, with range and meaning, checked when built."""

    reference_trust: float = _mm(6.0, 0.0, 10.0, "trust in others (0-10) at which societal trust is trust_at_reference: "
                                 "about Europe's middle, so level and slope are calibrated nearly independently")
    burn_in_months: int = _mm(180, 12, 1200, "months run from the common start to a country's 2015 state (the survey year "
                              "ends at this month)", "months")
    forward_months: int = _mm(84, 1, 1200, "months from the 2015 state to 2022 in the temporal check", "months")
    initial_volunteering: float = _mm(0.2, 0.0, 1.0, "share volunteering at the start in every country (the burn-in "
                                      "takes each to its own level)")
    associations_per_1000: float = _mm(25.0, 0.1, 1000.0, "associations per 1,000 citizens, every country (the data "
                                       "have no density; the probes' density)")
    staff_per_1000: float = _mm(10.0, 0.1, 1000.0, "municipal staff per 1,000 citizens, every country", "")
    share_floor: float = _mm(0.002, 1e-6, 0.1, "shares are clipped to [floor, 1 - floor] before the logit (a run with "
                             "no volunteer is not minus infinity)")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            whole = f.type in ("int", int)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
                raise ParameterError(f"measurement model: {f.name} = {value!r}: expected {'a whole number' if whole else 'a number'}")
            lo, hi = f.metadata["range"]
            if not (np.isfinite(value) and lo <= value <= hi):
                raise ParameterError(f"measurement model: {f.name} = {value!r} is outside its range {lo:g} to {hi:g}")

    def sizes(self, n_citizens: int) -> dict[str, int]:
        """Citizens, associations and staff of a run of ``n_citizens`` at the declared densities."""
        return {"n_citizens": n_citizens,
                "n_associations": max(1, round(self.associations_per_1000 * n_citizens / 1000)),
                "n_staff": max(1, round(self.staff_per_1000 * n_citizens / 1000))}

    def country_settings(self, societal_trust: float) -> dict[str, float]:
        """The model's structural inputs and starts of a country with this societal trust."""
        return {"societal_trust": float(societal_trust), "initial_generalised_trust": float(societal_trust),
                "initial_trust_municipality": float(societal_trust), "initial_volunteering": self.initial_volunteering}

    def to_logit(self, share: Any) -> np.ndarray:
        """A share (0-1) on the logit scale, clipped to [floor, 1 - floor]."""
        p = np.clip(np.asarray(share, dtype=float), self.share_floor, 1 - self.share_floor)
        return np.log(p / (1 - p))

    def to_dict(self) -> dict[str, Any]:
        """Every fixed parameter as a plain mapping."""
        return dataclasses.asdict(self)


def societal_trust(trust_in_others: Any, trust_at_reference: Any, trust_slope: Any, reference_trust: float) -> np.ndarray:
    """The measurement model's input side: trust in others (0-10) to societal trust (0-1), clipped; broadcasts."""
    x = np.asarray(trust_in_others, dtype=float)
    return np.clip(np.asarray(trust_at_reference, dtype=float) + np.asarray(trust_slope, dtype=float) * (x - reference_trust),
                   0.0, 1.0)


def to_percent(logit: Any) -> np.ndarray:
    """Logit back to a percentage."""
    return 100.0 / (1.0 + np.exp(-np.asarray(logit, dtype=float)))


@dataclass(frozen=True)
class Prior:
    """A calibrated quantity and its uniform prior: name, range, meaning, and where it acts."""

    name: str
    lo: float
    hi: float
    meaning: str
    #: "behaviour" (a model parameter, an input of the emulator) or "measurement" (of this module).
    kind: str

    def __post_init__(self) -> None:
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.lo < self.hi):
            raise ParameterError(f"prior of {self.name}: expected lo < hi, got {self.lo!r} and {self.hi!r}")
        if self.kind not in ("behaviour", "measurement"):
            raise ParameterError(f"prior of {self.name}: kind must be 'behaviour' or 'measurement', got {self.kind!r}")


#: The measurement model's calibrated parameters with their priors.
CALIBRATED_MEASUREMENT: tuple[Prior, ...] = (
    Prior("trust_at_reference", 0.25, 0.75, "societal trust of a country whose trust in others is reference_trust", "measurement"),
    Prior("trust_slope", 0.0, 0.2, "rise of societal trust per point of trust in others (0-10)", "measurement"),
    Prior("discrepancy_sd", 0.05, 1.2, "standard deviation, on the logit scale, of what the model with these inputs "
          "cannot explain of a country's volunteering (a country's own history, religion, welfare state, survey "
          "wording)", "measurement"),
)
