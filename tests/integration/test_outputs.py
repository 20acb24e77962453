"""Every output is present, of the right type, and shaped like the AWS identifier it names."""

import re

import pytest

from tests.integration.outputs import REQUIRED

REGION = r"[a-z]{2}(-gov)?-[a-z]+-\d"
ACCOUNT = r"\d{12}"
PATTERNS = {
    "VpcId": r"vpc-[0-9a-f]{8,17}",
    "VpcCidr": r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}",
    "SecurityGroupId": r"sg-[0-9a-f]{8,17}",
    "ApiGatewayId": r"[a-z0-9]{10}",
    "ApiGatewayRootResourceId": r"[a-z0-9]{10}",
    "ApiGatewayName": r"ecommerce-[a-z]+-api",
    "ApiGatewayExecutionArn": rf"arn:aws:execute-api:{REGION}:{ACCOUNT}:[a-z0-9]{{10}}",
    "ApiGatewayUrl": rf"https://[a-z0-9]{{10}}\.execute-api\.{REGION}\.amazonaws\.com/[a-z]+",
    "ApiGatewayStageName": r"dev|staging|prod|local",
    "Environment": r"dev|staging|prod|local",
    "Region": REGION,
    # AWS pool ids are "<region>_<9 characters>"; the emulator's carry a longer hex suffix.
    "UserPoolId": rf"{REGION}_[0-9A-Za-z]+",
    "UserPoolArn": rf"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_[0-9A-Za-z]+",
    "UserPoolClientId": r"[0-9a-z]{20,128}",
    "AlarmTopicArn": rf"arn:aws:sns:{REGION}:{ACCOUNT}:ecommerce-[a-z]+-alarms",
    # Delivery's own dead-letter queues: the bus's rules' and the expiry schedule's.
    "EventsDeadLetterQueueArn": rf"arn:aws:sqs:{REGION}:{ACCOUNT}:ecommerce-[a-z]+-events-dlq",
    "ScheduleDeadLetterQueueArn": rf"arn:aws:sqs:{REGION}:{ACCOUNT}:ecommerce-[a-z]+-schedule-dlq",
}
for _name in ("Products", "Orders", "Users"):
    _lambda = rf"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ecommerce-[a-z]+-{_name.lower()}"
    PATTERNS |= {
        f"{_name}TableName": rf"ecommerce-[a-z]+-{_name.lower()}",
        f"{_name}TableArn": (
            rf"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/ecommerce-[a-z]+-{_name.lower()}"
        ),
        f"{_name}LambdaName": rf"ecommerce-[a-z]+-{_name.lower()}",
        f"{_name}LambdaArn": _lambda,
        f"{_name}LambdaInvokeArn": (
            rf"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{_lambda}/invocations"
        ),
    }


def test_every_output_is_present(outputs):
    assert set(REQUIRED) <= set(outputs)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_output_matches_its_pattern(outputs, name):
    assert isinstance(outputs[name], str)
    assert re.fullmatch(PATTERNS[name], outputs[name]), f"{name}={outputs[name]!r}"


@pytest.mark.parametrize("name", ["PublicSubnetIds", "PrivateSubnetIds"])
def test_subnet_lists(outputs, config, name):
    subnets = outputs[name]
    assert isinstance(subnets, list) and len(subnets) == config.az_count
    assert all(re.fullmatch(r"subnet-[0-9a-f]{8,17}", s) for s in subnets)


def test_outputs_agree_with_each_other(outputs):
    env, api_id = outputs["Environment"], outputs["ApiGatewayId"]
    assert outputs["ApiGatewayStageName"] == env
    assert outputs["ApiGatewayExecutionArn"].endswith(f":{api_id}")
    assert outputs["ApiGatewayUrl"].startswith(f"https://{api_id}.execute-api.{outputs['Region']}.")
    assert outputs["ApiGatewayUrl"].endswith(f"/{env}")
    assert outputs["UserPoolArn"].endswith(f":userpool/{outputs['UserPoolId']}")
    assert outputs["UserPoolId"].startswith(f"{outputs['Region']}_")
    for name in ("Products", "Orders", "Users"):
        assert outputs[f"{name}TableArn"].endswith(f":table/{outputs[f'{name}TableName']}")
        assert outputs[f"{name}LambdaArn"].endswith(f":function:{outputs[f'{name}LambdaName']}")
        assert outputs[f"{name}LambdaArn"] in outputs[f"{name}LambdaInvokeArn"]
        assert f"ecommerce-{env}-" in outputs[f"{name}TableName"]
