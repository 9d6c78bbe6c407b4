#!/bin/sh
# Hardware-in-the-loop tests (host-driver/tests/hil.rs): the board path of the driver.
# Usage: [CREW_HIL_SERIAL=<serial>] scripts/hil.sh [extra cargo test arguments]
# With CREW_HIL_SERIAL: against that XEM7010 (flash it first: crew-host flash
# bitstreams/<hash>.bit). Without: against the frontpanel-sim stand-in library, configured
# with a simulation bitstream (as in the normal test suite). Each test prints which.
# The g2p test is ignored in the normal suite (slow on the simulated board); it runs here.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${CREW_HIL_SERIAL:-}" ]; then
    echo "CREW_HIL_SERIAL is not set: testing against the frontpanel-sim stand-in." >&2
    echo "Attached boards: cargo run -q -p crew-host -- devices" >&2
fi
exec cargo test -p crew-host --test hil "$@" -- --nocapture --test-threads=1 --include-ignored
