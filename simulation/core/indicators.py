"""Indicators recorded every step, computed at once from the state arrays.

:data:`INDICATORS` maps each column name to its definition (also the ODD's indicator table);
:func:`compute_indicators` returns all of them for the current state. Rates and levels lie
in [0, 1]; outputs are per citizen per month.
"""

from __future__ import annotations

import numpy as np

from simulation.core.state import CHANNEL_ASKED, CHANNEL_OWN_INITIATIVE, World

#: Column name -> definition. The first 19 are the public interface every tool relies on.
INDICATORS: dict[str, str] = {
    "volunteering_rate": "share of citizens in the volunteer role",
    "volunteering_rate_vulnerable": "share of vulnerable citizens in the volunteer role (0 if there are none)",
    "volunteer_hours": "volunteer hours per citizen per month",
    "mean_motivation": "mean intrinsic motivation of all citizens",
    "share_recruited_by_asking": "of the current volunteers recruited during the run (not those there from the start), the share who joined because they were asked, by a contact or by an association's outreach",
    "trust_municipality": "mean trust in the municipality",
    "generalised_trust": "mean generalised trust",
    "bonding_capital": "tie weight within one's own group, per citizen",
    "bridging_capital": "tie weight across groups, per citizen",
    "ei_index": "Krackhardt E-I index of tie weight: (across - within) / (across + within), in [-1, 1]",
    "service_orientation": "mean association orientation, 0 voice (expressive) ... 1 service",
    "association_autonomy": "mean association autonomy",
    "staff_control": "mean control exerted by staff",
    "staff_threat": "mean threat felt by staff",
    "service_output": "measured service output per citizen: R + C_s + gamma Q sqrt(R C_s), C_s the service part of civil output",
    "civil_output": "civil output C per citizen: volunteer hours times what an hour achieves",
    "synergy": "co-produced welfare beyond the sum of the parts: Y / (R + C) - 1",
    "democratic_voice": "expressive activity per citizen: volunteers weighted by their association's voice orientation and their autonomy",
    "participation_inequality": "1 - (vulnerable volunteering rate / others' rate), floored at 0: 0 when the vulnerable take part as much as others",
    "municipal_output": "municipal output R per citizen",
    "coproduced_welfare": "Y = R + C + gamma Q sqrt(R C), per citizen",
    "collaboration_quality": "Q: member-weighted mean of partner trust times shared understanding",
    "complementarity": "gamma, the learned complementarity of municipal and civil output",
    "share_own_initiative": "of the volunteers recruited during the run, the share who joined on own initiative",
    "joined": "citizens who became volunteers this month",
    "quit": "volunteers who returned to the citizen role this month",
    "volunteers": "number of volunteers",
    "ties": "number of citizen-citizen ties",
}


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
    idx = np.flatnonzero(vol)
    aa = c.association[idx]
    voice = float(((1.0 - a.orientation[aa]) * c.autonomy[idx]).sum()) / n
    return {
        "volunteering_rate": n_vol / n,
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
        "democratic_voice": voice,
        "participation_inequality": max(0.0, 1.0 - rate_vuln / rate_other) if rate_other > 0 else 0.0,
        "municipal_output": mu.municipal_output,
        "coproduced_welfare": float(mu.coproduced_welfare),
        "collaboration_quality": mu.collaboration_quality,
        "complementarity": mu.complementarity,
        "share_own_initiative": own / recruited if recruited else 0.0,
        "joined": float(mu.joined_asked + mu.joined_own_initiative),
        "quit": float(mu.quit),
        "volunteers": float(n_vol),
        "ties": float(len(T)),
    }
