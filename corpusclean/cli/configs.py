"""``corpusclean config``: the configs shipped inside the package (``@gopher``, ``@minimal`` …).

Anywhere a command takes a config file, ``@NAME`` names a built-in one
(``corpusclean/configs/NAME.yaml`` in the installed package), so ``corpusclean run @gopher``
works from any folder after ``pip install``. ``corpusclean config list`` names them,
``config show NAME`` prints one, ``config copy NAME FILE`` writes it out to edit.
"""

from __future__ import annotations

from pathlib import Path

import click

from corpusclean.config import PACKAGE_DIR
from corpusclean.errors import ConfigError
from corpusclean.io.files import atomic_write_text

CONFIG_DIR = PACKAGE_DIR / "configs"


def builtin_names() -> list[str]:
    """Names of the shipped configs, sorted."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def builtin_path(name: str) -> Path:
    """The file of built-in config ``name`` (a leading ``@`` is allowed); :class:`ConfigError` if none."""
    name = name.removeprefix("@").removesuffix(".yaml")
    path = CONFIG_DIR / f"{name}.yaml"
    if not name or "/" in name or not path.is_file():
        raise ConfigError(f"@{name}: no built-in config of that name; built-in configs: "
                          + ", ".join(f"@{n}" for n in builtin_names()))
    return path


def resolve_config(arg: str) -> str:
    """A command's CONFIG argument as a file path: ``@NAME`` is a built-in config, else a path."""
    return str(builtin_path(arg)) if arg.startswith("@") else arg


def _first_line(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


@click.group("config")
def command() -> None:
    """Built-in configs: list, show, copy (use one with `corpusclean run @NAME`)."""


@command.command("list")
def list_() -> None:
    """Name each built-in config with its first comment line."""
    for name in builtin_names():
        click.echo(f"@{name:<20} {_first_line(CONFIG_DIR / f'{name}.yaml')}")


@command.command("show")
@click.argument("name")
def show(name: str) -> None:
    """Print built-in config NAME (gopher or @gopher)."""
    click.echo(builtin_path(name).read_text(encoding="utf-8"), nl=False)


@command.command("copy")
@click.argument("name")
@click.argument("dest", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def copy(name: str, dest: str, force: bool) -> None:
    """Write built-in config NAME to DEST, to edit and run (`corpusclean run DEST`)."""
    src = builtin_path(name)
    if Path(dest).exists() and not force:
        raise ConfigError(f"{dest}: exists; choose another name or add --force")
    atomic_write_text(dest, src.read_text(encoding="utf-8"))
    click.echo(f"wrote {dest} (from @{src.stem})")
