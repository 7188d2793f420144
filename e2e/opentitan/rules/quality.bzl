"""STAND-IN for OpenTitan's rules/quality.bzl: modid_check_aspect.

OpenTitan's .bazelrc applies it to every build (`build --aspects=...`), so
even a hub build analyzes with an aspect over every target. This one checks
nothing and returns nothing.
"""

def _modid_check_aspect_impl(_target, _ctx):
    return []

modid_check_aspect = aspect(
    implementation = _modid_check_aspect_impl,
    attr_aspects = ["deps"],
    doc = "STAND-IN: visits every target and its deps, checks nothing.",
)
