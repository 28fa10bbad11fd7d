"""ISO 3166-1 country and ISO 4217 currency codes, so canonical records carry only real codes.

The tables are embedded rather than fetched: a record must validate the same way offline,
in a test and in production. Alpha-3 country codes are kept to normalise ERP exports.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final


def _words(table: str) -> list[str]:
    return table.split()


_COUNTRY_PAIRS: Final = _words("""
AD AND AE ARE AF AFG AG ATG AI AIA AL ALB AM ARM AO AGO AQ ATA AR ARG AS ASM AT AUT AU AUS
AW ABW AX ALA AZ AZE BA BIH BB BRB BD BGD BE BEL BF BFA BG BGR BH BHR BI BDI BJ BEN BL BLM
BM BMU BN BRN BO BOL BQ BES BR BRA BS BHS BT BTN BV BVT BW BWA BY BLR BZ BLZ CA CAN CC CCK
CD COD CF CAF CG COG CH CHE CI CIV CK COK CL CHL CM CMR CN CHN CO COL CR CRI CU CUB CV CPV
CW CUW CX CXR CY CYP CZ CZE DE DEU DJ DJI DK DNK DM DMA DO DOM DZ DZA EC ECU EE EST EG EGY
EH ESH ER ERI ES ESP ET ETH FI FIN FJ FJI FK FLK FM FSM FO FRO FR FRA GA GAB GB GBR GD GRD
GE GEO GF GUF GG GGY GH GHA GI GIB GL GRL GM GMB GN GIN GP GLP GQ GNQ GR GRC GS SGS GT GTM
GU GUM GW GNB GY GUY HK HKG HM HMD HN HND HR HRV HT HTI HU HUN ID IDN IE IRL IL ISR IM IMN
IN IND IO IOT IQ IRQ IR IRN IS ISL IT ITA JE JEY JM JAM JO JOR JP JPN KE KEN KG KGZ KH KHM
KI KIR KM COM KN KNA KP PRK KR KOR KW KWT KY CYM KZ KAZ LA LAO LB LBN LC LCA LI LIE LK LKA
LR LBR LS LSO LT LTU LU LUX LV LVA LY LBY MA MAR MC MCO MD MDA ME MNE MF MAF MG MDG MH MHL
MK MKD ML MLI MM MMR MN MNG MO MAC MP MNP MQ MTQ MR MRT MS MSR MT MLT MU MUS MV MDV MW MWI
MX MEX MY MYS MZ MOZ NA NAM NC NCL NE NER NF NFK NG NGA NI NIC NL NLD NO NOR NP NPL NR NRU
NU NIU NZ NZL OM OMN PA PAN PE PER PF PYF PG PNG PH PHL PK PAK PL POL PM SPM PN PCN PR PRI
PS PSE PT PRT PW PLW PY PRY QA QAT RE REU RO ROU RS SRB RU RUS RW RWA SA SAU SB SLB SC SYC
SD SDN SE SWE SG SGP SH SHN SI SVN SJ SJM SK SVK SL SLE SM SMR SN SEN SO SOM SR SUR SS SSD
ST STP SV SLV SX SXM SY SYR SZ SWZ TC TCA TD TCD TF ATF TG TGO TH THA TJ TJK TK TKL TL TLS
TM TKM TN TUN TO TON TR TUR TT TTO TV TUV TW TWN TZ TZA UA UKR UG UGA UM UMI US USA UY URY
UZ UZB VA VAT VC VCT VE VEN VG VGB VI VIR VN VNM VU VUT WF WLF WS WSM YE YEM YT MYT ZA ZAF
ZM ZMB ZW ZWE
""")

COUNTRY_ALPHA3: Final = MappingProxyType(
    dict(zip(_COUNTRY_PAIRS[::2], _COUNTRY_PAIRS[1::2], strict=True))
)
"""ISO 3166-1 alpha-2 code to alpha-3 code, for every officially assigned country."""

COUNTRIES: Final = frozenset(COUNTRY_ALPHA3)
_ALPHA3_TO_ALPHA2: Final = {alpha3: alpha2 for alpha2, alpha3 in COUNTRY_ALPHA3.items()}

# Active ISO 4217 currencies used for trade; precious metals, bond units and test codes
# (XAU, XBA, XTS, XXX...) are left out because no invoice is ever written in them.
_CURRENCY_CODES: Final = _words("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL
""")

CURRENCIES: Final = frozenset(_CURRENCY_CODES)

_ZERO_DECIMALS: Final = frozenset(
    _words("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF")
)
_THREE_DECIMALS: Final = frozenset(_words("BHD IQD JOD KWD LYD OMR TND"))
_FOUR_DECIMALS: Final = frozenset(_words("CLF UYW"))


def minor_units(currency: str) -> int:
    """Decimal places of a currency (JPY 0, EUR 2, KWD 3), for rounding amounts correctly."""
    if currency not in CURRENCIES:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    if currency in _ZERO_DECIMALS:
        return 0
    if currency in _THREE_DECIMALS:
        return 3
    if currency in _FOUR_DECIMALS:
        return 4
    return 2


def normalise_country(value: str) -> str:
    """Turn ' de ', 'DE' or 'DEU' into 'DE'; raise ValueError for anything else."""
    code = value.strip().upper()
    if code in COUNTRIES:
        return code
    alpha2 = _ALPHA3_TO_ALPHA2.get(code)
    if alpha2 is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 country code")
    return alpha2


def normalise_currency(value: str) -> str:
    """Turn ' eur ' into 'EUR'; raise ValueError when it is not an ISO 4217 code."""
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code
