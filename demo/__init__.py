"""The nut_ups demo: a real upsd with a simulated UPS (and, later, Home Assistant)."""
