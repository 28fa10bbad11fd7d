"""Deterministic seed data for both sandboxes, with customers both systems know, spelled apart.

The same configuration always yields the same universe, so tests, benchmarks and the demo
are repeatable. A share of ERP customers are the CRM's accounts as a second clerk typed them
(other legal suffix, case, abbreviations, phone format), which is what initial matching faces.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

from faker import Faker
from pydantic import BaseModel, Field

# (Faker locale, ISO country, currency, payment terms typical there)
_MARKETS = (
    ("en_US", "US", "USD", "NT30"),
    ("en_US", "US", "USD", "NT45"),
    ("de_DE", "DE", "EUR", "NT30"),
    ("fr_FR", "FR", "EUR", "NT60"),
    ("en_GB", "GB", "GBP", "NT30"),
    ("nl_NL", "NL", "EUR", "NT14"),
    ("it_IT", "IT", "EUR", "NT60"),
    ("es_ES", "ES", "EUR", "NT30"),
)
_INDUSTRIES = (
    "Manufacturing",
    "Retail",
    "Technology",
    "Healthcare",
    "Energy",
    "Construction",
    "Transportation",
    "Food & Beverage",
    "Chemicals",
    "Electronics",
    "Machinery",
    "Utilities",
)
_FAMILIES = {
    "Pumps": ("Centrifugal Pump", "Diaphragm Pump", "Gear Pump", "Booster Pump"),
    "Valves": ("Ball Valve", "Gate Valve", "Check Valve", "Butterfly Valve"),
    "Motors": ("Servo Motor", "Stepper Motor", "AC Motor", "Gear Motor"),
    "Sensors": ("Pressure Sensor", "Flow Meter", "Temperature Probe", "Level Sensor"),
    "Services": ("Installation Service", "Maintenance Plan", "Calibration Service"),
    "Spare Parts": ("Seal Kit", "Impeller", "Bearing Set", "Coupling"),
}
_VARIANTS = ("", " Pro", " XL", " Compact", " HD", " Plus", " Mini")
_PLANTS = ("1010", "1710", "2010")
_SUFFIX_SPELLINGS = {
    "Inc": ("Inc.", "Incorporated", "INC"),
    "LLC": ("L.L.C.", "LLC."),
    "Ltd": ("Limited", "Ltd."),
    "PLC": ("P.L.C.", "plc"),
    "GmbH": ("G.m.b.H.", "Gesellschaft mbH"),
    "AG": ("Aktiengesellschaft", "A.G."),
    "SA": ("S.A.",),
    "SARL": ("S.A.R.L.", "Sàrl"),
    "S.p.A.": ("SpA", "S.P.A."),
    "B.V.": ("BV", "B V"),
    "Group": ("Grp.", "Grp"),
    "and": ("&",),
}
_STREET_SPELLINGS = (
    (r"\bStreet\b", "St."),
    (r"\bAvenue\b", "Ave"),
    (r"\bRoad\b", "Rd."),
    (r"straße\b", "str."),
    (r"\bStraße\b", "Str."),
    (r"\bRue\b", "R."),
    (r"\bDrive\b", "Dr."),
    (r"\bLane\b", "Ln"),
)


class SeedAddress(BaseModel):
    """A postal address; country is ISO 3166 alpha-2."""

    street: str
    city: str
    postal_code: str
    region: str
    country: str


class SeedCompany(BaseModel):
    """A company as one system records it; `key` names the real-world company."""

    key: str
    name: str
    address: SeedAddress
    phone: str
    website: str
    industry: str
    currency: str
    tax_id: str
    credit_limit: Decimal
    annual_revenue: Decimal
    payment_terms: str


class SeedContact(BaseModel):
    """A person at a CRM account."""

    key: str
    company_key: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str


class SeedProduct(BaseModel):
    """A catalogue item both systems carry, with stock per plant for the ERP."""

    sku: str
    name: str
    description: str
    family: str
    uom: str
    list_price: Decimal
    currency: str
    weight_kg: Decimal
    plants_stock: dict[str, int]


class SeedConfig(BaseModel):
    """How much to generate; the same config always gives the same universe."""

    accounts: int = Field(200, ge=0, le=1_000_000)
    products: int = Field(50, ge=0, le=1_000_000)
    contacts_per_account: int = Field(2, ge=0, le=50)
    erp_customers: int | None = Field(None, ge=0, le=1_000_000)
    overlap: float = Field(0.6, ge=0, le=1)
    seed: int = 42


class SeedUniverse(BaseModel):
    """What the CRM and the ERP hold before the first sync."""

    config: SeedConfig
    crm_accounts: list[SeedCompany]
    crm_contacts: list[SeedContact]
    erp_customers: list[SeedCompany]
    products: list[SeedProduct]

    def pairs(self) -> list[tuple[str, str]]:
        """Known matches (CRM key, ERP key): the same real-world company on both sides."""
        crm_keys = {company.key for company in self.crm_accounts}
        return [(c.key, c.key) for c in self.erp_customers if c.key in crm_keys]


def _company(fakers: dict[str, Faker], rng: random.Random, key: str) -> SeedCompany:
    locale, country, currency, terms = rng.choice(_MARKETS)
    fake = fakers[locale]
    name = fake.company()
    region = ""
    if country == "US":
        region = fake.state_abbr(include_territories=False)
    host = re.sub(r"[^a-z0-9]+", "", name.lower())[:24] or "company"
    revenue = Decimal(rng.randrange(200, 500_000)) * 1000
    return SeedCompany(
        key=key,
        name=name,
        address=SeedAddress(
            street=fake.street_address(),
            city=fake.city(),
            postal_code=fake.postcode(),
            region=region,
            country=country,
        ),
        phone=fake.phone_number(),
        website=f"https://www.{host}.example",
        industry=rng.choice(_INDUSTRIES),
        currency=currency,
        tax_id=f"{country}{rng.randrange(10**8, 10**9)}",
        credit_limit=Decimal(rng.choice((10, 25, 50, 100, 250, 500, 1000))) * 1000,
        annual_revenue=revenue,
        payment_terms=terms,
    )


def respell_name(name: str, rng: random.Random) -> str:
    """The same company name as another clerk would type it."""
    words = name.replace(",", "").split()
    changed = [rng.choice(_SUFFIX_SPELLINGS[w]) if w in _SUFFIX_SPELLINGS else w for w in words]
    text = " ".join(changed)
    style = rng.random()
    if style < 0.25:
        text = text.upper()
    elif style < 0.35:
        text = text.lower()
    elif style < 0.5 and "-" in text:
        text = text.replace("-", " ")
    if text == name:
        text = name.upper() if name.upper() != name else name.title()
    return text


def respell_street(street: str) -> str:
    """The same street with the abbreviations an ERP clerk uses."""
    for pattern, short in _STREET_SPELLINGS:
        street = re.sub(pattern, short, street)
    return street


def typo(text: str, rng: random.Random) -> str:
    """One slip of the keyboard: two neighbouring letters swapped."""
    positions = [i for i in range(len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _erp_view(company: SeedCompany, rng: random.Random) -> SeedCompany:
    # What a second clerk does to the same company: other spellings always, and now and
    # then a typo, no phone number, or no postal code.
    digits = re.sub(r"\D", "", company.phone)
    phone = f"+{digits}" if digits else company.phone
    name = respell_name(company.name, rng)
    if rng.random() < 0.1:
        name = typo(name, rng)
    if rng.random() < 0.2:
        phone = ""
    address = company.address.model_copy(
        update={
            "street": respell_street(company.address.street),
            "postal_code": "" if rng.random() < 0.1 else company.address.postal_code,
        }
    )
    return company.model_copy(update={"name": name, "address": address, "phone": phone})


def _product(rng: random.Random, index: int, currency: str) -> SeedProduct:
    family = rng.choice(sorted(_FAMILIES))
    base = rng.choice(_FAMILIES[family])
    size = rng.choice((25, 40, 50, 65, 80, 100, 125, 150))
    name = f"{base} {size}{rng.choice(_VARIANTS)}"
    services = family == "Services"
    return SeedProduct(
        sku=f"MAT-{index:06d}",
        name=name,
        description=f"{name}, {family.lower()} line, size {size}",
        family=family,
        uom="EA" if services else rng.choice(("EA", "EA", "PC", "KG")),
        list_price=Decimal(rng.randrange(500, 2_500_000)) / 100,
        currency=currency,
        weight_kg=Decimal(0) if services else Decimal(rng.randrange(1, 50_000)) / 100,
        plants_stock={plant: (10**6 if services else rng.randrange(0, 2_000)) for plant in _PLANTS},
    )


def generate(config: SeedConfig) -> SeedUniverse:
    """Generate the universe for `config`; deterministic for a given seed."""
    rng = random.Random(config.seed)
    fakers: dict[str, Faker] = {}
    for locale in {market[0] for market in _MARKETS}:
        fake = Faker(locale)
        fake.seed_instance(config.seed)
        fakers[locale] = fake
    crm = [_company(fakers, rng, f"C{index:07d}") for index in range(1, config.accounts + 1)]
    erp_total = config.accounts if config.erp_customers is None else config.erp_customers
    shared = min(round(erp_total * config.overlap), len(crm))
    erp = [_erp_view(company, rng) for company in rng.sample(crm, shared)]
    erp += [_company(fakers, rng, f"E{index:07d}") for index in range(1, erp_total - shared + 1)]
    rng.shuffle(erp)
    contacts = _contacts(fakers, rng, crm, config.contacts_per_account)
    products = [_product(rng, index, "USD") for index in range(1, config.products + 1)]
    return SeedUniverse(
        config=config,
        crm_accounts=crm,
        crm_contacts=contacts,
        erp_customers=erp,
        products=products,
    )


def _contacts(
    fakers: dict[str, Faker], rng: random.Random, companies: list[SeedCompany], per_company: int
) -> list[SeedContact]:
    fake = fakers["en_US"]
    titles = ("Purchasing Manager", "CFO", "Head of Operations", "Buyer", "Plant Manager")
    # Faker's weighted name draws dominate generation time; a drawn pool keeps the
    # realistic distribution at a fraction of the cost.
    pool = min(len(companies) * per_company, 1000)
    firsts = [fake.first_name() for _ in range(pool)]
    lasts = [fake.last_name() for _ in range(pool)]
    contacts: list[SeedContact] = []
    for company in companies:
        domain = company.website.removeprefix("https://www.")
        for number in range(1, per_company + 1):
            first, last = rng.choice(firsts), rng.choice(lasts)
            local = re.sub(r"[^a-z]", "", f"{first}.{last}".lower().replace(".", "_"))
            contacts.append(
                SeedContact(
                    key=f"{company.key}-P{number}",
                    company_key=company.key,
                    first_name=first,
                    last_name=last,
                    email=f"{local}{number}@{domain}",
                    phone=f"+1 {rng.randrange(200, 999)} 555 {rng.randrange(1000, 9999)}",
                    title=rng.choice(titles),
                )
            )
    return contacts


def summary(universe: SeedUniverse) -> dict[str, Any]:
    """Counts for the command line."""
    return {
        "crm_accounts": len(universe.crm_accounts),
        "crm_contacts": len(universe.crm_contacts),
        "erp_customers": len(universe.erp_customers),
        "shared_customers": len(universe.pairs()),
        "products": len(universe.products),
    }
