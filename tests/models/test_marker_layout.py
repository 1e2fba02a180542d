"""Markers on a printed map: no disc hides another, and every leader ends at its true site."""

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from models.marker_layout import place_markers

RADIUS = 15.0
BOUNDS = (0.0, 0.0, 800.0, 1000.0)  # the face drawings' size

# Sites crowded into a small patch (lips, glabella): on whole units, so some coincide.
crowded = st.lists(st.tuples(st.integers(380, 420).map(float), st.integers(600, 630).map(float)), max_size=25)
anywhere = st.lists(st.tuples(st.floats(0, 800), st.floats(0, 1000)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.one_of(crowded, anywhere, st.tuples(crowded, anywhere).map(lambda pair: pair[0] + pair[1])))
def test_no_two_discs_overlap_and_every_leader_ends_at_its_site(sites):
    placements = place_markers(sites, RADIUS, BOUNDS)
    assert [p.site for p in placements] == sites  # one per site, in order, the site unchanged
    for a, b in itertools.combinations(placements, 2):
        assert math.dist(a.centre, b.centre) >= 2 * RADIUS - 1e-6, (a, b)


@given(anywhere)
def test_markers_far_apart_stay_on_their_sites(sites):
    apart = [s for i, s in enumerate(sites) if all(math.dist(s, t) >= 2 * RADIUS for t in sites[:i])]
    apart = [s for s in apart if all(math.dist(s, t) >= 2 * RADIUS or s is t for t in apart)]
    assert all(not p.moved for p in place_markers(apart, RADIUS, BOUNDS))


def test_two_lip_points_close_together_are_both_drawn_aside_in_the_drawing():
    upper, lower = (400.0, 640.0), (404.0, 652.0)
    first, second = place_markers([upper, lower], RADIUS, BOUNDS)
    assert first.moved and second.moved  # neither disc sits on the other's site
    assert math.dist(first.centre, second.centre) >= 2 * RADIUS
    for placement in (first, second):
        x, y = placement.centre
        assert RADIUS <= x <= 800 - RADIUS and RADIUS <= y <= 1000 - RADIUS
        assert math.dist(placement.centre, upper) >= RADIUS and math.dist(placement.centre, lower) >= RADIUS


def test_a_marker_at_the_edge_is_drawn_aside_inside_the_drawing():
    [_, moved] = place_markers([(10.0, 500.0), (12.0, 500.0)], RADIUS, BOUNDS)
    assert moved.moved and moved.centre[0] >= RADIUS


def test_markers_on_the_very_same_site_are_all_drawn_aside():
    placements = place_markers([(400.0, 500.0)] * 3, RADIUS, BOUNDS)
    assert all(p.moved and p.site == (400.0, 500.0) for p in placements)
    for a, b in itertools.combinations(placements, 2):
        assert math.dist(a.centre, b.centre) >= 2 * RADIUS - 1e-6
