#!/usr/bin/env bash
# The demo: the bundled g2p_en model on the simulated XEM7010, every step checked bit for
# bit against the integer reference. Installs what the fast simulated board needs
# (Verilator, g++ and make compile the accelerator's Verilog; a C compiler builds the
# vendored libusb) the way scripts/test.sh does, and says what it installed. Without root
# (or apt-get) it prints the one command that installs them and runs the demo anyway, on
# rust-hdl's simulation (about 100 times slower; it prints progress lines).
#
# Extra arguments go to `crew-host infer` (e.g. `scripts/demo.sh --engine dense`,
# `scripts/demo.sh --words "read,me"` replaces the words).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-tools.sh

ensure_cargo
# The C compiler is needed to build at all; Verilator, g++ and make only for full speed.
ensure_system_tools cc:gcc
if ! install_system_tools verilator:verilator g++:g++ make:make; then
    echo "Running the demo without them: the simulated board falls back to rust-hdl's" \
        "simulation (minutes instead of seconds)." >&2
fi

words=(--words hello,world)
for arg in "$@"; do
    case $arg in
    --words | --words=* | --word-list | --word-list=* | --input | --input=*) words=() ;;
    esac
done
exec cargo run --release -p crew-host -- infer "${words[@]}" --backend sim "$@"
