"""The simulated network: virtual clock and event queue, links, switches, probes, SimRuntime."""
