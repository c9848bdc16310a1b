"""Every setting of ``service/config.py`` is in the README's configuration table (issue 25)."""

from pathlib import Path

from service.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    table = "\n".join(line for line in README.splitlines() if line.startswith("| `LEDGER_"))
    names = {f"LEDGER_{name.upper()}" for name in Settings.model_fields}
    assert {name for name in names if f"`{name}`" not in table} == set()
    assert "`LEDGER_PUBLIC_KEY`" in table  # the CLI's own
