# boots: 2
# Self-check of the harness: the first of two boots ends without cutting the power, so the
# harness must fail the test (a power-loss test that never loses power tests nothing).
true
