#!/usr/bin/env bash
# Lets non-root users open Opal Kelly FrontPanel boards (USB vendor 0x151F): installs
# a udev rule and reloads udev. Needs root.
#
#   sudo scripts/install-udev-rules.sh                 # any user (MODE 0666)
#   sudo scripts/install-udev-rules.sh --group plugdev # members of plugdev (MODE 0660)
set -euo pipefail

RULES_FILE=/etc/udev/rules.d/60-opalkelly.rules
group=""
case "${1:-}" in
    "") ;;
    --group)
        group=${2:?"--group needs a group name"}
        ;;
    *)
        echo "usage: $0 [--group GROUP]" >&2
        exit 2
        ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "Needs root. Run: sudo $0 $*" >&2
    exit 3
fi

if [ -n "$group" ]; then
    if ! getent group "$group" >/dev/null; then
        echo "No group '$group' on this system (create it with: groupadd $group)" >&2
        exit 2
    fi
    permissions="MODE=\"0660\", GROUP=\"$group\""
else
    permissions='MODE="0666"'
fi

cat >"$RULES_FILE" <<RULES
# Opal Kelly FrontPanel devices (installed by crew scripts/install-udev-rules.sh)
SUBSYSTEM=="usb", ATTRS{idVendor}=="151f", $permissions
RULES
echo "Wrote $RULES_FILE"

if command -v udevadm >/dev/null 2>&1; then
    udevadm control --reload-rules
    udevadm trigger --subsystem-match=usb --attr-match=idVendor=151f
    echo "udev rules reloaded; boards already attached have the new permissions."
else
    echo "udevadm not found: reload udev or replug the board for the rule to apply." >&2
fi
