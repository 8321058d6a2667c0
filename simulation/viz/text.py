"""Every word the page shows of its own, in English and Danish.

The sliders' help texts are the parameters' declared meanings (``simulation.core.parameters``) and
stay in English: one source for every interface.
"""

from __future__ import annotations

LANGUAGES: dict[str, str] = {"en": "English", "da": "Dansk"}

#: Governance modes as the page names them (the parameter values are hierarchy, npm, npg).
MODE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "hierarchy": "Hierarchy (classic administration)",
        "npm": "NPM: associations as suppliers",
        "npg": "NPG: associations as partners",
    },
    "da": {
        "hierarchy": "Hierarki (klassisk forvaltning)",
        "npm": "NPM: foreninger som leverandører",
        "npg": "NPG: foreninger som samarbejdspartnere",
    },
}

#: The seed's two reflection questions (seed/README.md; the talk ends with them).
REFLECTION_QUESTIONS: dict[str, tuple[str, str]] = {
    "en": (
        "What matters to you when you collaborate with the municipality?",
        "How do you secure synergy, not only contribute to the municipality's task-solving?",
    ),
    "da": (
        "Hvad er vigtigt for dig, når du samarbejder med kommunen?",
        "Hvordan sikrer I synergi og ikke kun bidrag til kommunens opgaveløsning?",
    ),
}

#: The legend of the network view: (marker or line style, colour key, English, Danish).
LEGEND: tuple[tuple[str, str, str, str], ...] = (
    ("o", "citizen", "citizen (not volunteering)", "borger (ikke frivillig)"),
    ("^", "volunteer", "volunteer", "frivillig"),
    ("s", "association", "association (bigger = more members)", "forening (større = flere medlemmer)"),
    ("D", "staff", "municipal staff member", "kommunal medarbejder"),
    ("-", "bonding", "bonding tie (within a group)", "sammenbindende bånd (i en gruppe)"),
    ("-", "bridging", "bridging tie (across groups)", "brobyggende bånd (på tværs af grupper)"),
    ("-", "membership", "membership: volunteer – association", "medlemskab: frivillig – forening"),
    ("--", "working", "working tie: staff – association", "samarbejde: medarbejder – forening"),
)

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Samskabelse: co-creation between a municipality and civil society",
        "month": "month",
        "time": "Time",
        "month_of": "Month {step} of {steps}",
        "years": "({years:.1f} years)",
        "network_title": "Month {step}: {vol} of {n} citizens volunteer",
        "group": "group {g}",
        "scenario": "Scenario",
        "mode": "Governance",
        "steering_now": "Steering now",
        # plots
        "p_volunteering": "Volunteering",
        "finished": "The run has reached month {steps}: press RESET to start a new one.",
        "rate_axis": "% of citizens",
        "p_trust": "Trust",
        "p_capital": "Social capital: bonding vs bridging",
        "tie_weight": "tie weight per citizen",
        "p_synergy": "Synergy and output",
        "per_citizen": "output per citizen per month",
        "p_orientation": "Associations: voice ↔ service",
        "voice": "voice",
        "service": "service",
        "p_steering": "Steering and staff",
        "steering": "Steering intensity (lever)",
        "lever_change": "steering → {value:.2f}",
        "right_axis": "(right axis)",
        # sidebar
        "live_title": "Change steering now",
        "live_help": (
            "Moves the municipality's steering in the running model, from the next month on. "
            "Push it up to 0.9 for a few years (over-steering), then back down, and watch how slowly "
            "volunteering and trust recover."
        ),
        "oversteer": "Over-steer (0.9)",
        "ease": "Ease off (0.2)",
        "settings_title": "Start settings (used by Reset)",
        "settings_help": "Pick a scenario, a governance mode or move a lever, then press RESET to start a new run.",
        "pending": "These settings differ from the running model: press RESET to start a run with them.",
        "no_scenarios": "No scenario files found; starting from the model's defaults.",
        "explain_title": "What is this?",
        "hint": (
            "Each step is one month. Press ▶ (left) to run, or STEP for one month. Change the steering live under "
            "“Change steering now”. What the colours mean, and questions to discuss: below the network."
        ),
    },
    "da": {
        "title": "Samskabelse: samarbejde mellem kommune og civilsamfund",
        "month": "måned",
        "time": "Tid",
        "month_of": "Måned {step} af {steps}",
        "years": "({years:.1f} år)",
        "network_title": "Måned {step}: {vol} af {n} borgere er frivillige",
        "group": "gruppe {g}",
        "scenario": "Scenarie",
        "mode": "Styringsform",
        "steering_now": "Styring nu",
        "p_volunteering": "Frivillighed",
        "finished": "Kørslen har nået måned {steps}: tryk RESET for at starte en ny.",
        "rate_axis": "% af borgerne",
        "p_trust": "Tillid",
        "p_capital": "Social kapital: bånd i og på tværs",
        "tie_weight": "båndstyrke pr. borger",
        "p_synergy": "Synergi og resultater",
        "per_citizen": "resultat pr. borger pr. måned",
        "p_orientation": "Foreninger: stemme ↔ service",
        "voice": "stemme",
        "service": "service",
        "p_steering": "Styring og medarbejdere",
        "steering": "Styringsintensitet (håndtag)",
        "lever_change": "styring → {value:.2f}",
        "right_axis": "(højre akse)",
        "live_title": "Ændr styringen nu",
        "live_help": (
            "Ændrer kommunens styring i den kørende model fra næste måned. Skru op på 0,9 i nogle år "
            "(overstyring), skru så ned igen, og se hvor langsomt frivilligheden og tilliden kommer tilbage."
        ),
        "oversteer": "Overstyr (0,9)",
        "ease": "Slip (0,2)",
        "settings_title": "Startindstillinger (bruges af Reset)",
        "settings_help": "Vælg et scenarie, en styringsform eller flyt et håndtag, og tryk så RESET for at starte forfra.",
        "pending": "Indstillingerne afviger fra den kørende model: tryk RESET for at starte med dem.",
        "no_scenarios": "Ingen scenariefiler fundet; starter fra modellens standardværdier.",
        "explain_title": "Hvad er det her?",
        "hint": (
            "Hvert skridt er én måned. Tryk ▶ (til venstre) for at køre, eller STEP for én måned. Ændr styringen "
            "undervejs under “Ændr styringen nu”. Hvad farverne betyder, og spørgsmål til samtalen: under netværket."
        ),
    },
}

