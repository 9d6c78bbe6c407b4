# Shared helpers for the project scripts (source it; do not run it).

# missing_packages COMMAND:DEBIAN_PACKAGE ...
# Prints the Debian packages of the commands not on PATH, space-separated.
missing_packages() {
    local missing=() pair command package
    for pair in "$@"; do
        command=${pair%%:*}
        package=${pair#*:}
        if ! command -v "$command" >/dev/null 2>&1; then
            missing+=("$package")
        fi
    done
    echo "${missing[*]:-}"
}

# install_system_tools COMMAND:DEBIAN_PACKAGE ...
# Installs the Debian packages of the commands not on PATH when it can (root and apt-get),
# saying what it installs. Returns 0 when nothing is missing afterwards; otherwise prints
# the exact command to run and returns 3.
install_system_tools() {
    local missing
    missing=$(missing_packages "$@")
    if [ -z "$missing" ]; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "Missing system tools; install these packages with your package manager: $missing" >&2
        return 3
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing system tools. Install them with:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
        return 3
    fi
    echo "Installing $missing (apt-get) ..." >&2
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    echo "Installed: $missing" >&2
}

# ensure_system_tools COMMAND:DEBIAN_PACKAGE ...
# Installs the Debian packages of the commands not on PATH. As root it runs apt-get;
# otherwise it prints the exact command to run and exits with status 3.
ensure_system_tools() {
    install_system_tools "$@" || exit 3
}

# ensure_cargo: exits with status 3 and the install hint when cargo is missing.
ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "cargo not found. Install Rust from https://rustup.rs, then rerun." >&2
        exit 3
    fi
}
