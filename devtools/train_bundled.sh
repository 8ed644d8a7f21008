#!/usr/bin/env bash
# Reproduce the bundled demo model from scratch: synthetic scenes -> tiles -> training ->
# held-out evaluation -> colour baseline -> ONNX export -> model card and sample scene.
# About 45 minutes on an idle 2-core CPU. Everything intermediate goes to runs/bundled/ (git-ignored).
#
#   bash devtools/train_bundled.sh            # the whole thing
#   SKIP_TRAIN=1 bash devtools/train_bundled.sh   # reuse runs/bundled/train's checkpoint
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=runs/bundled
NAME=cse_unet_synthetic
# Phases in order, each a warm start from the one before (see each config's header).
CONFIGS=(
    trainer/configs/bundled_synthetic.toml
    trainer/configs/bundled_synthetic_phase_2.toml
)
LAST_RUN=$WORK/train_phase_2
# Scenes v2 at 3-30 cm (each GeoTIFF carries its own GSD); the copies put them all at one GSD.
SYNTH_ARGS="--out $WORK/scenes --scenes 30 --size 2000 --seed 2026 --test-fraction 0.2 --gsd-cm 3:30 --workers 2 --resampled-copy 10:$WORK/scenes_10cm --resampled-copy 20:$WORK/scenes_20cm"
mkdir -p "$WORK"
COMMANDS=$WORK/commands.txt
: > "$COMMANDS"

run() {
    echo "+ $*"
    echo "$*" | sed "s#^$PY#python#" >> "$COMMANDS"
    "$@"
}

if [[ -z "${SKIP_TRAIN:-}" ]]; then
    rm -rf "$WORK/scenes" "$WORK/scenes_10cm" "$WORK/scenes_20cm" "$WORK/dataset_10cm" \
        "$WORK/dataset_20cm" "$WORK/dataset_5cm" "$WORK"/train*
    # shellcheck disable=SC2086
    run $PY -m trainer synth $SYNTH_ARGS
    run $PY -m trainer prepare folder --src "$WORK/scenes_10cm" --out "$WORK/dataset_10cm" --tile 256
    run $PY -m trainer prepare folder --src "$WORK/scenes_20cm" --out "$WORK/dataset_20cm" --tile 256
    run $PY -m trainer prepare potsdam --src "$WORK/scenes" --out "$WORK/dataset_5cm" --split benchmark --tile 256
    seconds=()
    for config in "${CONFIGS[@]}"; do
        start=$(date -u +%s)
        run $PY -m trainer train --config "$config"
        seconds+=("$(($(date -u +%s) - start))")
    done
    (IFS=,; echo "${seconds[*]}") > "$WORK/train_seconds"
else
    # shellcheck disable=SC2086
    echo "python -m trainer synth $SYNTH_ARGS" >> "$COMMANDS"
    echo "python -m trainer prepare folder --src $WORK/scenes_10cm --out $WORK/dataset_10cm --tile 256" >> "$COMMANDS"
    echo "python -m trainer prepare folder --src $WORK/scenes_20cm --out $WORK/dataset_20cm --tile 256" >> "$COMMANDS"
    echo "python -m trainer prepare potsdam --src $WORK/scenes --out $WORK/dataset_5cm --split benchmark --tile 256" >> "$COMMANDS"
    for config in "${CONFIGS[@]}"; do
        echo "python -m trainer train --config $config" >> "$COMMANDS"
    done
    [[ -f "$WORK/dataset_5cm/manifest.json" ]] || \
        run $PY -m trainer prepare potsdam --src "$WORK/scenes" --out "$WORK/dataset_5cm" --split benchmark --tile 256
fi

run $PY -m trainer export "$LAST_RUN/checkpoints/best.pt" --out "resources/models/$NAME.onnx"
run $PY -m trainer evaluate "resources/models/$NAME.onnx" --data "$WORK/dataset_5cm" --out "$WORK/eval"
run $PY -m trainer colour-baseline --data "$WORK/dataset_5cm" --out "$WORK/colour_baseline.json"
run $PY -m devtools.bundled_model sample \
    --scene "$WORK/scenes/2_Ortho_RGB/top_potsdam_2_13_RGB.tif" \
    --label "$WORK/scenes/5_Labels_for_participants/top_potsdam_2_13_label.tif"
$PY -m devtools.bundled_model finish --onnx "resources/models/$NAME.onnx" --eval "$WORK/eval" \
    --baseline "$WORK/colour_baseline.json" "${CONFIGS[@]/#/--config=}" --synth-args "$SYNTH_ARGS" \
    --train-seconds "$(cat "$WORK/train_seconds")" --commands "$COMMANDS" --last-run "$LAST_RUN"
