"""Where a stack keeps its Terraform state: the shared S3 bucket, a local file, or cdktf's default.

Every stack but the bootstrap keeps its state in the bucket ``ecommerce-bootstrap`` creates, one
key per stack, encrypted with that bucket's own KMS key (named by its alias) and locked with a
lock file beside the state (Terraform >= 1.10; no DynamoDB table).
"""

from pathlib import Path

from cdktf import LocalBackend, S3Backend, TerraformStack

from stacks.base.config import StateBackend
from stacks.base.delivery_config import STATE_KEY_ALIAS


def state_key(stack_name: str) -> str:
    """The object key of a stack's state in the bucket."""
    return f"{stack_name}/terraform.tfstate"


def use_state_backend(stack: TerraformStack, state: StateBackend, default_region: str) -> None:
    """Configure ``stack``'s backend from ``state``; say so when the state stays local."""
    name = stack.node.id
    if state.bucket:
        backend = S3Backend(
            stack,
            bucket=state.bucket,
            key=state_key(name),
            region=state.region or default_region,
            # Without a key id Terraform would ask S3 for AES256, bypassing the bucket's key.
            encrypt=True,
            kms_key_id=STATE_KEY_ALIAS,
        )
        backend.add_override("use_lockfile", True)
    elif state.local_path:
        LocalBackend(stack, path=str(Path(state.local_path).resolve()))
    else:
        print(
            f"{name}: no ECOMMERCE_STATE_BUCKET set, Terraform state stays local "
            f"(terraform.{name}.tfstate)"
        )
