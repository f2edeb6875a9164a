"""E-portfolio voor duale jobcoachopleidingen."""
