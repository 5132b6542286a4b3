"""`python benchmarks/latency.py`: every model variant on every runtime (the code: benchmarks/latency_cli.py)."""

if __name__ == "__main__":
    import pathlib
    import sys

    # Run as a file, Python puts benchmarks/ on sys.path, not the repo root `benchmarks` lives in.
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from benchmarks.latency_cli import main

    sys.exit(main())
