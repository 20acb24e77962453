"""The store's DynamoDB tables, built from the shared table definitions."""

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration as TargetTracking,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

from handlers.store.spec import table_schemas as table_specs
from stacks.base.config import AutoScaling, Capacity

_DIMENSIONS = (
    ("read", "ReadCapacityUnits", "DynamoDBReadCapacityUtilization"),
    ("write", "WriteCapacityUnits", "DynamoDBWriteCapacityUtilization"),
)


def _scaled_attributes(props: "TablesProps") -> list[str]:
    """What Terraform ignores on a scaled table: its capacity, and its indexes' (the whole set:
    see ``Tables``) unless this deploy applies index changes."""
    indexes = [] if props.apply_index_changes else ["global_secondary_index"]
    return ["read_capacity", "write_capacity", *indexes]


def table_name(prefix: str, spec: table_specs.TableSpec) -> str:
    """A table's name in the environment: ``<prefix>-<logical name>``."""
    return f"{prefix}-{spec.name}"


@dataclass(frozen=True)
class TablesProps:
    """Inputs of ``Tables``."""

    prefix: str
    # None: every table on demand.
    capacity: Capacity | None
    autoscaling: AutoScaling | None
    point_in_time_recovery: bool
    deletion_protection: bool
    kms_key_arn: str
    specs: tuple[table_specs.TableSpec, ...] = table_specs.ALL
    # The tables whose change stream a function reads (new and old images of each change).
    streamed: frozenset[str] = frozenset()
    # For one deploy that changes an index of a scaled table: Terraform sees the indexes again
    # (and sets their capacity back to the floor, which auto scaling raises again).
    apply_index_changes: bool = False


class Tables(Construct):
    """Products, users and orders (plus the idempotency records of ``POST /orders``).

    Each table and each of its indexes gets the environment's provisioned capacity, the table
    optionally with target-tracking auto scaling, encryption with the environment's key,
    point-in-time recovery and deletion protection as configured. The idempotency table is
    on-demand: its traffic follows order placement and its items expire by TTL. A table whose
    changes a function reads (``streamed``) has its stream on, with both images.

    Where a table auto-scales, each of its indexes does too, read and write, between the same
    floor and maximum with the same target (``table/<name>/index/<index>``): an index out of
    write capacity throttles the writes to its table. With the AWS provider 5.100.0 an index's
    capacity lives inside the ``global_secondary_index`` set, which Terraform cannot ignore
    attribute by attribute (a nested attribute of a set cannot be named in ``ignore_changes``),
    so a scaled table ignores the whole set: the index capacity auto scaling sets is no drift,
    and a change to an index is not planned there until ``apply_index_changes`` says so
    (docs/operations.md, "Changing an index").
    """

    def __init__(self, scope: Construct, construct_id: str, props: TablesProps):
        super().__init__(scope, construct_id)
        self.tables: dict[str, DynamodbTable] = {}
        for spec in props.specs:
            self.tables[spec.name] = self._table(spec, props)

    def _table(self, spec: table_specs.TableSpec, props: TablesProps) -> DynamodbTable:
        capacity = props.capacity if spec.provisioned else None
        scaled = capacity is not None and props.autoscaling is not None
        table = DynamodbTable(
            self,
            spec.name,
            name=table_name(props.prefix, spec),
            billing_mode="PROVISIONED" if capacity else "PAY_PER_REQUEST",
            read_capacity=capacity.read if capacity else None,
            write_capacity=capacity.write if capacity else None,
            hash_key=spec.hash_key,
            attribute=[
                DynamodbTableAttribute(name=name, type=kind)
                for name, kind in spec.attributes.items()
            ],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name=index.name,
                    hash_key=index.hash_key,
                    range_key=index.range_key,
                    projection_type="ALL",
                    read_capacity=capacity.read if capacity else None,
                    write_capacity=capacity.write if capacity else None,
                )
                for index in spec.indexes
            ],
            ttl=DynamodbTableTtl(attribute_name=spec.ttl_attribute, enabled=True)
            if spec.ttl_attribute
            else None,
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(
                enabled=props.point_in_time_recovery
            ),
            server_side_encryption=DynamodbTableServerSideEncryption(
                enabled=True, kms_key_arn=props.kms_key_arn
            ),
            deletion_protection_enabled=props.deletion_protection,
            stream_enabled=spec.name in props.streamed or None,
            stream_view_type="NEW_AND_OLD_IMAGES" if spec.name in props.streamed else None,
            # Auto scaling owns the capacity numbers; Terraform must not reset them.
            lifecycle=TerraformResourceLifecycle(ignore_changes=_scaled_attributes(props))
            if scaled
            else None,
        )
        if scaled:
            resource_id = f"table/{props.prefix}-{spec.name}"
            self._scale(spec.name, resource_id, "table", props, table)
            for index in spec.indexes:
                self._scale(
                    f"{spec.name}-{index.name}",
                    f"{resource_id}/index/{index.name}",
                    "index",
                    props,
                    table,
                )
        return table

    def _scale(
        self,
        construct_id: str,
        resource_id: str,
        kind: str,
        props: TablesProps,
        table: DynamodbTable,
    ) -> None:
        """Read and write target tracking of a table's or an index's (``kind``) capacity."""
        assert props.autoscaling is not None and props.capacity is not None
        for dimension, unit, metric in _DIMENSIONS:
            target = AppautoscalingTarget(
                self,
                f"{construct_id}-{dimension}-target",
                service_namespace="dynamodb",
                resource_id=resource_id,
                scalable_dimension=f"dynamodb:{kind}:{unit}",
                min_capacity=getattr(props.capacity, dimension),
                max_capacity=getattr(props.autoscaling, f"max_{dimension}"),
                depends_on=[table],
            )
            AppautoscalingPolicy(
                self,
                f"{construct_id}-{dimension}-policy",
                name=f"{resource_id.replace('/', '-')}-{dimension}",
                policy_type="TargetTrackingScaling",
                service_namespace="dynamodb",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration=TargetTracking(
                    target_value=props.autoscaling.target_utilization,
                    predefined_metric_specification={"predefined_metric_type": metric},
                ),
            )
