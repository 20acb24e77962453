"""One environment's stack: the constructs wired together, and every output."""

from pathlib import Path

from constructs import Construct

from handlers.store.spec import manifest, settings
from stacks.base.aws_stack import AwsStack
from stacks.base.config import POWERTOOLS_LAYER, EnvironmentConfig
from stacks.base.iam import managed_policy_arn
from stacks.base.packaging import clean_copy
from stacks.store.api import Api, ApiProps
from stacks.store.encryption import Encryption, EncryptionProps
from stacks.store.event_sources import EventSources, EventSourcesProps
from stacks.store.events import (
    BUS_DLQ,
    EXPIRY,
    LOW_STOCK,
    NOTIFICATIONS,
    SCHEDULE_DLQ,
    STREAMED_TABLES,
    Events,
    EventsProps,
)
from stacks.store.firewall import Firewall, FirewallProps
from stacks.store.functions import Functions, FunctionsProps
from stacks.store.identity import Identity, IdentityProps
from stacks.store.monitoring import Monitoring, MonitoringProps
from stacks.store.network import Network, NetworkProps
from stacks.store.tables import Tables, TablesProps

HANDLERS_DIR = Path(__file__).resolve().parents[2] / "handlers"
# What the functions call from the private subnets besides DynamoDB (a gateway endpoint): KMS,
# and for the order events EventBridge (the publisher), SNS (the low-stock alerts) and SES's API
# (the notifier). Lambda itself reads the queues and streams: no endpoint for those.
INTERFACE_SERVICES = ("kms", "events", "sns", "email")
# The event queues' outputs: ``<Title>QueueUrl`` and ``<Title>DeadLetterQueueArn``.
QUEUE_OUTPUTS = {NOTIFICATIONS: "Notifications", LOW_STOCK: "LowStock", EXPIRY: "Expiry"}
# The other dead-letter queues' outputs: the publisher's, the bus's and the schedule's.
DEAD_LETTER_OUTPUTS = {"publisher": "Publisher", BUS_DLQ: "Events", SCHEDULE_DLQ: "Schedule"}


