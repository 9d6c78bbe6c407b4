#!/usr/bin/env bash
# Generates the CREW XEM7010 design into a build folder and, with --vivado, runs Vivado
# (VIVADO_PATH, FP_PATH) and copies the bitstream with its manifest into bitstreams/.
#   scripts/build-bitstream.sh              # generate only (no Vivado needed)
#   scripts/build-bitstream.sh --vivado     # generate and build the bitstream
#   scripts/build-bitstream.sh --engine dense  # the dense int8 baseline design
# BUILD_DIR overrides the build folder (default target/xem7010-build).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-target/xem7010-build}"
exec cargo run --quiet -p crew-firmware --bin crew-firmware -- \
    generate --out "$build_dir" --bitstreams bitstreams "$@"
