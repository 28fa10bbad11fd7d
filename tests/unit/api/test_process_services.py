"""`causeway api serve` builds the process services from the project's systems."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from causeway.api.process_services import ProcessOptions, build_process_services
from causeway.cli import app
from causeway.project import load_project

from .process_fakes import store_engine

ERP = "  s4hana: {type: s4hana, base_url: 'http://127.0.0.1:9', username: U, password: P}\n"
CRM = ("  salesforce: {type: salesforce, login_url: 'https://127.0.0.1:9', client_id: c,"
       " client_secret: s}\n")


def project(tmp_path: Path, systems: str) -> Path:
    path = tmp_path / "causeway.yaml"
    path.write_text("systems:\n" + (systems or "  {}\n"), encoding="utf-8")
    return path


def test_with_an_erp_and_a_crm_every_process_api_is_built_over_one_erp_guard(
    tmp_path: Path,
) -> None:
    engine = store_engine(tmp_path)
    services = build_process_services(
        load_project(project(tmp_path, ERP + CRM)), engine, ProcessOptions()
    )

    assert services.pricing is not None
    assert services.quote_validator is not None
    assert services.accounts is not None
    assert services.accounts.crm_backend is not None
    assert services.pricing.erp is services.quote_validator.erp is services.accounts.erp
    asyncio.run(services.aclose())
    engine.dispose()


def test_without_a_crm_account_360_reads_the_erp_only(tmp_path: Path) -> None:
    engine = store_engine(tmp_path)
    services = build_process_services(
        load_project(project(tmp_path, ERP)), engine,
        ProcessOptions(quote_validation=False),
    )

    assert services.quote_validator is None
    assert services.accounts is not None
    assert services.accounts.crm_backend is None
    asyncio.run(services.aclose())
    engine.dispose()


def test_without_an_erp_no_process_api_is_built(tmp_path: Path) -> None:
    engine = store_engine(tmp_path)
    services = build_process_services(
        load_project(project(tmp_path, CRM)), engine, ProcessOptions()
    )

    assert (services.pricing, services.quote_validator, services.accounts) == (None, None, None)
    engine.dispose()


def test_serve_offers_the_process_api_options() -> None:
    result = CliRunner().invoke(app, ["api", "serve", "--help"], env={"COLUMNS": "200"})

    for option in ("--erp-system", "--crm-system", "--crm-timeout", "--no-quote-validation",
                   "--price-tolerance-percent", "--price-tolerance-amount", "--no-accounts",
                   "--account-scan-cap"):
        assert option in result.output, option
