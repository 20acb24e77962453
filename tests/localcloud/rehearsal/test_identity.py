"""The tokens a rehearsal's jobs present: GitHub's claims for a repository, ref and environment
(GitHub's "About security hardening with OpenID Connect" lists them)."""

import base64
import json

from localcloud.rehearsal.identity import Job, token


def claims_of(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_job_in_an_environment_is_named_by_it():
    claims = claims_of(token(Job("acme/store-api", environment="dev")))
    assert claims["sub"] == "repo:acme/store-api:environment:dev"
    assert claims["iss"] == "https://token.actions.githubusercontent.com"
    assert claims["aud"] == "sts.amazonaws.com"
    assert (claims["repository"], claims["repository_owner"]) == ("acme/store-api", "acme")
    assert (claims["ref"], claims["environment"]) == ("refs/heads/main", "dev")
    assert claims["exp"] > claims["iat"]


def test_a_pull_request_and_a_branch():
    assert Job("acme/store-api", pull_request=True).subject == "repo:acme/store-api:pull_request"
    assert Job("acme/store-api").subject == "repo:acme/store-api:ref:refs/heads/main"
    assert "environment" not in Job("acme/store-api").claims()
    assert Job("acme/store-api", pull_request=True).claims()["event_name"] == "pull_request"
