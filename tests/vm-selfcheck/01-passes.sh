# Self-check of the harness: a test that passes.
true
