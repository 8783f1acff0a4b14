# Self-check of the harness: a test after a hung one runs, and nothing of the hung test's
# processes is left.
if ps | grep -q '[s]leep 100000'; then fail "the hung test's sleep is still running"; fi
true
