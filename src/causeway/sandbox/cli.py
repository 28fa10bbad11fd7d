"""`causeway sandbox ...`: run the CRM and ERP sandboxes and generate their seed data."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.seed import SeedConfig, SeedUniverse, generate, summary
from causeway.sandbox.server import RunningServer

app = typer.Typer(help="Salesforce- and S/4HANA-compatible sandboxes.", no_args_is_help=True)
console = Console()

AccountsOption = Annotated[int, typer.Option(help="CRM accounts to seed.", min=0)]
ProductsOption = Annotated[int, typer.Option(help="Products in both catalogues.", min=0)]
SeedOption = Annotated[int, typer.Option(help="Random seed: same seed, same data.")]
HostOption = Annotated[str, typer.Option(help="Interface to listen on.")]
FaultsOption = Annotated[
    Path | None, typer.Option(help="JSON fault plan to start with.", exists=True, dir_okay=False)
]
StateOption = Annotated[Path, typer.Option(help="Folder for certificates and state files.")]
DatabaseOption = Annotated[
    str, typer.Option(help="SQLite file for the sandbox state, or :memory:.")
]


def _universe(accounts: int, products: int, seed: int) -> SeedUniverse:
    return generate(SeedConfig(accounts=accounts, products=products, seed=seed))


def _plan(path: Path | None) -> FaultPlan | None:
    if path is None:
        return None
    try:
        return FaultPlan.model_validate_json(path.read_text())
    except ValidationError as error:
        raise typer.BadParameter(f"{path}: {error}", param_hint="--faults") from error


def _serve_until_interrupted(
    rows: list[tuple[str, str, str]], servers: list[RunningServer]
) -> None:
    table = Table(title="Causeway sandboxes", show_lines=False)
    for column in ("sandbox", "what", "value"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print("Press Ctrl+C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        for server in servers:
            server.stop()


@app.command("seed")
def seed_command(
    accounts: AccountsOption = 200,
    products: ProductsOption = 50,
    erp_customers: Annotated[
        int | None, typer.Option(help="ERP customers (default: as many as accounts).", min=0)
    ] = None,
    overlap: Annotated[
        float, typer.Option(help="Share of ERP customers the CRM also knows.", min=0, max=1)
    ] = 0.6,
    seed: SeedOption = 42,
    output: Annotated[Path | None, typer.Option(help="Write the universe as JSON here.")] = None,
) -> None:
    """Generate the deterministic seed data and print what it holds."""
    config = SeedConfig(
        accounts=accounts,
        products=products,
        erp_customers=erp_customers,
        overlap=overlap,
        seed=seed,
    )
    universe = generate(config)
    if output is not None:
        output.write_text(universe.model_dump_json(indent=1))
    typer.echo(json.dumps(summary(universe), indent=2))


@app.command("crm")
def crm_command(
    accounts: AccountsOption = 200,
    products: ProductsOption = 50,
    seed: SeedOption = 42,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTPS port.")] = 8443,
    database: DatabaseOption = ":memory:",
    faults: FaultsOption = None,
    state_dir: StateOption = Path("var/sandbox"),
) -> None:
    """Run the Salesforce-compatible CRM sandbox over HTTPS."""
    from causeway.sandbox.launch import RunningSandboxes, start_crm

    server, settings, tls = start_crm(
        _universe(accounts, products, seed), state_dir, host, port, database, _plan(faults)
    )
    running = RunningSandboxes(crm=server, crm_settings=settings, tls=tls)
    _serve_until_interrupted(running.describe(), [server])


@app.command("erp")
def erp_command(
    accounts: AccountsOption = 200,
    products: ProductsOption = 50,
    seed: SeedOption = 42,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8080,
    database: DatabaseOption = ":memory:",
    faults: FaultsOption = None,
    clock_speed: Annotated[
        float, typer.Option(help="Simulated business minutes per real second.", min=0)
    ] = 1.0,
) -> None:
    """Run the S/4HANA-compatible ERP sandbox."""
    from causeway.sandbox.launch import RunningSandboxes, start_erp

    server, settings = start_erp(
        _universe(accounts, products, seed), host, port, database, _plan(faults), clock_speed
    )
    running = RunningSandboxes(erp=server, erp_settings=settings)
    _serve_until_interrupted(running.describe(), [server])


@app.command("up")
def up_command(
    accounts: AccountsOption = 200,
    products: ProductsOption = 50,
    seed: SeedOption = 42,
    crm_port: Annotated[int, typer.Option(help="CRM HTTPS port.")] = 8443,
    erp_port: Annotated[int, typer.Option(help="ERP HTTP port.")] = 8080,
    faults: FaultsOption = None,
    state_dir: StateOption = Path("var/sandbox"),
) -> None:
    """Run both sandboxes on loopback, seeded from the same universe."""
    from causeway.sandbox.launch import start_both

    running = start_both(
        _universe(accounts, products, seed), state_dir, crm_port, erp_port, _plan(faults)
    )
    _serve_until_interrupted(running.describe(), list(running.servers))
