"""One environment's stack: the constructs wired together, and every output."""

from pathlib import Path

from cdktf import TerraformOutput
from constructs import Construct

from stacks.api import Api, ApiProps
from stacks.aws_stack import AwsStack
from stacks.config import POWERTOOLS_LAYER, EnvironmentConfig
from stacks.encryption import Encryption, EncryptionProps
from stacks.firewall import Firewall, FirewallProps
from stacks.functions import Functions, FunctionsProps
from stacks.identity import Identity, IdentityProps
from stacks.monitoring import Monitoring, MonitoringProps
from stacks.network import Network, NetworkProps
from stacks.packaging import clean_copy
from stacks.tables import Tables, TablesProps

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "handlers"


class StoreStack(AwsStack):
    """The store API in one environment, named ``ecommerce-<env>``."""

    def __init__(
        self, scope: Construct, config: EnvironmentConfig, handlers_dir: Path = HANDLERS_DIR
    ):
        super().__init__(
            scope, config.stack_name, state=config.state, region=config.region, tags=config.tags
        )
        self.config = config
        partition = self.partition
        prefix = config.prefix

        self.encryption = Encryption(
            self,
            "encryption",
            EncryptionProps(
                prefix=prefix,
                region=config.region,
                account_id=self.account_id,
                partition=partition,
                deletion_window_days=config.kms_deletion_window_days,
            ),
        )
        key_arn = self.encryption.key.arn
        self.network = Network(
            self,
            "network",
            NetworkProps(
                prefix=prefix,
                region=config.region,
                cidr=config.vpc_cidr,
                zones=config.availability_zones,
                log_retention_days=config.log_retention_days,
                kms_key_arn=key_arn,
                ignore_rule_description_drift=config.ignore_rule_description_drift,
            ),
        )
        self.tables = Tables(
            self,
            "tables",
            TablesProps(
                prefix=prefix,
                capacity=config.table_capacity,
                autoscaling=config.autoscaling,
                point_in_time_recovery=config.point_in_time_recovery,
                deletion_protection=config.deletion_protection,
                kms_key_arn=key_arn,
            ),
        )
        self.functions = Functions(
            self,
            "functions",
            FunctionsProps(
                prefix=prefix,
                environment=config.name,
                partition=partition,
                region=config.region,
                account_id=self.account_id,
                source_dir=str(clean_copy(handlers_dir)),
                tables=self.tables.tables,
                kms_key_arn=key_arn,
                subnet_ids=[s.id for s in self.network.private_subnets],
                security_group_ids=[self.network.security_group.id],
                memory_mb=config.lambda_memory_mb,
                timeout_seconds=config.lambda_timeout_seconds,
                reserved_concurrency=config.reserved_concurrency,
                log_retention_days=config.log_retention_days,
                log_level=config.log_level,
                cors_allowed_origins=config.cors_allowed_origins,
                layers=(config.powertools_layer_arn,) if config.powertools_layer_arn else (),
                layer_release=POWERTOOLS_LAYER["powertools"],
            ),
        )
        self.identity = Identity(
            self,
            "sign-in",
            IdentityProps(
                prefix=prefix,
                pool=config.user_pool,
                deletion_protection=config.deletion_protection,
            ),
        )
        self.api = Api(
            self,
            "api",
            ApiProps(
                prefix=prefix,
                stage_name=config.name,
                partition=partition,
                functions=self.functions.functions,
                cors_allowed_origins=config.cors_allowed_origins,
                throttle_rate=config.api_throttle_rate,
                throttle_burst=config.api_throttle_burst,
                log_retention_days=config.log_retention_days,
                kms_key_arn=key_arn,
                user_pool_arns=(self.identity.user_pool.arn,),
            ),
        )
        self.firewall = Firewall(
            self,
            "firewall",
            FirewallProps(
                prefix=prefix,
                stage_arn=self.api.stage.arn,
                rate_limit_per_5_minutes=config.waf_rate_limit_per_5_minutes,
                allowed_origins=config.cors_allowed_origins,
                log_retention_days=config.log_retention_days,
                kms_key_arn=key_arn,
            ),
        )
        self.monitoring = Monitoring(
            self,
            "monitoring",
            MonitoringProps(
                prefix=prefix,
                region=config.region,
                kms_key_id=key_arn,
                function_names={k: f.function_name for k, f in self.functions.functions.items()},
                function_timeout_seconds=config.lambda_timeout_seconds,
                api_name=self.api.rest_api.name,
                stage_name=self.api.stage.stage_name,
                table_names={k: t.name for k, t in self.tables.tables.items()},
                alarms_to_sns=config.alarms_to_sns,
                alarm_emails=config.alarm_emails,
                alarm_https_endpoint=config.alarm_https_endpoint,
            ),
        )
        self._outputs()

    def _outputs(self) -> None:
        net, tables, fns, api = self.network, self.tables.tables, self.functions.functions, self.api
        outputs = {
            "VpcId": net.vpc.id,
            "VpcCidr": net.vpc.cidr_block,
            "PublicSubnetIds": [s.id for s in net.public_subnets],
            "PrivateSubnetIds": [s.id for s in net.private_subnets],
            "SecurityGroupId": net.security_group.id,
        }
        for key in ("products", "orders", "users"):
            title = key.capitalize()
            outputs[f"{title}TableName"] = tables[key].name
            outputs[f"{title}TableArn"] = tables[key].arn
        for key in ("products", "orders", "users"):
            title = key.capitalize()
            outputs[f"{title}LambdaArn"] = fns[key].arn
            outputs[f"{title}LambdaName"] = fns[key].function_name
            outputs[f"{title}LambdaInvokeArn"] = fns[key].invoke_arn
        outputs |= {
            "ApiGatewayId": api.rest_api.id,
            "ApiGatewayName": api.rest_api.name,
            "ApiGatewayRootResourceId": api.rest_api.root_resource_id,
            "ApiGatewayExecutionArn": api.rest_api.execution_arn,
            "ApiGatewayUrl": api.stage.invoke_url,
            "ApiGatewayStageName": api.stage.stage_name,
            "UserPoolId": self.identity.user_pool.id,
            "UserPoolArn": self.identity.user_pool.arn,
            "UserPoolClientId": self.identity.client.id,
            "AlarmTopicArn": self.monitoring.topic.arn,
            "Environment": self.config.name,
            "Region": self.config.region,
        }
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value, static_id=True)
