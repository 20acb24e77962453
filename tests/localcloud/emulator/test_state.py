"""The emulator's state in a file and back (localcloud/emulator/state.py), in-process: what the
stack's services hold (a KMS key and its key pair, a role, a table, a function, a user pool, a
VPC) is the same after moto's backends were reset and the file restored; a file that is not
one, or of another moto, is refused with the reason."""

from __future__ import annotations

import pickle

import moto
import pytest
from moto.core.base_backend import BackendDict

from localcloud.base import aws
from localcloud.emulator import state
from stacks.base.iam import assume_role_policy
from tests.localcloud.conftest import REGION, make_zip


@pytest.fixture
def mocked():
    """moto in-process, and a boto3 session on it."""
    with moto.mock_aws():
        yield aws.session(REGION)


def _deploy_some(session) -> dict[str, str]:
    kms, iam, lam = (session.client(s) for s in ("kms", "iam", "lambda"))
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    role = iam.create_role(
        RoleName="fn", AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )["Role"]["Arn"]
    session.client("dynamodb").create_table(
        TableName="products",
        KeySchema=[{"AttributeName": "productId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "productId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lam.create_function(
        FunctionName="products",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c): pass\n"})},
    )
    pool = session.client("cognito-idp").create_user_pool(PoolName="people")["UserPool"]["Id"]
    vpc = session.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return {"key": key, "pool": pool, "vpc": vpc}


def test_the_state_comes_back_whole(mocked, tmp_path):
    made = _deploy_some(mocked)
    kms = mocked.client("kms")
    signature = kms.sign(
        KeyId=made["key"], Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
    )["Signature"]
    path = tmp_path / "state.pickle"
    assert state.save(path) == path.stat().st_size > 0
    BackendDict.reset()
    assert mocked.client("lambda").list_functions()["Functions"] == []

    assert state.restore(path) > 0
    [function] = mocked.client("lambda").list_functions()["Functions"]
    assert function["FunctionName"] == "products"
    assert function["Role"] == mocked.client("iam").get_role(RoleName="fn")["Role"]["Arn"]
    assert mocked.client("dynamodb").list_tables()["TableNames"] == ["products"]
    assert mocked.client("ec2").describe_vpcs(VpcIds=[made["vpc"]])["Vpcs"]
    pools = mocked.client("cognito-idp").list_user_pools(MaxResults=5)["UserPools"]
    assert [p["Id"] for p in pools] == [made["pool"]]
    # The key pair is the same one: what it signed before verifies after.
    assert kms.verify(
        KeyId=made["key"],
        Message=b"m",
        Signature=signature,
        SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256",
    )["SignatureValid"]


def test_a_file_that_is_not_a_state_is_refused(tmp_path):
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(state.StateError, match="cannot be read: UnpicklingError"):
        state.restore(garbage)
    with pytest.raises(state.StateError, match="cannot be read: FileNotFoundError"):
        state.restore(tmp_path / "missing")
    other = tmp_path / "other"
    other.write_bytes(pickle.dumps({"format": 0}))
    with pytest.raises(state.StateError, match="not a state file of this version"):
        state.restore(other)
    older = tmp_path / "older"
    snapshot = {"format": state.FORMAT, "moto": "0.1", "backends": []}
    older.write_bytes(pickle.dumps(snapshot))
    with pytest.raises(state.StateError, match=r"written by moto 0\.1, not "):
        state.restore(older)
