"""The suite's order: the tests that start a long run go first, those reading a notebook's run
built by another module last, and every test still runs."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import long_first


def _item(module: str, name: str, *fixtures: str) -> SimpleNamespace:
    return SimpleNamespace(module=SimpleNamespace(__name__=module), originalname=name,
                           fixturenames=("cache", *fixtures), name=f"{module}::{name}")


def test_the_first_user_of_each_shared_run_and_each_long_test_go_first_in_order():
    items = [_item("a", "quick"), _item("a", "reads_joint", "joint_run"),
             _item("a", "reads_joint_again", "joint_run"),
             _item("b", "reads_its_own_joint", "joint_run"),  # another module's fixture
             _item("b", "test_every_shipped_scenario_runs_on_the_sample"),
             _item("c", "reads_real_run", "joint_run", "real_data"),
             _item("a", "reads_the_notebooks_run", "joint_run", "quickstart_notebook"),
             _item("tests.test_notebooks", "builds_the_notebooks_run", "quickstart_notebook"),
             _item("c", "quick_too"),
             SimpleNamespace(name="doctest")]  # a doctest: no fixtures, no module
    ordered = [item.name for item in long_first(items)]
    assert ordered == ["c::reads_real_run", "a::reads_joint", "b::reads_its_own_joint",
                       "b::test_every_shipped_scenario_runs_on_the_sample", "a::quick",
                       "a::reads_joint_again", "tests.test_notebooks::builds_the_notebooks_run",
                       "c::quick_too", "doctest", "a::reads_the_notebooks_run"]
    assert sorted(ordered) == sorted(item.name for item in items)  # each test once
