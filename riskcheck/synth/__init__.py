"""Synthetic national registries for benchmarks and demonstrations (`riskcheck synth`)."""
