"""Training across nodes: the README's ``torchrun --nnodes 2 --rdzv-backend c10d`` recipe,
with two launchers on this machine standing for two nodes (gloo on the CPU).

Each "node" runs in a folder of its own with a relative run folder, as nodes with their own
disks: only the node that holds rank 0 writes. Then the run folder is shared (a symlink, as a
cluster's shared file system), and both nodes resume it for a second epoch.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _two_nodes(nodes: list[Path], config: Path, *extra: str) -> None:
    """One torchrun launcher per node, one process each, meeting at node 0's c10d store."""
    endpoint = f"127.0.0.1:{_free_port()}"
    job = uuid.uuid4().hex[:8]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
               "--nproc-per-node", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint,
               "--rdzv-id", job, "--max-restarts", "0"]  # fmt: skip
    trainer = ["-m", "trainer", "train", "--config", str(config), *extra]
    logs = [node.parent / f"{node.name}.log" for node in nodes]
    launchers = []
    for k, (node, log) in enumerate(zip(nodes, logs)):
        with log.open("w") as sink:  # files, not pipes: a full pipe would stall a launcher
            launchers.append(subprocess.Popen(
                [*command, "--rdzv-conf", f"is_host={int(k == 0)}", *trainer],
                cwd=node, env=env, stdout=sink, stderr=subprocess.STDOUT,
            ))  # fmt: skip
    for launcher, log in zip(launchers, logs):
        assert launcher.wait(timeout=300) == 0, log.read_text()[-4000:]


def test_two_nodes_train_with_rank_zero_writing_and_resume(
    potsdam_prepared, tmp_path, kit, torchrun_can_rendezvous
):
    config = kit.tiny_config(
        potsdam_prepared, "run",  # relative: each node's own folder
        data={"max_train_tiles": 8, "validation_batch_size": 4},
        optim={"schedule": "constant"}, train={"epochs": 1, "plot_samples": 1},
    )  # fmt: skip
    (tmp_path / "two_nodes.toml").write_text(kit.to_toml(config))
    nodes = [tmp_path / "node0", tmp_path / "node1"]
    for node in nodes:
        node.mkdir()
    _two_nodes(nodes, tmp_path / "two_nodes.toml")

    written = [node for node in nodes if (node / "run").exists()]
    assert len(written) == 1, "exactly one node (the one with rank 0) writes"
    run = written[0] / "run"
    first = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert (first["epoch"], first["step"]) == (1, 1)  # 8 tiles / (4 x 2 ranks) / accumulate 2
    labels = np.load(potsdam_prepared / "validation_labels.npy")
    assert int(first["validation_confusion"].sum()) == int((labels != 255).sum())

    # Shared storage from here on: every node resumes from the same checkpoint.
    other = next(node for node in nodes if node not in written)
    (other / "run").symlink_to(run, target_is_directory=True)
    _two_nodes(nodes, tmp_path / "two_nodes.toml", "--resume", "--set", "train.epochs=2")
    resumed = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert (resumed["epoch"], resumed["step"]) == (2, 2)
    assert [h["epoch"] for h in resumed["history"]] == [1, 2]
    assert resumed["history"][0] == first["history"][0]  # epoch 1 kept, not retrained
    assert len((run / "metrics.csv").read_text().splitlines()) == 3
    assert any(not torch.equal(v, first["model"][k]) for k, v in resumed["model"].items())
    assert not list(run.rglob("*.part")) and sorted(p.name for p in other.iterdir()) == ["run"]
