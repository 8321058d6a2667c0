"""Indicators recorded every step, computed at once from the state arrays.

Each indicator is one :class:`Indicator` record in :data:`INDICATOR_RECORDS`: its column name,
its definition (the ODD's indicator table), a short label and unit in English and in Danish (for
the plots, the report and the page) and whether it belongs to the public interface every tool
relies on. :data:`INDICATORS` (name -> definition) and :data:`PUBLIC_INDICATORS` are derived from
the records; :func:`label` gives the label of one indicator in either language;
:func:`compute_indicators` returns all of them for the current state. Rates and levels lie in
[0, 1]; outputs are per citizen per month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.core.state import CHANNEL_ASKED, CHANNEL_OWN_INITIATIVE, SUPPLIER, YEAR, World

#: Languages the labels are written in.
LANGUAGES = ("en", "da")


@dataclass(frozen=True)
class Indicator:
    """One recorded indicator: its column, meaning, labels and unit in each language, and whether it is public."""

    name: str
    definition: str
    label_en: str
    unit_en: str
    label_da: str
    unit_da: str
    public: bool

    def label(self, lang: str = "en", unit: bool = True) -> str:
        """Plain-language label in ``lang`` ("en" or "da"), with the unit in brackets unless ``unit`` is false."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; labels exist in: {', '.join(LANGUAGES)}")
        text, u = (self.label_en, self.unit_en) if lang == "en" else (self.label_da, self.unit_da)
        return f"{text} ({u})" if unit and u else text


def _ind(name: str, definition: str, en: tuple[str, str], da: tuple[str, str], public: bool) -> Indicator:
    return Indicator(name, definition, en[0], en[1], da[0], da[1], public)


_MEAN01_EN, _MEAN01_DA = "mean, 0 to 1", "gennemsnit, 0 til 1"
_PER_CITIZEN_EN, _PER_CITIZEN_DA = "units per citizen per month", "enheder pr. borger pr. måned"

