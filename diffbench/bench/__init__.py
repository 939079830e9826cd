"""diffbench.bench — to be filled by later issues (see the issue tracker)."""
