"""``rnnkit demo parallel-scan``: the printed tree is the scan's schedule, the check passes."""

from __future__ import annotations

from rnnkit.cli.main import main

TREE_8 = """\
Parallel scan: 5 levels; each marked t absorbs the block ending at t - stride, all at once
                0 1 2 3 4 5 6 7
    up s=1      . o . o . o . o   1<-0, 3<-2, 5<-4, 7<-6
    up s=2      . . . o . . . o   3<-1, 7<-5
    up s=4      . . . . . . . o   7<-3
  down s=2      . . . . . o . .   5<-3
  down s=1      . . o . o . o .   2<-1, 4<-3, 6<-5
"""


def test_prints_the_tree_the_check_and_the_times(capsys):
    args = ["demo", "parallel-scan", "--lengths", "16", "100", "--batch", "2", "--hidden", "4"]
    assert main([*args, "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "  t: 0 -> 1 -> 2 -> 3 -> 4 -> 5 -> 6 -> 7\n" in out
    assert TREE_8 in out
    assert "L=100: 100 chained steps against a tree of at most 13 levels" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(("16 ", "100 "))]
    assert [r[:2] for r in rows] == [["16", "7"], ["100", "12"]]  # L and the tree's levels


def test_a_tree_of_five_steps_and_a_bad_argument(capsys):
    assert main(["demo", "parallel-scan", "--tree-length", "5", "--lengths", "4"]) == 0
    out = capsys.readouterr().out
    assert "Parallel scan: 3 levels" in out and "  down s=1      . . o . o   2<-1, 4<-3" in out
    assert main(["demo", "parallel-scan", "--batch", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "rnnkit demo: error: --batch must be a positive integer, received 0\n"
    assert main(["demo", "parallel-scan", "--lengths", "8", "0"]) == 2
    assert capsys.readouterr().err.endswith("--lengths must be positive integers, received 0\n")
