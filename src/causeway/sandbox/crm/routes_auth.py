"""Login endpoints: OAuth 2.0 token (password, client credentials, JWT bearer) and SOAP login.

Error bodies follow Salesforce: OAuth answers {"error", "error_description"}, SOAP answers
a LoginFault, which is what simple-salesforce and other clients parse.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import xml.etree.ElementTree as ElementTree
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from causeway.sandbox.crm.jwt_bearer import RejectedAssertion, verify
from causeway.sandbox.crm.org import CrmOrg
from causeway.sandbox.crm.wire import check_version, instance_url, org

_PARTNER = "{urn:partner.soap.sforce.com}"
_LOGIN_HOSTS = ("https://login.salesforce.com", "https://test.salesforce.com")
_INVALID_LOGIN = "Invalid username, password, security token; or user locked out."

router = APIRouter(tags=["auth"])


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return client_id, secret


def _token_response(request: Request, crm: CrmOrg, client_id: str) -> JSONResponse:
    session = crm.sessions.issue(crm.user_id, client_id)
    issued_at = str(int(time.time() * 1000))
    identity = f"https://login.salesforce.com/id/{crm.org_id}/{crm.user_id}"
    signature = base64.b64encode(hmac.new(crm.settings.client_secret.encode(),
                                          (identity + issued_at).encode(),
                                          hashlib.sha256).digest()).decode()
    return JSONResponse({
        "access_token": session.token,
        "instance_url": instance_url(request),
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": signature,
        "scope": "api",
    })


@router.post("/services/oauth2/token")
async def token(request: Request) -> Response:
    """Issue an access token for one of the supported grant types."""
    crm = org(request)
    settings = crm.settings
    raw = parse_qs((await request.body()).decode("utf-8", "replace"))
    form: dict[str, str] = {key: values[0] for key, values in raw.items()}
    for key, values in request.query_params.multi_items():
        form.setdefault(key, values)
    grant = form.get("grant_type", "")
    basic_id, basic_secret = _basic_credentials(request)
    client_id = form.get("client_id") or basic_id
    client_secret = form.get("client_secret") or basic_secret
    if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return _jwt_bearer(request, crm, form.get("assertion", ""))
    if grant not in ("password", "client_credentials"):
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    if not _same(client_id, settings.client_id):
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if not _same(client_secret, settings.client_secret):
        return _oauth_error("invalid_client", "invalid client credentials")
    if grant == "password" and not (
        _same(form.get("username"), settings.username)
        and _same(form.get("password"), settings.password + settings.security_token)
    ):
        return _oauth_error("invalid_grant", "authentication failure")
    return _token_response(request, crm, settings.client_id)


def _jwt_bearer(request: Request, crm: CrmOrg, assertion: str) -> Response:
    settings = crm.settings
    try:
        claims = verify(assertion, settings.client_secret, settings.jwt_public_key)
    except RejectedAssertion as error:
        return _oauth_error(error.error, error.description)
    if claims.issuer != settings.client_id:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if claims.subject != settings.username:
        return _oauth_error("invalid_grant", "user hasn't approved this consumer")
    audiences = {*_LOGIN_HOSTS, instance_url(request)}
    if claims.audience.rstrip("/") not in audiences:
        return _oauth_error("invalid_grant", "audience is invalid")
    return _token_response(request, crm, settings.client_id)


@router.post("/services/oauth2/revoke")
async def revoke(request: Request) -> Response:
    """End a session, as a client logging out does."""
    raw = parse_qs((await request.body()).decode("utf-8", "replace"))
    token_value = (raw.get("token") or [request.query_params.get("token", "")])[0]
    org(request).sessions.revoke(token_value)
    return Response(status_code=200)


def _login_fault() -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: {_INVALID_LOGIN}"
        '</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">'
        "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"
        f"<sf:exceptionMessage>{_INVALID_LOGIN}</sf:exceptionMessage></sf:LoginFault>"
        "</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status_code=500, media_type="text/xml; charset=utf-8")


def _login_fields(body: bytes) -> dict[str, Any]:
    root = ElementTree.fromstring(body)  # noqa: S314 - see the import note
    found: dict[str, Any] = {}
    for name in ("username", "password"):
        element = root.find(f".//{_PARTNER}login/{_PARTNER}{name}")
        found[name] = element.text if element is not None else None
    return found


@router.post("/services/Soap/u/{version}")
async def soap_login(version: str, request: Request) -> Response:
    """The partner SOAP login(): username plus password-and-security-token."""
    check_version(version)
    crm = org(request)
    settings = crm.settings
    try:
        fields = _login_fields(await request.body())
    except ElementTree.ParseError:
        return _login_fault()
    if not (_same(fields["username"], settings.username)
            and _same(fields["password"], settings.password + settings.security_token)):
        return _login_fault()
    session = crm.sessions.issue(crm.user_id, "soap")
    base = instance_url(request)
    org15 = crm.org_id[:15]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse>'
        f"<result><metadataServerUrl>{escape(base)}/services/Soap/m/{version}/{org15}"
        "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{escape(base)}/services/Soap/u/{version}/{org15}</serverUrl>"
        f"<sessionId>{escape(session.token)}</sessionId><userId>{crm.user_id}</userId>"
        f"<userInfo><currencySymbol>€</currencySymbol><organizationId>{crm.org_id}"
        "</organizationId><organizationMultiCurrency>true</organizationMultiCurrency>"
        "<organizationName>Causeway Sandbox</organizationName><userDefaultCurrencyIsoCode>EUR"
        f"</userDefaultCurrencyIsoCode><userEmail>{escape(settings.username)}</userEmail>"
        f"<userFullName>Integration User</userFullName><userId>{crm.user_id}</userId>"
        f"<userName>{escape(settings.username)}</userName><userTimeZone>GMT</userTimeZone>"
        "</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, media_type="text/xml; charset=utf-8")