#: Every indicator, in column order. The public ones are the interface every tool relies on.
INDICATOR_RECORDS: tuple[Indicator, ...] = (
    _ind("volunteering_rate", "share of citizens in the volunteer role",
         ("Volunteering rate", "share of citizens"), ("Andel frivillige", "andel af borgerne"), True),
    _ind("volunteered_past_year", "share of citizens who volunteered in at least one of the last 12 months (the survey's "
         "question; before month 12 only the months since the start count, with the initial volunteers counted)",
         ("Volunteered in the past year", "share of citizens"), ("Frivillige inden for det seneste år", "andel af borgerne"), True),
    _ind("volunteering_rate_vulnerable", "share of vulnerable citizens in the volunteer role (0 if there are none)",
         ("Volunteering rate of vulnerable citizens", "share"), ("Andel frivillige blandt udsatte borgere", "andel"), True),
    _ind("volunteer_hours", "volunteer hours per citizen per month",
         ("Volunteer hours", "hours per citizen per month"), ("Frivillige timer", "timer pr. borger pr. måned"), True),
    _ind("mean_motivation", "mean intrinsic motivation of all citizens",
         ("Intrinsic motivation", _MEAN01_EN), ("Indre motivation", _MEAN01_DA), True),
    _ind("share_recruited_by_asking", "of the current volunteers recruited during the run (not those there from the start), the "
         "share who joined because they were asked, by a contact or by an association's outreach",
         ("Recruited because asked", "share of recruits"), ("Rekrutteret fordi de blev spurgt", "andel af de rekrutterede"), True),
    _ind("trust_municipality", "mean trust in the municipality",
         ("Trust in the municipality", _MEAN01_EN), ("Tillid til kommunen", _MEAN01_DA), True),
    _ind("generalised_trust", "mean generalised trust",
         ("Generalised trust", _MEAN01_EN), ("Generel tillid", _MEAN01_DA), True),
    _ind("bonding_capital", "tie weight within one's own group, per citizen",
         ("Bonding capital", "tie weight within group per citizen"),
         ("Sammenbindende social kapital", "båndstyrke i gruppen pr. borger"), True),
    _ind("bridging_capital", "tie weight across groups, per citizen",
         ("Bridging capital", "tie weight across groups per citizen"),
         ("Brobyggende social kapital", "båndstyrke på tværs af grupper pr. borger"), True),
    _ind("ei_index", "Krackhardt E-I index of tie weight: (across - within) / (across + within), in [-1, 1]",
         ("E-I index", "-1 all ties within groups, +1 all across"), ("E-I-indeks", "-1 alle bånd i grupperne, +1 alle på tværs"), True),
    _ind("service_orientation", "mean association orientation, 0 voice (expressive) ... 1 service",
         ("Association orientation", "0 voice, 1 service"), ("Foreningernes orientering", "0 talerør, 1 service"), True),
    _ind("association_autonomy", "mean association autonomy",
         ("Association autonomy", _MEAN01_EN), ("Foreningernes selvstændighed", _MEAN01_DA), True),
    _ind("staff_control", "mean control exerted by staff",
         ("Control exerted by staff", _MEAN01_EN), ("Medarbejdernes kontrol", _MEAN01_DA), True),
    _ind("staff_threat", "mean threat felt by staff",
         ("Threat felt by staff", _MEAN01_EN), ("Medarbejdernes oplevede trussel", _MEAN01_DA), True),
    _ind("service_output", "measured service output per citizen: R + C_s + gamma Q sqrt(R C_s), C_s the service part of civil output",
         ("Measured service output", _PER_CITIZEN_EN), ("Målte serviceydelser", _PER_CITIZEN_DA), True),
    _ind("civil_output", "civil output C per citizen: volunteer hours times what an hour achieves",
         ("Civil output", _PER_CITIZEN_EN), ("Civilsamfundets bidrag", _PER_CITIZEN_DA), True),
    _ind("synergy", "co-produced welfare beyond the sum of the parts: Y / (R + C) - 1",
         ("Synergy", "welfare beyond the sum of the parts, share"), ("Synergi", "velfærd ud over summen af delene, andel"), True),
    _ind("democratic_voice", "expressive activity per citizen: volunteers weighted by their association's voice orientation and "
         "their autonomy",
         ("Democratic voice", "expressive activity per citizen"), ("Demokratisk talerør (frivilliges fortalerarbejde)", "fortalerarbejde pr. borger"), True),
    _ind("participation_inequality", "1 - (vulnerable volunteering rate / others' rate), floored at 0: 0 when the vulnerable take "
         "part as much as others",
         ("Participation inequality", "0 vulnerable take part as others"), ("Ulighed i deltagelse", "0: udsatte deltager som andre"),
         True),
    _ind("cost_per_service", "budget spent per unit of measured service output: E / S (staff at 1 per unit of capacity, "
         "contracted service at contract_price per unit)",
         ("Cost per unit of service", "budget per unit of measured service"),
         ("Pris pr. serviceenhed", "budget pr. enhed målt service"), True),
    _ind("civil_welfare_share", "share of welfare produced by civil society: C / (R + C)",
         ("Civil society's share of welfare", "share of R + C"), ("Civilsamfundets andel af velfærden", "andel af R + C"), True),
    _ind("control_spending_share", "share of the budget spent on staff time exerting control and measuring output",
         ("Budget on control", "share of spending"), ("Budget til kontrol", "andel af udgifterne"), True),
    _ind("facilitation_spending_share", "share of the budget spent on staff time facilitating (support, dialogue, infrastructure)",
         ("Budget on facilitation", "share of spending"), ("Budget til facilitering", "andel af udgifterne"), True),
    _ind("steering_in_force", "steering intensity in force: the policy lever plus the municipality's own adjustment "
         "after its reviews (the control spiral shows here)",
         ("Steering in force", "0 to 1"), ("Styring i kraft", "0 til 1"), True),
    _ind("municipal_output", "municipal output R per citizen",
         ("Municipal output", _PER_CITIZEN_EN), ("Kommunens ydelser", _PER_CITIZEN_DA), False),
    _ind("coproduced_welfare", "Y = R + C + gamma Q sqrt(R C), per citizen",
         ("Co-produced welfare", _PER_CITIZEN_EN), ("Samskabt velfærd", _PER_CITIZEN_DA), False),
    _ind("collaboration_quality", "Q: member-weighted mean of partner trust times shared understanding",
         ("Collaboration quality", "0 to 1"), ("Samarbejdets kvalitet", "0 til 1"), False),
    _ind("complementarity", "gamma, the learned complementarity of municipal and civil output",
         ("Complementarity of municipal and civil output", "gamma"),
         ("Komplementaritet mellem kommunale og civile ydelser", "gamma"), False),
    _ind("facilitation_in_force", "facilitation in force: the policy lever plus the municipality's own adjustment",
         ("Facilitation in force", "0 to 1"), ("Facilitering i kraft", "0 til 1"), False),
    _ind("spending", "budget spent per citizen per month: staff and contract payments",
         ("Spending", "budget per citizen per month"), ("Udgifter", "budget pr. borger pr. måned"), False),
    _ind("staffing", "share of the initial staff the municipality keeps (volunteer service substitutes the rest)",
         ("Staffing", "share of initial staff"), ("Bemanding", "andel af den oprindelige bemanding"), False),
    _ind("needs_knowledge", "what the municipality knows of citizens' needs, 0 to 1, learned from democratic voice",
         ("Knowledge of citizens' needs", "0 to 1"), ("Viden om borgernes behov", "0 til 1"), False),
    _ind("service_target", "the municipality's target for measured service output per citizen",
         ("Service target", _PER_CITIZEN_EN), ("Servicemål", _PER_CITIZEN_DA), False),
    _ind("share_own_initiative", "of the volunteers recruited during the run, the share who joined on own initiative",
         ("Joined on own initiative", "share of recruits"), ("Kom af egen drift", "andel af de rekrutterede"), False),
    _ind("joined", "citizens who became volunteers this month",
         ("Joined", "citizens this month"), ("Nye frivillige", "borgere denne måned"), False),
    _ind("quit", "volunteers who returned to the citizen role this month",
         ("Quit", "volunteers this month"), ("Stoppede", "frivillige denne måned"), False),
    _ind("switched", "volunteers who moved to another association this month, asked by a supplier competing for contracts",
         ("Moved to another association", "volunteers this month"), ("Skiftede forening", "frivillige denne måned"), False),
    _ind("contract_funds_top_quarter", "share of the month's contract funds paid to the quarter of supplier associations "
         "paid most (0.25 when all are paid alike; 0 when no association has a supplier contract)",
         ("Contract funds to the top quarter", "share"), ("Kontraktmidler til den øverste fjerdedel", "andel"), False),
    _ind("volunteers", "number of volunteers",
         ("Volunteers", "number"), ("Frivillige", "antal"), False),
    _ind("ties", "number of citizen-citizen ties",
         ("Ties between citizens", "number"), ("Bånd mellem borgere", "antal"), False),
)

