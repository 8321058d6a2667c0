"""Where the network view puts each person, association and staff member, and the page's colours.

No plotting library: the matplotlib pictures (:mod:`simulation.viz.drawing`) and the page's SVG
(:mod:`simulation.viz.svg`) both use these positions and colours.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

COLOURS: dict[str, str] = {
    "citizen": "#a6a6a6",
    "volunteer": "#E69F00",
    "association": "#0072B2",
    "staff": "#D55E00",
    "bonding": "#6e6e6e",
    "bridging": "#009E73",
    "membership": "#E69F00",
    "working": "#D55E00",
    "group": "#f2f2f2",
}
MARKERS: dict[str, str] = {"citizen": "o", "volunteer": "^", "association": "s", "staff": "D"}

#: Resolution of every picture; the page scales images to their column.
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


@dataclass(frozen=True)
class NetworkLayout:
    """Fixed positions of every node of the network view."""

    citizens: np.ndarray  # (n, 2)
    associations: np.ndarray  # (n_associations, 2)
    staff: np.ndarray  # (n_staff, 2)
    group_centres: np.ndarray  # (G, 2)
    group_radius: float


def _sunflower(k: int, radius: float) -> np.ndarray:
    """``k`` points spread evenly over a disc (Vogel's sunflower pattern)."""
    i = np.arange(k)
    r = radius * np.sqrt((i + 0.5) / max(k, 1))
    a = i * _GOLDEN_ANGLE
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


def compute_layout(groups: np.ndarray, association_groups: np.ndarray, n_staff: int, seed: int = 0) -> NetworkLayout:
    """Positions by social group: one disc per group around a circle, staff in the middle.

    Citizens fill their group's disc in a seeded random order; each association sits at the
    inner edge of the disc of the group it grew out of, so membership ties from other groups
    are visible as lines crossing over; staff stand in the centre, between all groups.
    Linear in the number of citizens (about a millisecond for thousands).
    """
    rng = np.random.default_rng(seed)
    n_groups = int(max(groups.max(initial=0), association_groups.max(initial=0))) + 1
    if n_groups == 1:
        centres = np.zeros((1, 2))
        radius = 1.0
    else:
        angles = math.pi / 2 - 2 * math.pi * np.arange(n_groups) / n_groups
        # group discs on a circle of radius 1, apart from each other and from the centre,
        # where the staff stand
        radius = min(0.42, 0.85 * math.sin(math.pi / n_groups))
        centres = np.column_stack([np.cos(angles), np.sin(angles)])
    citizens = np.zeros((len(groups), 2))
    for g in range(n_groups):
        members = np.flatnonzero(groups == g)
        members = members[rng.permutation(len(members))]
        citizens[members] = centres[g] + _sunflower(len(members), radius)

    associations = np.zeros((len(association_groups), 2))
    for g in range(n_groups):
        own = np.flatnonzero(association_groups == g)
        if not len(own):
            continue
        c = centres[g]
        if n_groups == 1:
            inward, ring = np.array([0.0, -1.0]), 1.25
        else:
            inward, ring = -c / np.linalg.norm(c), 0.0
        tangent = np.array([-inward[1], inward[0]])
        spread = np.linspace(-1, 1, len(own)) * min(0.8 * radius, 0.09 * (len(own) - 1)) if len(own) > 1 else np.zeros(1)
        base = c + inward * (radius + 0.1) if n_groups > 1 else c + inward * ring
        associations[own] = base + np.outer(spread, tangent)

    if n_staff == 1:
        staff = np.zeros((1, 2))
    else:
        a = 2 * math.pi * np.arange(n_staff) / n_staff + math.pi / 4
        staff_r = 0.1 if n_groups > 1 else 1.45
        staff = np.column_stack([staff_r * np.cos(a), staff_r * np.sin(a)])
        if n_groups == 1:
            staff = staff * np.array([1.0, 0.2]) + np.array([0.0, -1.5])
    return NetworkLayout(citizens, associations, staff, centres, radius)


_layouts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def layout_for(model) -> NetworkLayout:
    """The layout of ``model``'s network, computed at the first call and kept for the run."""
    layout = _layouts.get(model)
    if layout is None:
        W = model.world
        layout = compute_layout(W.citizens.group, W.associations.group, W.staff.n, seed=model.parameters.seed)
        _layouts[model] = layout
    return layout

