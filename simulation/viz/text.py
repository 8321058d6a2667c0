"""Every word the page shows of its own, in English and Danish.

In English the sliders' labels and help texts are the parameters' declared meanings
(``simulation.core.parameters``); in Danish they come from :data:`LEVER_TEXT_DA`, which must name
every lever (a test says which one is missing). Indicators are named by their declared labels
(``simulation.core.indicators``) in both languages. Danish numbers use a decimal comma
(:func:`decimal`) and Danish quotation marks »…«.
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
    ("-", "bonding", "bonding tie (within a group)", "sammenbindende bånd (inden for en gruppe)"),
    ("-", "bridging", "bridging tie (across groups)", "brobyggende bånd (på tværs af grupper)"),
    ("-", "membership", "membership: volunteer – association", "medlemskab: frivillig – forening"),
    ("--", "working", "working tie: staff – association", "samarbejde: medarbejder – forening"),
)

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # controls and the page's own cards
        "short_title": "Samskabelse: co-creation",
        "credit": "Made with Mesa (agent-based modelling) and Solara (the web page).",
        "reset": "Reset",
        "play": "▶ Play",
        "pause": "❚❚ Pause",
        "step": "Step",
        "speed": "Months per second",
        "controls_title": "Run",
        "run_inputs": "Population and chance",
        "seed": "Seed",
        "seed_help": "A whole number that fixes the model's chance events: the same seed and settings give the same run.",
        "citizens": "Citizens: {n}",
        "language": "Language",
        "live_value": "Steering now: {value}",
        "lever_value": "{label}: {value}",
        "yes": "yes",
        "no": "no",
        "runs_title": "Runs on the plots",
        "run_n": "Run {n}",
        "this_run": "this run (bold lines)",
        "earlier_runs": "earlier runs (faint lines)",
        "clear_runs": "Remove earlier runs",
        "download_csv": "Data (CSV)",
        "download_svg": "Plots (SVG)",
        "download_png": "Plots (PNG)",
        "download_network": "Network (SVG)",
        "downloads": "Download this run",
        "more_indicators": "Another indicator",
        "none": "(none)",
        "seed_short": "seed",
        "citizens_short": "citizens",
        "bad_seed": "Seed: {error}; this run uses seed 1.",
        "bad_citizens": "{error}; this run uses {n} citizens.",
        "network_caption": "Month {step}: {vol} of {n} citizens volunteer",
        "info_missing": "The longer explanation (simulation/viz/info/{lang}.md) is not installed.",
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
        "finished": "The run has reached month {steps}: press Reset to start a new one.",
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
        "lever_change": "steering → {value}",
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
        "settings_help": "Pick a scenario, a governance mode or move a lever, then press Reset to start a new run.",
        "pending": "These settings differ from the running model: press Reset to start a run with them.",
        "no_scenarios": "No scenario files found; starting from the model's defaults.",
        "explain_title": "About the model",
        "hint": (
            "Each step is one month. Press ▶ Play to run and ❚❚ Pause to stop, or Step for one month. Over-steer and "
            "Ease off change the municipality's steering in the running model. Reset starts a new run from the start "
            "settings; earlier runs stay on the plots as faint lines."
        ),
    },
    "da": {
        "short_title": "Samskabelse",
        "credit": "Lavet med Mesa (agentbaseret modellering) og Solara (websiden).",
        "reset": "Nulstil",
        "play": "▶ Afspil",
        "pause": "❚❚ Pause",
        "step": "Et skridt",
        "speed": "Måneder pr. sekund",
        "controls_title": "Simulering",
        "run_inputs": "Befolkning og tilfældighed",
        "seed": "Tilfældighedstal",
        "seed_help": "Et helt tal, der fastlægger modellens tilfældige hændelser: samme tal og indstillinger giver samme simulering.",
        "citizens": "Borgere: {n}",
        "language": "Sprog",
        "live_value": "Styring nu: {value}",
        "lever_value": "{label}: {value}",
        "yes": "ja",
        "no": "nej",
        "runs_title": "Simuleringer på graferne",
        "run_n": "Simulering {n}",
        "this_run": "denne simulering (kraftige linjer)",
        "earlier_runs": "tidligere simuleringer (svage linjer)",
        "clear_runs": "Fjern tidligere simuleringer",
        "download_csv": "Data (CSV)",
        "download_svg": "Grafer (SVG)",
        "download_png": "Grafer (PNG)",
        "download_network": "Netværk (SVG)",
        "downloads": "Hent denne simulering",
        "more_indicators": "En anden indikator",
        "none": "(ingen)",
        "seed_short": "tilfældighedstal",
        "citizens_short": "borgere",
        "bad_seed": "Tilfældighedstallet skal være et helt tal fra 0 til 9223372036854775807; denne simulering bruger 1.",
        "bad_citizens": "Antallet af borgere skal være et helt tal fra {lo} til {hi}; denne simulering bruger {n}.",
        "network_caption": "Måned {step}: {vol} af {n} borgere er frivillige",
        "info_missing": "Den længere forklaring (simulation/viz/info/{lang}.md) er ikke installeret.",
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
        "finished": "Simuleringen har nået måned {steps}: tryk Nulstil for at starte en ny.",
        "rate_axis": "% af borgerne",
        "p_trust": "Tillid",
        "p_capital": "Social kapital: bånd i og på tværs",
        "tie_weight": "båndstyrke pr. borger",
        "p_synergy": "Synergi og resultater",
        "per_citizen": "resultat pr. borger pr. måned",
        "p_orientation": "Foreninger: talerør ↔ service",
        "voice": "talerør",
        "service": "service",
        "p_steering": "Styring og medarbejdere",
        "steering": "Styringsintensitet (styringsgreb)",
        "lever_change": "styring → {value}",
        "right_axis": "(højre akse)",
        "live_title": "Ændr styringen nu",
        "live_help": (
            "Ændrer kommunens styring i den kørende model fra næste måned. Skru op på 0,9 i nogle år "
            "(overstyring), skru så ned igen, og se hvor langsomt frivilligheden og tilliden kommer tilbage."
        ),
        "oversteer": "Overstyr (0,9)",
        "ease": "Skru ned (0,2)",
        "settings_title": "Startindstillinger (bruges af Nulstil)",
        "settings_help": "Vælg et scenarie, en styringsform eller flyt en skyder, og tryk så Nulstil for at starte forfra.",
        "pending": "Indstillingerne afviger fra den kørende model: tryk Nulstil for at starte med dem.",
        "no_scenarios": "Ingen scenariefiler fundet; starter fra modellens standardværdier.",
        "explain_title": "Om modellen",
        "hint": (
            "Hvert skridt er én måned. Tryk ▶ Afspil for at køre og ❚❚ Pause for at stoppe, eller Et skridt for én måned. "
            "Overstyr og Skru ned ændrer kommunens styring i den kørende model. Nulstil starter en ny simulering fra "
            "startindstillingerne; tidligere simuleringer bliver stående på graferne som svage linjer."
        ),
    },
}

#: Short English slider labels where the parameter's name reads awkwardly; others: the name in words.
LEVER_LABELS_EN: dict[str, str] = {
    "steering_intensity": "Steering intensity",
    "quick_results_pressure": "Pressure for quick results",
    "targeting": "Inclusive outreach (0 = own group, 1 = across groups)",
    "relation_offered": "Relation offered to associations",
    "linear_thinking": "Linear thinking (no learning from collaboration)",
}

#: Danish label and help text of every lever (English ones: LEVER_LABELS_EN and the declared meaning).
LEVER_TEXT_DA: dict[str, tuple[str, str]] = {
    "governance_mode": ("Styringsform", "samlet forindstilling af styringsgrebene: hierarki, NPM (leverandør) eller NPG (partner)"),
    "steering_intensity": ("Styringsintensitet", "kommunens kontrol med, hvordan foreninger og frivillige udfører deres arbejde"),
    "facilitation": ("Facilitering", "den støtte, dialog og infrastruktur kommunen tilbyder"),
    "quick_results_pressure": ("Pres for hurtige resultater", "pres for hurtige, synlige resultater (kort tidshorisont)"),
    "sense_making": ("Fælles meningsskabelse", "hvor meget kommunen investerer i fælles forståelse og en fælles opgave"),
    "threat_sensitivity": ("Medarbejdernes følsomhed over for trussel",
                           "hvor stærkt medarbejderne oplever, at frivillige truer deres job og faglighed"),
    "targeting": ("Inkluderende opsøgning (0 = egen gruppe, 1 = på tværs)",
                  "0: foreningerne spørger i egen gruppe (lette rekrutter); 1: de spørger på tværs af grupper og "
                  "når også udsatte borgere"),
    "contract_competition": ("Konkurrence om kontrakter",
                             "konkurrence mellem foreninger om kommunale kontrakter (»organisatorisk egoisme«)"),
    "linear_thinking": ("Lineær tænkning (ingen læring af samarbejdet)",
                        "når den er slået til, bruges erfaringerne fra samarbejdet ikke i planerne (komplementaritet læres ikke)"),
    "relation_offered": ("Relation tilbudt foreningerne", "den relation kommunen tilbyder foreningerne"),
    "volunteer_substitution": ("Frivillige som erstatning for ansatte",
                               "hvor meget frivillige bruges som arbejdskraft til fastlagte kerneopgaver for de ansatte"),
}

#: Danish names of the levers' text values (e.g. the relation offered).
CHOICE_LABELS_DA: dict[str, str] = {"none": "ingen", "supplier": "leverandør", "partnership": "partnerskab"}

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

**Try this.** Press *▶ Play* to run. After a few years press *Over-steer* (or drag *Steering now* to 0.9)
and watch the *Volunteering* and *Trust* plots fall. Then press *Ease off* and see how slowly they
come back. Press *Reset* and run the same seed without the episode: the first run stays on the
plots as faint lines to compare with. Then compare
the governance modes *NPM* (associations as suppliers) and *NPG* (associations as partners): pick one under *Start settings → Governance*, press *Reset* and
run; look at synergy, at the associations' voice and at bonding vs bridging ties.
""",
    "da": """
**Det viser modellen.** En lille kommune: nogle hundrede borgere i nogle få sociale grupper (de lyse
cirkler i netværket). Kommunen samarbejder med frivillige foreninger gennem sine medarbejdere.
Hvert skridt er én måned. Borgere bliver spurgt af nogen, de kender, om de vil være frivillige;
frivillige giver timer eller stopper; tillid vokser eller smuldrer; bånd mellem mennesker opstår
eller svinder.

**Spørgsmålet.** Måden kommunen styrer på — hvor hårdt den *styrer*, hvor meget den *faciliterer*,
hvor hurtigt den vil se *resultater* — ændrer det hele. Let styring, der koordinerer og støtter,
opleves som anerkendelse og trækker folk ind; kontrollerende styring fortrænger det, folk giver af
egen drift, og de stopper. Vejen tilbage er lang: de, der gik, vender mest tilbage, når nogen
spørger dem, og der er færre frivillige tilbage til at spørge. En kontrakt, der betaler for
service, drejer en forening fra talerør mod service; et partnerskab bygger fælles forståelse, som
først betaler sig efter et stykke tid.

**Prøv dette.** Tryk *▶ Afspil* for at køre. Tryk *Overstyr* efter nogle år (eller træk *Styring nu* op
på 0,9), og se graferne *Frivillighed* og *Tillid* falde. Tryk så *Skru ned*, og se hvor langsomt de
kommer tilbage. Tryk *Nulstil* og kør samme tilfældighedstal uden episoden: den første simulering bliver
stående på graferne som svage linjer at sammenligne med. Sammenlign så
styringsformerne *NPM* (foreninger som leverandører) og *NPG* (foreninger som samarbejdspartnere): vælg en under *Startindstillinger → Styringsform*, tryk
*Nulstil* og kør; se på synergi, på foreningernes rolle som talerør og på sammenbindende og brobyggende bånd.
""",
}

LEGEND_HEADING = {"en": "Colours and shapes", "da": "Farver og former"}
QUESTIONS_HEADING = {"en": "Questions to discuss", "da": "Spørgsmål til samtalen"}


def decimal(lang: str, value: float, digits: int = 2) -> str:
    """A number as ``lang`` writes it: Danish uses a decimal comma (and a real minus sign in both)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "da" else text


def t(lang: str, key: str, **fmt) -> str:
    """The page text ``key`` in language ``lang`` (English when missing), formatted."""
    text = STRINGS.get(lang, STRINGS["en"]).get(key) or STRINGS["en"][key]
    return text.format(**fmt) if fmt else text
