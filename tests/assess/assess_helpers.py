"""Shared inputs of the assessment tests."""

# Two launch points far from the only site: nothing is engageable (empty summary columns).
TINY = """
name = "tiny"
description = "two threat cases, one far site: fast, and nothing engageable"

[[defence.sites]]
site = { name = "far", kind = "land", lat_deg = -60.0, lon_deg = 100.0, alt_m = 0.0 }
interceptors = { "sm-3-iia" = 4 }

[sensors]
early_warning = "sbirs-dsp"
remote_radars = []

[timeline]
mode = "early-warning-only"

[[threats]]
missile = "topol-m"
launch = "west"
aim = "east-coast"
shapes = ["min-energy"]

[areas]
west = { points = [[54.038, 35.772], [56.858, 40.537]] }
east-coast = { point = [38.895, -77.036] }
"""
