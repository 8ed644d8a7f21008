#!/usr/bin/env bash
# Reproduce the bundled demo model from scratch: synthetic scenes -> tiles (train, validation
# carved from the training scenes, test) -> two training phases (epochs chosen on validation)
# -> ONNX export with its card -> the test split scored beside the colour k-NN baseline,
# written into the model's metadata and card -> the sample scene. Everything the card says
# comes from these runs; intermediate files go to runs/bundled/ (git-ignored).
# About 45 minutes on an idle 2-core CPU.
#
#   bash devtools/train_bundled.sh                  # the whole thing
#   SKIP_TRAIN=1 bash devtools/train_bundled.sh     # reuse runs/bundled's last checkpoint
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=runs/bundled
MODEL=resources/models/cse_unet_synthetic.onnx
# Phases in order, each a warm start from the one before (see each config's header); their
# data.dir and run.out_dir point into $WORK.
CONFIGS=(
    bundled_synthetic
    bundled_synthetic_phase_2
)
LAST_RUN=$WORK/bundled_synthetic_phase_2

run() {
    echo "+ $*"
    "$@"
}

if [[ -z "${SKIP_TRAIN:-}" ]]; then
    rm -rf "$WORK/scenes" "$WORK/scenes_10cm" "$WORK/scenes_20cm" "$WORK/dataset_10cm" \
        "$WORK/dataset_20cm" "$WORK/dataset_5cm" "$WORK"/bundled_synthetic*
    # Scenes v2 at 3-30 cm (each GeoTIFF carries its own GSD); the copies put them at one GSD.
    run $PY -m trainer synth --out "$WORK/scenes" --scenes 30 --size 2000 --seed 2026 \
        --test-fraction 0.2 --gsd-cm 3:30 --workers 2 --resampled-copy "10:$WORK/scenes_10cm" \
        --resampled-copy "20:$WORK/scenes_20cm"
    # The same validation seed and fraction carve the same training scenes off in both copies.
    for cm in 10 20; do
        run $PY -m trainer prepare folder --src "$WORK/scenes_${cm}cm" \
            --out "$WORK/dataset_${cm}cm" --tile 256 --validation-seed 0
    done
    for config in "${CONFIGS[@]}"; do
        run $PY -m trainer train --config "$config"
    done
fi
# The test scenes at their native GSD (3-30 cm), eroded labels (the benchmark protocol).
[[ -f "$WORK/dataset_5cm/manifest.json" ]] || \
    run $PY -m trainer prepare potsdam --src "$WORK/scenes" --out "$WORK/dataset_5cm" \
        --split benchmark --tile 256

run $PY -m trainer export "$LAST_RUN/checkpoints/best.pt" --out "$MODEL" --card
run $PY -m trainer evaluate "$MODEL" --data "$WORK/dataset_5cm" --out "$WORK/eval" \
    --update-card --colour-baseline
run $PY -m devtools.bundled_model sample \
    --scene "$WORK/scenes/2_Ortho_RGB/top_potsdam_2_13_RGB.tif" \
    --label "$WORK/scenes/5_Labels_for_participants/top_potsdam_2_13_label.tif"
