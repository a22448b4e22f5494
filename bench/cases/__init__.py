"""The benchmark cases, one module each; bench/run.py runs the ones --only names."""
