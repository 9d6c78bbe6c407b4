#!/usr/bin/env bash
# Reproduces docs/finetune-report.md and docs/finetune-report.txt: fine-tunes g2p_en at
# K = 16, 32 and 8 (K = 16 into models/g2p_en_k16), exports the K = 32/16/8 models without
# fine-tuning, and evaluates every row on CMUdict's whole test split and the 64 dev words.
# About an hour on the shared 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/install-finetune.sh)
nice -n 10 cargo build --release -p crew-host
export CREW_HOST=$PWD/target/release/crew-host
out=build/finetune
mkdir -p "$out"
ft() { (cd finetune && nice -n 10 "$PY" -m crew_finetune "$@"); }
ev() { ft evaluate "$@"; }

# models/g2p_en_k16 (ORIGIN.md there), under docs/finetune-protocol.md.
ft finetune --k 16 --epochs 3 --words-per-epoch 25000 --lr 3e-4 --lr-decay 0.5 --seed 0 \
    --threads 1 --name g2p_en_k16 --out ../$out/k16_protocol | tee "$out/finetune-k16.log"
cp "$out"/k16_protocol/{model.toml,checkpoint.npz,finetune.json} models/g2p_en_k16/
for k in 32 8; do
    ft finetune --k $k --epochs 1 --words-per-epoch 20000 --threads 1 --name g2p_en_k$k \
        --out ../$out/k$k | tee "$out/finetune-k$k.log"
done
for k in 32 16 8; do
    ft finetune --k $k --epochs 0 --validation-words 200 --name g2p_en_k${k}_snapped --out ../$out/k${k}_snapped
done

ev --model ../models/g2p_en --backend pytorch --label float --json-out ../$out/float.json
ev --model ../models/g2p_en --backend reference --label int8 --json-out ../$out/int8.json
for k in 32 16 8; do
    ev --model ../$out/k${k}_snapped --backend reference --label k${k}_snapped \
        --json-out ../$out/k${k}_snapped.json
    ev --model ../models/g2p_en --backend reference --max-unique $k \
        --label k${k}_crew_host_kmeans --json-out ../$out/k${k}_crew_host_kmeans.json
done
ev --model ../$out/k32 --backend reference --label k32_finetuned --json-out ../$out/k32_ft.json
ev --model ../models/g2p_en_k16 --backend reference --label k16_finetuned \
    --json-out ../$out/k16_ft.json
ev --model ../$out/k8 --backend reference --label k8_finetuned --json-out ../$out/k8_ft.json
r=../$out
ft report --rows $r/float.json $r/int8.json $r/k32_snapped.json $r/k16_snapped.json \
    $r/k8_snapped.json $r/k32_crew_host_kmeans.json $r/k16_crew_host_kmeans.json \
    $r/k8_crew_host_kmeans.json $r/k32_ft.json $r/k16_ft.json $r/k8_ft.json \
    --finetune ../models/g2p_en_k16/finetune.json \
    $r/k32/finetune.json $r/k8/finetune.json \
    --table $r/table.md --values $r/report.txt
# docs/finetune-report.md and .txt are written from $out/table.md and report.txt.
