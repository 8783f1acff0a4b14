# Self-check of the harness: passes itself, but puts a warning in the kernel log, which
# must fail the run on the host.
echo "WARNING: harness self-check" > /dev/kmsg
