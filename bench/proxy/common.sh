# bench/proxy/common.sh: helpers of bench/proxy/tcp and bench/proxy/http (sourced).

# Installs the Debian packages named, if any (as root, or with sudo).
install_packages() {
  [ $# -gt 0 ] || return 0
  echo "installing $* (Debian packages)"
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null ||
    { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null; }
}

# Waits until something accepts connections on 127.0.0.1:PORT (10 s at most).
wait_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$port" >&2
  return 1
}

# CPU time in ns of a server: every thread of the process and of its children (nginx's
# worker), from schedstat (finer than clock ticks).
cpu_ns() {
  local total=0 p t a
  for p in $1 $(pgrep -P "$1" || true); do
    for t in /proc/"$p"/task/*/schedstat; do
      read -r a _ <"$t" 2>/dev/null || a=0
      total=$((total + a))
    done
  done
  echo "$total"
}

# The median of the numbers on stdin, one a line (0 for none).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
