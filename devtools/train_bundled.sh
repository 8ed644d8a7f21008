#!/usr/bin/env bash
# Reproduce the bundled model from scratch: synthetic scenes v2 -> tiles (train, validation
# carved from the training scenes, test) -> training (the epoch chosen on validation) -> ONNX
# export with its card -> the test split scored beside the colour k-NN baseline, written into
# the model's metadata and card -> the sample scene. Everything the card says comes from
# these runs; intermediate files go to runs/bundled/ (git-ignored).
# About four and a half hours on a 2-core CPU.
#
#   bash devtools/train_bundled.sh                  # the whole thing
#   SKIP_TRAIN=1 bash devtools/train_bundled.sh     # reuse runs/bundled's checkpoint
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=runs/bundled
MODEL=resources/models/cse_unet_synthetic.onnx
# Phase 1 on 24 large scenes, phases 2-4 (warm starts) on 94 smaller ones each, phase 5 on 144,
# phases 6 and 7 on 194 each: see the configs.
CONFIGS=(bundled_synthetic bundled_synthetic_phase_2 bundled_synthetic_phase_3 \
    bundled_synthetic_phase_4 bundled_synthetic_phase_5 bundled_synthetic_phase_6 \
    bundled_synthetic_phase_7)

run() {
    echo "+ $*"
    "$@"
}

if [[ -z "${SKIP_TRAIN:-}" ]]; then
    rm -rf "$WORK"/scenes* "$WORK"/dataset* "$WORK"/bundled_synthetic*
    # Scenes v2 at 3-20 cm (each GeoTIFF carries its own GSD): 24 large training scenes and
    # 6 test scenes (the benchmark split's tile ids) for phase 1, 94 smaller training scenes
    # of other seeds for each of phases 2-4, 144 for phase 5, 194 for each of phases 6
    # and 7; the copies put them all at the model's 20 cm.
    run $PY -m trainer synth --out "$WORK/scenes" --scenes 30 --size 2000 --seed 2026 \
        --test-fraction 0.2 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_20cm"
    run $PY -m trainer synth --out "$WORK/scenes_b" --scenes 100 --size 1000 --seed 2027 \
        --test-fraction 0.06 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_b_20cm"
    run $PY -m trainer synth --out "$WORK/scenes_c" --scenes 100 --size 1000 --seed 2028 \
        --test-fraction 0.06 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_c_20cm"
    run $PY -m trainer synth --out "$WORK/scenes_d" --scenes 100 --size 1000 --seed 2029 \
        --test-fraction 0.06 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_d_20cm"
    run $PY -m trainer synth --out "$WORK/scenes_e" --scenes 150 --size 1000 --seed 2030 \
        --test-fraction 0.04 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_e_20cm"
    run $PY -m trainer synth --out "$WORK/scenes_f" --scenes 200 --size 1000 --seed 2031 \
        --test-fraction 0.03 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_f_20cm"
    run $PY -m trainer synth --out "$WORK/scenes_g" --scenes 200 --size 1000 --seed 2032 \
        --test-fraction 0.03 --gsd-cm 3:20 --workers 2 --resampled-copy "20:$WORK/scenes_g_20cm"
    for name in scenes_20cm scenes_b_20cm scenes_c_20cm scenes_d_20cm scenes_e_20cm \
        scenes_f_20cm scenes_g_20cm; do
        run $PY -m trainer prepare folder --src "$WORK/$name" \
            --out "$WORK/dataset${name#scenes}" --tile 256 --validation-seed 0
    done
    for config in "${CONFIGS[@]}"; do
        run $PY -m trainer train --config "$config"
    done
fi
# The test scenes at their native GSD, eroded labels (the benchmark protocol); the engine
# resamples each to the model's 20 cm and scores on the scene's own grid.
[[ -f "$WORK/dataset_native/manifest.json" ]] || \
    run $PY -m trainer prepare potsdam --src "$WORK/scenes" --out "$WORK/dataset_native" \
        --split benchmark --tile 256

# Each phase chose its epoch on its own validation scenes; the one shipped is the phase whose
# best checkpoint scores highest on all validation splits together (never the test split).
echo "+ choose between the phases on validation"
BEST=$($PY -m devtools.bundled_model choose \
    --checkpoint "$WORK/bundled_synthetic/checkpoints/best.pt" \
    --checkpoint "$WORK/bundled_synthetic_phase_2/checkpoints/best.pt" \
    --checkpoint "$WORK/bundled_synthetic_phase_3/checkpoints/best.pt" \
    --checkpoint "$WORK/bundled_synthetic_phase_4/checkpoints/best.pt" \
    --checkpoint "$WORK/bundled_synthetic_phase_5/checkpoints/best.pt" \
    --checkpoint "$WORK/bundled_synthetic_phase_6/checkpoints/best.pt" \
    --checkpoint "$WORK/bundled_synthetic_phase_7/checkpoints/best.pt" \
    --data "$WORK/dataset_20cm" --data "$WORK/dataset_b_20cm" --data "$WORK/dataset_c_20cm" \
    --data "$WORK/dataset_d_20cm" --data "$WORK/dataset_e_20cm" --data "$WORK/dataset_f_20cm" \
    --data "$WORK/dataset_g_20cm")
# 512 px tiles in the graph (Deepness reads the tile size from it): more context per tile.
run $PY -m trainer export "$BEST" --out "$MODEL" --tile-size 512 --card
run $PY -m trainer evaluate "$MODEL" --data "$WORK/dataset_native" --out "$WORK/eval" \
    --update-card --colour-baseline
run $PY -m devtools.bundled_model sample \
    --scene "$WORK/scenes/2_Ortho_RGB/top_potsdam_2_13_RGB.tif" \
    --label "$WORK/scenes/5_Labels_for_participants/top_potsdam_2_13_label.tif"
