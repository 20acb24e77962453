"""``python -m localcloud user add`` and ``token``, against the session's emulator with a local
cloud's ``ready.json`` and outputs written here (what a running local cloud leaves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from joserfc import jws

from localcloud import PROJECT_ROOT
from localcloud.tools.cli import main
from localcloud.tools.users import generate_password
from tests.localcloud.conftest import cognito, user_pool


def _claims(token: str) -> dict:
    return json.loads(jws.extract_compact(token.encode()).payload)


def _write_run(project, emulator_url, outputs: dict) -> None:
    (project / ".localcloud").mkdir(parents=True, exist_ok=True)
    (project / "cfn-outputs").mkdir(exist_ok=True)
    flat = project / "cfn-outputs" / "flat-outputs.json"
    flat.write_text(json.dumps(outputs))
    (project / ".localcloud" / "ready.json").write_text(
        json.dumps({"emulatorUrl": emulator_url, "flatOutputsFile": str(flat)})
    )


@pytest.fixture(scope="module")
def pool(emulator):
    """A pool like the stack's, with a strict password policy."""
    strict = {
        "MinimumLength": 30,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
    }
    return user_pool(
        cognito(emulator.url),
        "cli-users",
        groups=("admins",),
        Policies={"PasswordPolicy": strict},
    )


@pytest.fixture(scope="module")
def pool_users(emulator, pool):
    """Lists the users of ``pool``."""
    idp = cognito(emulator.url)
    return lambda: idp.list_users(UserPoolId=pool.id)["Users"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator, pool):
    """A project whose local cloud runs on the session emulator with ``pool``."""
    root = tmp_path_factory.mktemp("project")
    _write_run(
        root,
        emulator.url,
        {"UserPoolId": pool.id, "UserPoolClientId": pool.client_id, "Region": "us-east-1"},
    )
    return root


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_user_add_prints_an_id_token_of_the_pool(capsys, project, pool, emulator):
    code, out, err = _run(capsys, "user", "add", "ann@cli.example", "--project-dir", str(project))
    assert code == 0
    assert err == "localcloud: created ann@cli.example\n"
    token = out.strip()
    assert out == token + "\n"
    claims = _claims(token)
    assert claims["token_use"] == "id"
    assert claims["aud"] == pool.client_id
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.id}"
    assert claims["email"] == "ann@cli.example"
    assert "cognito:groups" not in claims
    user = cognito(emulator.url).admin_get_user(UserPoolId=pool.id, Username="ann@cli.example")
    assert user["UserStatus"] == "CONFIRMED"


def test_user_add_admin_is_in_the_admins_group(capsys, project):
    code, out, err = _run(
        capsys, "user", "add", "root@cli.example", "--admin", "--project-dir", str(project)
    )
    assert code == 0
    assert err == "localcloud: created root@cli.example in group admins\n"
    assert _claims(out.strip())["cognito:groups"] == ["admins"]


def test_token_is_fresh_for_the_same_user(capsys, project):
    _, added, _ = _run(capsys, "user", "add", "tim@cli.example", "--project-dir", str(project))
    first = _claims(added.strip())
    code, out, err = _run(capsys, "token", "tim@cli.example", "--project-dir", str(project))
    assert code == 0
    assert err == ""
    second = _claims(out.strip())
    assert second["sub"] == first["sub"]
    assert second["jti"] != first["jti"]
    assert second["email"] == "tim@cli.example"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("token", "nobody@cli.example"),
            "There is no user nobody@cli.example in the local user pool; create one with "
            "`python -m localcloud user add nobody@cli.example`.",
        ),
        (
            ("user", "add", "dup@cli.example"),
            "The user dup@cli.example already exists in the local user pool; "
            "`python -m localcloud token dup@cli.example` prints a token for them.",
        ),
    ],
)
def test_refusals_are_one_sentence_and_change_nothing(capsys, project, pool_users, argv, message):
    # Its own user (may exist from the other case): ann is the first test's, in any order.
    _run(capsys, "user", "add", "dup@cli.example", "--project-dir", str(project))
    before = pool_users()
    code, out, err = _run(capsys, *argv, "--project-dir", str(project))
    assert code == 1
    assert out == ""
    assert err == f"localcloud: {message}\n"
    assert pool_users() == before


@pytest.mark.parametrize("argv", [("user", "add", "not-an-email"), ("token", "ann@")])
def test_an_argument_that_is_no_email_is_refused_before_the_pool_is_asked(
    capsys, project, pool_users, argv
):
    before = pool_users()
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--project-dir", str(project)])
    assert refused.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    said = "error: argument email: must be an email address, e.g. ann@example.com"
    assert err.strip().splitlines()[-1].endswith(f"{said} (got '{argv[-1]}')")
    assert pool_users() == before


def test_admin_without_an_admins_group_creates_nothing(capsys, tmp_path, emulator):
    idp = cognito(emulator.url)
    bare = user_pool(idp, "no-groups")
    _write_run(tmp_path, emulator.url, {"UserPoolId": bare.id, "UserPoolClientId": bare.client_id})
    code, out, err = _run(
        capsys, "user", "add", "x@cli.example", "--admin", "--project-dir", str(tmp_path)
    )
    assert (code, out) == (1, "")
    assert err.startswith("localcloud: The local user pool lacks what the command needs (")
    assert err.count("\n") == 1
    assert idp.list_users(UserPoolId=bare.id)["Users"] == []


def test_not_running_and_no_pool_are_one_sentence(capsys, tmp_path, emulator):
    code, out, err = _run(capsys, "token", "a@cli.example", "--project-dir", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == (
        f"localcloud: The local cloud is not running here (no {tmp_path}/.localcloud/ready.json);"
        " start it with `python -m localcloud`.\n"
    )
    _write_run(tmp_path, emulator.url, {"ApiGatewayUrl": "http://x/local/"})
    code, out, err = _run(capsys, "user", "add", "a@cli.example", "--project-dir", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == (
        "localcloud: The running local cloud has no user pool: its outputs "
        f"({tmp_path}/cfn-outputs/flat-outputs.json) lack UserPoolId and UserPoolClientId.\n"
    )
    # ready.json left behind by a local cloud that died: its emulator does not answer.
    _write_run(
        tmp_path, "http://127.0.0.1:9", {"UserPoolId": "us-east-1_x", "UserPoolClientId": "c"}
    )
    code, out, err = _run(capsys, "token", "a@cli.example", "--project-dir", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == (
        "localcloud: The local cloud is not running: its emulator at http://127.0.0.1:9 does not "
        "answer.\n"
    )


def test_token_as_a_command_prints_only_the_token(project, pool):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "localcloud",
            "user",
            "add",
            "sub@cli.example",
            "--project-dir",
            str(project),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "localcloud",
            "token",
            "sub@cli.example",
            "--project-dir",
            str(project),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1
    assert _claims(done.stdout.strip())["aud"] == pool.client_id


@pytest.mark.parametrize("policy", [{}, {"MinimumLength": 80, "RequireSymbols": False}])
def test_generated_passwords_satisfy_any_policy(policy):
    passwords = {generate_password(policy) for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= policy.get("MinimumLength", 8)
        assert any(c.isupper() for c in password)
        assert any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(not c.isalnum() for c in password)
