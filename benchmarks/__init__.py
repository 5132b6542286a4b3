"""Benchmarks: latency, throughput, memory and accuracy of every model variant and runtime, plus a soak run."""