#: Record of each indicator by column name.
INDICATOR_BY_NAME: dict[str, Indicator] = {r.name: r for r in INDICATOR_RECORDS}

#: Column name -> definition, in column order (derived from the records).
INDICATORS: dict[str, str] = {r.name: r.definition for r in INDICATOR_RECORDS}

#: The public indicators, in column order: the columns every tool relies on.
PUBLIC_INDICATORS: tuple[str, ...] = tuple(r.name for r in INDICATOR_RECORDS if r.public)


def label(name: str, lang: str = "en", unit: bool = True) -> str:
    """Plain-language label of indicator ``name`` in ``lang`` ("en" or "da"), with its unit unless ``unit`` is false.

    Raises:
        KeyError: ``name`` is not an indicator (callers that label other columns keep their own fallback).
        ValueError: ``lang`` is not one of :data:`LANGUAGES`.
    """
    return INDICATOR_BY_NAME[name].label(lang, unit)


def top_quarter_share(funds: np.ndarray) -> float:
    """Share of the total held by the quarter of recipients (rounded up) who get most; 0 when nothing is paid."""
    total = float(funds.sum())
    if len(funds) == 0 or total <= 0:
        return 0.0
    k = -(-len(funds) // 4)
    return float(np.partition(funds, len(funds) - k)[len(funds) - k:].sum()) / total


def compute_indicators(W: World) -> dict[str, float]:
    """All indicators of the current state, as plain floats."""
    c, a, st, T, mu = W.citizens, W.associations, W.staff, W.ties, W.municipality
    n = c.n
    vol = c.volunteer
    n_vol = int(vol.sum())
    vuln = c.vulnerable
    # counts, not vol[vuln].mean(): the same number, without indexing by an irregular mask
    n_vuln = int(np.count_nonzero(vuln))
    n_vol_vuln = int(np.count_nonzero(vol & vuln))
    rate_vuln = n_vol_vuln / n_vuln if n_vuln else 0.0
    rate_other = (n_vol - n_vol_vuln) / (n - n_vuln) if n_vuln < n else 0.0
    asked = int(np.count_nonzero(c.channel == CHANNEL_ASKED))
    own = int(np.count_nonzero(c.channel == CHANNEL_OWN_INITIATIVE))
    recruited = asked + own
    cross = T.crossing_index(c.group)  # bridging ties, kept up to date as ties come and go
    w_across = float(T.w[cross].sum())
    w_within = float(T.w.sum()) - w_across
    total = w_across + w_within
    return {
        "volunteering_rate": n_vol / n,
        "volunteered_past_year": int(np.count_nonzero(c.months_since_volunteered < YEAR)) / n,
        "volunteering_rate_vulnerable": rate_vuln,
        "volunteer_hours": float(c.hours.sum()) / n,
        "mean_motivation": float(c.motivation.mean()),
        "share_recruited_by_asking": asked / recruited if recruited else 0.0,
        "trust_municipality": float(c.trust_municipality.mean()),
        "generalised_trust": float(c.generalised_trust.mean()),
        "bonding_capital": 2.0 * w_within / n,
        "bridging_capital": 2.0 * w_across / n,
        "ei_index": (w_across - w_within) / total if total > 0 else 0.0,
        "service_orientation": float(a.orientation.mean()),
        "association_autonomy": float(a.autonomy.mean()),
        "staff_control": float(st.control.mean()),
        "staff_threat": float(st.threat.mean()),
        "service_output": mu.service_output,
        "civil_output": mu.civil_output,
        "synergy": mu.synergy,
        "democratic_voice": mu.democratic_voice,
        "participation_inequality": max(0.0, 1.0 - rate_vuln / rate_other) if rate_other > 0 else 0.0,
        "cost_per_service": mu.spending / mu.service_output if mu.service_output > 0 else 0.0,
        "civil_welfare_share": mu.civil_output / (mu.municipal_output + mu.civil_output)
        if mu.municipal_output + mu.civil_output > 0 else 0.0,
        "control_spending_share": mu.control_spending / mu.spending if mu.spending > 0 else 0.0,
        "facilitation_spending_share": mu.facilitation_spending / mu.spending if mu.spending > 0 else 0.0,
        "steering_in_force": mu.steering,
        "municipal_output": mu.municipal_output,
        "coproduced_welfare": float(mu.coproduced_welfare),
        "collaboration_quality": mu.collaboration_quality,
        "complementarity": mu.complementarity,
        "facilitation_in_force": mu.facilitation,
        "spending": mu.spending,
        "staffing": mu.staffing,
        "needs_knowledge": mu.needs_knowledge,
        "service_target": mu.service_target,
        "share_own_initiative": own / recruited if recruited else 0.0,
        "joined": float(mu.joined_asked + mu.joined_own_initiative),
        "quit": float(mu.quit),
        "switched": float(mu.switched),
        "contract_funds_top_quarter": top_quarter_share(a.contract_funds[a.relation == SUPPLIER]),
        "volunteers": float(n_vol),
        "ties": float(len(T)),
    }
