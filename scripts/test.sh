#!/usr/bin/env bash
# The project's test command: installs the system tools the tests need (yosys checks
# generated Verilog, iverilog simulates it, Verilator compiles it for the simulated board,
# g++ and make build that model, a C compiler builds the vendored libusb), then runs the
# whole workspace suite after `cargo fmt --check` and `cargo clippy -D warnings`. Extra
# arguments go to `cargo test`.
#
# Profile: the default test profile (workspace crates at opt-level 1, dependencies
# such as rust-hdl at opt-level 2, set in Cargo.toml) rather than --release: it keeps
# simulation fast while reusing the dev build of the dependencies and compiling the
# workspace crates much faster than opt-level 3. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-tools.sh

ensure_system_tools yosys:yosys iverilog:iverilog verilator:verilator g++:g++ make:make cc:gcc
ensure_cargo
# Style and lints first (seconds once built): the code is formatted and clippy-clean.
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
exec cargo test --workspace "$@"
