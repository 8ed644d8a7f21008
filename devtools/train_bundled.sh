#!/usr/bin/env bash
# Reproduce the bundled model from scratch: synthetic scenes v2 -> tiles (train, validation
# carved from the training scenes, test) -> training (the epoch chosen on validation) -> ONNX
# export with its card -> the test split scored beside the colour k-NN baseline, written into
# the model's metadata and card -> the sample scene. Everything the card says comes from
# these runs; intermediate files go to runs/bundled/ (git-ignored).
# About eleven hours on a 2-core CPU.
#
#   bash devtools/train_bundled.sh                  # the whole thing
#   SKIP_TRAIN=1 bash devtools/train_bundled.sh     # reuse runs/bundled's checkpoint
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=runs/bundled
MODEL=resources/models/cse_unet_synthetic.onnx
# The training phases in order, each after the first a warm start from the one before: see
# the configs.
CONFIGS=(bundled_synthetic bundled_synthetic_phase_2 bundled_synthetic_phase_3 \
    bundled_synthetic_phase_4 bundled_synthetic_phase_5 bundled_synthetic_phase_6 \
    bundled_synthetic_phase_7 bundled_synthetic_phase_8 bundled_synthetic_phase_9 \
    bundled_synthetic_phase_10 bundled_synthetic_phase_11 bundled_synthetic_phase_12 \
    bundled_synthetic_phase_13 bundled_synthetic_phase_14)

# The synthetic scene sets, one per phase: "folder scenes size seed test-fraction". Scenes v2
# at 3-20 cm (each GeoTIFF carries its own GSD): 24 large training scenes and 6 test scenes
# (the benchmark split's tile ids) for phase 1, 94 smaller training scenes of other seeds for
# each of phases 2-4, 144 for phase 5, 194 for each of phases 6-14; the resampled copies
# (<folder>_20cm, tiled into dataset<suffix>_20cm) put them all at the model's 20 cm.
SCENE_SETS=(
    "scenes 30 2000 2026 0.2"
    "scenes_b 100 1000 2027 0.06"
    "scenes_c 100 1000 2028 0.06"
    "scenes_d 100 1000 2029 0.06"
    "scenes_e 150 1000 2030 0.04"
    "scenes_f 200 1000 2031 0.03"
    "scenes_g 200 1000 2032 0.03"
    "scenes_h 200 1000 2033 0.03"
    "scenes_i 200 1000 2034 0.03"
    "scenes_j 200 1000 2035 0.03"
    "scenes_k 200 1000 2036 0.03"
    "scenes_l 200 1000 2037 0.03"
    "scenes_m 200 1000 2038 0.03"
    "scenes_n 200 1000 2039 0.03"
)

run() {
    echo "+ $*"
    "$@"
}

if [[ -z "${SKIP_TRAIN:-}" ]]; then
    rm -rf "$WORK"/scenes* "$WORK"/dataset* "$WORK"/bundled_synthetic*
    for set in "${SCENE_SETS[@]}"; do
        read -r folder scenes size seed test_fraction <<< "$set"
        run $PY -m trainer synth --out "$WORK/$folder" --scenes "$scenes" --size "$size" \
            --seed "$seed" --test-fraction "$test_fraction" --gsd-cm 3:20 --workers 2 \
            --resampled-copy "20:$WORK/${folder}_20cm"
        run $PY -m trainer prepare folder --src "$WORK/${folder}_20cm" \
            --out "$WORK/dataset${folder#scenes}_20cm" --tile 256 --validation-seed 0
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
choices=()
for config in "${CONFIGS[@]}"; do
    choices+=(--checkpoint "$WORK/$config/checkpoints/best.pt")
done
for set in "${SCENE_SETS[@]}"; do
    read -r folder _ <<< "$set"
    choices+=(--data "$WORK/dataset${folder#scenes}_20cm")
done
BEST=$($PY -m devtools.bundled_model choose "${choices[@]}")
# 512 px tiles in the graph (Deepness reads the tile size from it): more context per tile.
run $PY -m trainer export "$BEST" --out "$MODEL" --tile-size 512 --card
run $PY -m trainer evaluate "$MODEL" --data "$WORK/dataset_native" --out "$WORK/eval" \
    --update-card --colour-baseline
run $PY -m devtools.bundled_model sample \
    --scene "$WORK/scenes/2_Ortho_RGB/top_potsdam_2_13_RGB.tif" \
    --label "$WORK/scenes/5_Labels_for_participants/top_potsdam_2_13_label.tif"
