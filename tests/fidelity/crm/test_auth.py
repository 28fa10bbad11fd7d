"""Logins simple-salesforce performs, against the sandbox over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from causeway.sandbox.crm.app import CrmSettings
from tests.fidelity.crm.conftest import VERSION, Sandbox


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def test_client_credentials_through_simple_salesforce(sandbox: Sandbox) -> None:
    settings = sandbox.crm.settings
    sf = Salesforce(consumer_key=settings.client_id, consumer_secret=settings.client_secret,
                    domain="causeway.my", session=sandbox.session(), version=VERSION)
    assert sf.sf_instance == sandbox.url.removeprefix("https://")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 12


def test_session_id_from_an_oauth_call(sandbox: Sandbox) -> None:
    sf = Salesforce(instance_url=sandbox.url, session_id=sandbox.token(),
                    session=sandbox.session(), version=VERSION)
    assert sf.query("SELECT Id FROM User")["records"][0]["Id"].startswith("005")


def test_wrong_client_secret_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(consumer_key=sandbox.crm.settings.client_id, consumer_secret="wrong",
                   domain="causeway.my", session=sandbox.session(), version=VERSION)
    assert refused.value.code == "invalid_client"


def test_password_grant_with_consumer_key(sandbox: Sandbox) -> None:
    s = sandbox.crm.settings
    sf = Salesforce(username=s.username, password=s.password, consumer_key=s.client_id,
                    consumer_secret=s.client_secret, session=sandbox.session(), version=VERSION)
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 12


def test_jwt_bearer_with_the_registered_key(start_sandbox: Callable[..., Sandbox]) -> None:
    private, public = _rsa_pair()
    sandbox = start_sandbox(CrmSettings(jwt_public_key=public))
    s = sandbox.crm.settings
    sf = Salesforce(username=s.username, consumer_key=s.client_id, privatekey=private,
                    session=sandbox.session(), version=VERSION)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    other, _ = _rsa_pair()
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(username=s.username, consumer_key=s.client_id, privatekey=other,
                   session=sandbox.session(), version=VERSION)
    assert refused.value.code == "invalid_grant"


def test_jwt_bearer_needs_the_right_issuer(start_sandbox: Callable[..., Sandbox]) -> None:
    private, public = _rsa_pair()
    sandbox = start_sandbox(CrmSettings(jwt_public_key=public))
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(username=sandbox.crm.settings.username, consumer_key="someone-else",
                   privatekey=private, session=sandbox.session(), version=VERSION)
    assert refused.value.code == "invalid_client_id"


def test_soap_login_with_security_token(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox(CrmSettings(security_token="TOKEN123"))
    s = sandbox.crm.settings
    sf = Salesforce(username=s.username, password=s.password, security_token="TOKEN123",
                    session=sandbox.session(), version=VERSION)
    assert sf.session_id.startswith("00D")
    assert sf.sf_instance == sandbox.url.removeprefix("https://")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(username=s.username, password=s.password, security_token="nope",
                   session=sandbox.session(), version=VERSION)
    assert refused.value.code == "INVALID_LOGIN"


def test_bad_token_raises_expired_session(sandbox: Sandbox) -> None:
    sf = Salesforce(instance_url=sandbox.url, session_id="00DKc0000000001!bogus",
                    session=sandbox.session(), version=VERSION)
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM Account")
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_soap_login_refreshes_an_expired_session(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox()
    s = sandbox.crm.settings
    sf = Salesforce(username=s.username, password=s.password, security_token="",
                    session=sandbox.session(), version=VERSION)
    sandbox.crm.sessions.clear()
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
