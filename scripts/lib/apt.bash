# Shared by the scripts in scripts/: installing Debian packages. Source it.

# Installs packages $2... with apt-get (through sudo unless root), output in
# log file $1. A stale package index is the usual reason an install fails on
# a new machine, so a failed install is retried once after apt-get update.
apt_install() {
    local log=$1
    shift
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    {
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" ||
            { "${sudo[@]}" apt-get update -q &&
                DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"; }
    } >"$log" 2>&1
}

# Prints why the apt_install that wrote log $1 failed, in one line.
apt_failure() {
    grep -m1 '^E:' "$1" || tail -n1 "$1"
}
