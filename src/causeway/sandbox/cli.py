"""`causeway sandbox ...`: run the CRM and ERP sandboxes and generate their seed data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from causeway.sandbox.seed import SeedConfig, generate, summary

app = typer.Typer(help="Salesforce- and S/4HANA-compatible sandboxes.", no_args_is_help=True)

AccountsOption = Annotated[int, typer.Option(help="CRM accounts to seed.", min=0)]
ProductsOption = Annotated[int, typer.Option(help="Products in both catalogues.", min=0)]
SeedOption = Annotated[int, typer.Option(help="Random seed: same seed, same data.")]


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
