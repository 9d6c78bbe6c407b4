# Shared helpers for the project scripts (source it; do not run it).

# ensure_system_tools COMMAND:DEBIAN_PACKAGE ...
# Installs the Debian packages of the commands not on PATH. As root it runs apt-get;
# otherwise it prints the exact command to run and exits with status 3.
ensure_system_tools() {
    local missing_packages=() pair command package
    for pair in "$@"; do
        command=${pair%%:*}
        package=${pair#*:}
        if ! command -v "$command" >/dev/null 2>&1; then
            missing_packages+=("$package")
        fi
    done
    if [ ${#missing_packages[@]} -eq 0 ]; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "Missing system tools; install these packages with your package manager: ${missing_packages[*]}" >&2
        exit 3
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing system tools. Install them with:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing_packages[*]}" >&2
        exit 3
    fi
    echo "Installing ${missing_packages[*]} ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}"
}

# ensure_cargo: exits with status 3 and the install hint when cargo is missing.
ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "cargo not found. Install Rust from https://rustup.rs, then rerun." >&2
        exit 3
    fi
}