class StoreStack(AwsStack):
    """The store API in one environment, named ``ecommerce-<env>``.

    Built in the order each part needs the ones before it: the key, the network, the tables, the
    order events' bus and queues, the functions (in the network, on the tables and the events),
    what feeds the event functions, sign-in, the API (to the functions, through sign-in), its
    firewall, the alarms over all of it; then the outputs.
    """

    def __init__(
        self, scope: Construct, config: EnvironmentConfig, handlers_dir: Path = HANDLERS_DIR
    ):
        super().__init__(
            scope, config.stack_name, state=config.state, region=config.region, tags=config.tags
        )
        self.config = config
        self.encryption = self._encryption()
        self.network = self._network()
        self.tables = self._tables()
        self.events = self._events()
        self.functions = self._functions(handlers_dir)
        self.event_sources = self._event_sources()
        self.identity = self._identity()
        self.api = self._api()
        self.firewall = self._firewall()
        self.monitoring = self._monitoring()
        self._outputs()

    @property
    def _key_arn(self) -> str:
        return self.encryption.key.arn

    @property
    def _permissions_boundary(self) -> str | None:
        """The ARN of the policy bounding every role of the stack (ecommerce-account's)."""
        name = self.config.permissions_boundary
        return managed_policy_arn(self.partition, self.account_id, name) if name else None

    def _encryption(self) -> Encryption:
        config = self.config
        return Encryption(
            self,
            "encryption",
            EncryptionProps(
                prefix=config.prefix,
                region=config.region,
                account_id=self.account_id,
                partition=self.partition,
                deletion_window_days=config.kms_deletion_window_days,
            ),
        )

    def _network(self) -> Network:
        config = self.config
        return Network(
            self,
            "network",
            NetworkProps(
                prefix=config.prefix,
                region=config.region,
                cidr=config.vpc_cidr,
                zone_ids=config.zone_ids,
                log_retention_days=config.log_retention_days,
                kms_key_arn=self._key_arn,
                permissions_boundary=self._permissions_boundary,
                ignore_rule_description_drift=config.ignore_rule_description_drift,
                interface_services=INTERFACE_SERVICES,
                interface_endpoint_zones=config.interface_endpoint_zones,
            ),
        )

    def _tables(self) -> Tables:
        config = self.config
        return Tables(
            self,
            "tables",
            TablesProps(
                prefix=config.prefix,
                capacity=config.table_capacity,
                autoscaling=config.autoscaling,
                point_in_time_recovery=config.point_in_time_recovery,
                deletion_protection=config.deletion_protection,
                kms_key_arn=self._key_arn,
                streamed=frozenset(t.name for t in STREAMED_TABLES),
                apply_index_changes=config.apply_index_changes,
            ),
        )

    def _events(self) -> Events:
        config = self.config
        return Events(
            self,
            "events",
            EventsProps(
                prefix=config.prefix,
                config=config.events,
                function_timeout_seconds=config.lambda_timeout_seconds,
                kms_key_arn=self._key_arn,
                permissions_boundary=self._permissions_boundary,
                stream_arns=tuple(self.tables.tables[t.name].stream_arn for t in STREAMED_TABLES),
            ),
        )

    def _event_settings(self) -> dict[str, str]:
        """The event settings' values, by the names the functions read them by."""
        events = self.config.events
        return {
            settings.EVENT_BUS_NAME: self.events.bus.name,
            settings.SENDER_ADDRESS: events.sender_address,
            settings.LOW_STOCK_THRESHOLD: str(events.low_stock_threshold),
            settings.LOW_STOCK_TOPIC_ARN: self.events.topic.arn,
            settings.PENDING_LIMIT_MINUTES: str(events.pending_limit_minutes),
        }

    def _event_sources(self) -> EventSources:
        return EventSources(
            self,
            "event-sources",
            EventSourcesProps(
                config=self.config.events,
                functions=self.functions.functions,
                tables=self.tables.tables,
                queues=self.events.queues,
                stream_failure_queue_arn=self.events.dead_letter_queues["publisher"].arn,
            ),
        )

    def _functions(self, handlers_dir: Path) -> Functions:
        config = self.config
        return Functions(
            self,
            "functions",
            FunctionsProps(
                prefix=config.prefix,
                environment=config.name,
                partition=self.partition,
                region=config.region,
                account_id=self.account_id,
                source_dir=str(clean_copy(handlers_dir)),
                tables=self.tables.tables,
                kms_key_arn=self._key_arn,
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
                permissions_boundary=self._permissions_boundary,
                access_arns={spec.name: self.events.access_arns(spec) for spec in manifest.ALL},
                event_settings=self._event_settings(),
            ),
        )

    def _identity(self) -> Identity:
        config = self.config
        return Identity(
            self,
            "sign-in",
            IdentityProps(
                prefix=config.prefix,
                pool=config.user_pool,
                deletion_protection=config.deletion_protection,
                sender_identity_arn=self.events.sender.arn,
                sender_address=config.events.sender_address,
            ),
        )

    def _api(self) -> Api:
        config = self.config
        return Api(
            self,
            "api",
            ApiProps(
                prefix=config.prefix,
                stage_name=config.name,
                partition=self.partition,
                functions=self.functions.functions,
                cors_allowed_origins=config.cors_allowed_origins,
                throttle_rate=config.api_throttle_rate,
                throttle_burst=config.api_throttle_burst,
                log_retention_days=config.log_retention_days,
                kms_key_arn=self._key_arn,
                user_pool_arns=(self.identity.user_pool.arn,),
            ),
        )

    def _firewall(self) -> Firewall:
        config = self.config
        return Firewall(
            self,
            "firewall",
            FirewallProps(
                prefix=config.prefix,
                stage_arn=self.api.stage.arn,
                rate_limit_per_5_minutes=config.waf_rate_limit_per_5_minutes,
                allowed_origins=config.cors_allowed_origins,
                log_retention_days=config.log_retention_days,
                kms_key_arn=self._key_arn,
            ),
        )

    def _monitoring(self) -> Monitoring:
        config = self.config
        return Monitoring(
            self,
            "monitoring",
            MonitoringProps(
                prefix=config.prefix,
                region=config.region,
                kms_key_id=self._key_arn,
                function_names={k: f.function_name for k, f in self.functions.functions.items()},
                function_timeout_seconds=config.lambda_timeout_seconds,
                api_name=self.api.rest_api.name,
                stage_name=self.api.stage.stage_name,
                table_names={k: t.name for k, t in self.tables.tables.items()},
                alarms_to_sns=config.alarms_to_sns,
                alarm_emails=config.alarm_emails,
                alarm_https_endpoint=config.alarm_https_endpoint,
                queue_names={k: q.name for k, q in self.events.queues.items()},
                dead_letter_queue_names={
                    k: q.name for k, q in self.events.dead_letter_queues.items()
                },
                max_message_age_seconds=config.events.max_message_age_seconds,
                event_bus_name=self.events.bus.name,
                rule_names={k: r.name for k, r in self.events.rules.items()},
            ),
        )

    def _outputs(self) -> None:
        """Every output, each with a description (what ``cdktf output`` and docs/operations.md
        list)."""
        self._network_outputs()
        self._table_and_function_outputs()
        self._api_outputs()
        self._event_outputs()
        self.output("AlarmTopicArn", self.monitoring.topic.arn, "The SNS topic the alarms notify.")
        self.output("Environment", self.config.name, "The environment's name.")
        self.output("Region", self.config.region, "The AWS region the environment is in.")

    def _network_outputs(self) -> None:
        net = self.network
        self.output("VpcId", net.vpc.id, "The VPC's id.")
        self.output("VpcCidr", net.vpc.cidr_block, "The VPC's IPv4 CIDR block.")
        self.output(
            "PublicSubnetIds",
            [s.id for s in net.public_subnets],
            "The public subnets' ids, one per availability zone.",
        )
        self.output(
            "PrivateSubnetIds",
            [s.id for s in net.private_subnets],
            "The private subnets' ids (where the functions run), one per availability zone.",
        )
        self.output("SecurityGroupId", net.security_group.id, "The functions' security group's id.")

    def _table_and_function_outputs(self) -> None:
        for key in ("products", "orders", "users"):
            table, title = self.tables.tables[key], key.capitalize()
            self.output(f"{title}TableName", table.name, f"The {key} DynamoDB table's name.")
            self.output(f"{title}TableArn", table.arn, f"The {key} DynamoDB table's ARN.")
        for key in ("products", "orders", "users"):
            function, title = self.functions.functions[key], key.capitalize()
            self.output(f"{title}LambdaArn", function.arn, f"The {key} function's ARN.")
            self.output(f"{title}LambdaName", function.function_name, f"The {key} function's name.")
            self.output(
                f"{title}LambdaInvokeArn",
                function.invoke_arn,
                f"The ARN API Gateway invokes the {key} function with.",
            )

    def _api_outputs(self) -> None:
        api, pool = self.api, self.identity
        self.output("ApiGatewayId", api.rest_api.id, "The REST API's id.")
        self.output("ApiGatewayName", api.rest_api.name, "The REST API's name.")
        self.output(
            "ApiGatewayRootResourceId",
            api.rest_api.root_resource_id,
            "The id of the REST API's root resource (/).",
        )
        self.output(
            "ApiGatewayExecutionArn",
            api.rest_api.execution_arn,
            "The REST API's execution ARN (the prefix of its execute-api permissions).",
        )
        self.output(
            "ApiGatewayUrl", api.stage.invoke_url, "The stage's invoke URL: the API's base."
        )
        self.output(
            "ApiGatewayStageName", api.stage.stage_name, "The stage's name: the environment's."
        )
        self.output(
            "UserPoolId", pool.user_pool.id, "The id of the Cognito user pool people sign in to."
        )
        self.output("UserPoolArn", pool.user_pool.arn, "The Cognito user pool's ARN.")
        self.output(
            "UserPoolClientId",
            pool.client.id,
            "The user pool's app client id (the audience of the API's ID tokens).",
        )

    def _event_outputs(self) -> None:
        events = self.events
        self.output("EventBusName", events.bus.name, "The order events' EventBridge bus.")
        self.output("EventBusArn", events.bus.arn, "The order events' bus's ARN.")
        for key, title in QUEUE_OUTPUTS.items():
            self.output(f"{title}QueueUrl", events.queues[key].url, f"The {key} queue's URL.")
        for key, title in (QUEUE_OUTPUTS | DEAD_LETTER_OUTPUTS).items():
            self.output(
                f"{title}DeadLetterQueueArn",
                events.dead_letter_queues[key].arn,
                f"The ARN of the {key} dead-letter queue.",
            )
        self.output(
            "LowStockTopicArn", events.topic.arn, "The SNS topic the low-stock alerts go to."
        )
