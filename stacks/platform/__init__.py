"""The platform around the store: the bootstrap and account stacks, CI's permissions, the
roles' permissions boundary, the state bucket and API Gateway's account logging."""