#: Danish slider labels of the main levers (English ones come from settings.LABELS).
LEVER_LABELS_DA: dict[str, str] = {
    "steering_intensity": "Styringsintensitet",
    "facilitation": "Facilitering",
    "quick_results_pressure": "Pres for hurtige resultater",
    "sense_making": "Meningsskabelse",
    "targeting": "Målretning",
    "contract_competition": "Konkurrence om kontrakter",
}

EXPLANATION: dict[str, str] = {
    "en": """
**What you see.** A small municipality: a few hundred citizens in a few social groups (the
light circles of the network). The municipality works with voluntary associations through its
staff. Each step is one month. Citizens are asked by people they know to volunteer, volunteers
give hours or quit, trust grows or erodes, and ties between people form or fade.

**The question.** How the municipality governs — how hard it *steers*, how much it *facilitates*,
how fast it wants *results* — changes all of this. Light steering that coordinates and supports is
felt as recognition and draws people in; controlling steering crowds out what people give of their
own accord, and they quit. The way back is slow: those who left return mostly when someone asks
them, and fewer volunteers are left to ask. A contract that pays for service turns an association
from voice to service; a partnership builds shared understanding, which pays only after a while.

**Try this.** Press ▶ to run. After a few years press *Over-steer* (or drag *Steering now* to 0.9)
and watch the orange volunteers disappear and trust fall. Then press *Ease off* and see how
slowly they come back; compare with a run on the same seed without the episode. Then compare
the governance modes *NPM* (associations as suppliers) and *NPG* (associations as partners): pick one under *Start settings → Governance*, press RESET and
run; look at synergy, at the associations' voice and at bonding vs bridging ties.
""",
    "da": """
**Det ser du.** En lille kommune: nogle hundrede borgere i nogle få sociale grupper (de lyse
cirkler i netværket). Kommunen samarbejder med frivillige foreninger gennem sine medarbejdere.
Hvert skridt er én måned. Borgere bliver spurgt af nogen, de kender, om de vil være frivillige;
frivillige giver timer eller stopper; tillid vokser eller smuldrer; bånd mellem mennesker opstår
eller svinder.

**Spørgsmålet.** Måden kommunen styrer på — hvor hårdt den *styrer*, hvor meget den *faciliterer*,
hvor hurtigt den vil se *resultater* — ændrer det hele. Let styring, der koordinerer og støtter,
opleves som anerkendelse og trækker folk ind; kontrollerende styring fortrænger det, folk giver af
egen drift, og de stopper. Vejen tilbage er lang: de, der gik, vender mest tilbage, når nogen
spørger dem, og der er færre frivillige tilbage til at spørge. En kontrakt, der betaler for
service, drejer en forening fra stemme mod service; et partnerskab bygger fælles forståelse, som
først betaler sig efter et stykke tid.

**Prøv dette.** Tryk ▶ for at køre. Efter nogle år: tryk *Overstyr* (eller træk *Styring nu* op
på 0,9), og se de orange frivillige forsvinde og tilliden falde. Tryk så *Slip*, og se hvor
langsomt de vender tilbage; sammenlign med en kørsel med samme seed uden episoden. Sammenlign så
styringsformerne *NPM* (foreninger som leverandører) og *NPG* (foreninger som samarbejdspartnere): vælg en under *Startindstillinger → Styringsform*, tryk
RESET og kør; se på synergi, på foreningernes stemme og på sammenbindende og brobyggende bånd.
""",
}

LEGEND_HEADING = {"en": "Colours and shapes", "da": "Farver og former"}
QUESTIONS_HEADING = {"en": "Questions to discuss", "da": "Spørgsmål til samtalen"}


def t(lang: str, key: str, **fmt) -> str:
    """The page text ``key`` in language ``lang`` (English when missing), formatted."""
    text = STRINGS.get(lang, STRINGS["en"]).get(key) or STRINGS["en"][key]
    return text.format(**fmt) if fmt else text
