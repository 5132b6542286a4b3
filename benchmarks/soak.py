"""`python benchmarks/soak.py`: a looping video through the app's frame loop: latency, fps and RSS over time (the code: benchmarks/soak_cli.py)."""

if __name__ == "__main__":
    import pathlib
    import sys

    # Run as a file, Python puts benchmarks/ on sys.path, not the repo root `benchmarks` lives in.
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from benchmarks.soak_cli import main

    sys.exit(main())
