#!/bin/sh
# Hardware-in-the-loop tests: the driver against a real XEM7010 running a CREW bitstream.
# Usage: CREW_HIL_SERIAL=<serial> scripts/hil.sh [extra cargo test arguments]
# Without CREW_HIL_SERIAL, or without the FrontPanel library, the tests print why they
# were skipped. Flash the board first: crew-host flash bitstreams/<hash>.bit
set -eu
cd "$(dirname "$0")/.."
if [ -z "${CREW_HIL_SERIAL:-}" ]; then
    echo "CREW_HIL_SERIAL is not set: the tests will report themselves skipped." >&2
    echo "Attached boards: cargo run -q -p crew-host -- devices" >&2
fi
exec cargo test -p crew-host --test hil "$@" -- --nocapture --test-threads=1
