# timeout: 5
# Self-check of the harness: hangs, ignoring SIGTERM, in a child that ignores it too; the
# harness must stop it at its 5 s limit, fail it, and go on with the next test.
trap '' TERM
sleep 100000
