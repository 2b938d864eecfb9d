"""What ``geo-patrol inspect`` shows (:mod:`geo_patrol.outputs.inspect_report`) for the tiny town."""

from __future__ import annotations

from geo_patrol.cli import main
from geo_patrol.outputs.inspect_report import inputs_report, network_report


def test_the_inputs_and_the_network_of_the_tiny_town(tiny):
    inputs = "\n".join(inputs_report(tiny))
    assert "Schools: 3" in inputs and "城关派出所" in inputs and "Stations: " in inputs
    network = "\n".join(network_report(tiny))
    # 25 junctions and a node cut into each of the 40 blocks of 192–222 m (max_arc_m 120)
    assert "drive network (largest strongly connected component): 65 nodes" in network
    assert "datum check: " in network and "Schools unreachable from every station: none" in network


def test_inspect_prints_both_parts(tiny_dir, capsys):
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 0
    out = capsys.readouterr().out
    assert out.index("Schools: 3") < out.index("Road network: ") and out.endswith("min)\n")
