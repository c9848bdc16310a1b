"""The compiled plans' memo keeps what is used and stays bounded (issue 21)."""

from service.sales.pricing.generation import AgedMemo, Generation


def test_a_hot_entry_survives_every_turn_and_the_memo_stays_bounded() -> None:
    memo = AgedMemo(limit=10)
    drops: list[int] = []
    memo.on_drop.append(lambda: drops.append(len(memo)))
    memo.put("hot", "plan")
    for n in range(100):
        memo.put(n, n)
        assert memo.get("hot") == "plan"  # a look-up moves it back to the young half
        assert len(memo) <= 10
    assert memo.get(0) is None  # cold entries were dropped
    assert memo.get(99) == 99
    assert drops  # every turn was announced


def test_dropping_compiled_plans_empties_the_day_look_ups() -> None:
    generation = Generation(token=None)
    generation.memo_plans["day"] = "plan"
    for n in range(generation.memo_compiled.half + 1):
        generation.memo_compiled.put(n, n)
    assert "day" not in generation.memo_plans
