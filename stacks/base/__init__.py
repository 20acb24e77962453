"""What every stack builds on: the environment matrix (config), IAM helpers, the AWS stack
base with its state backend, and the functions' packaging. Imports nothing else of stacks."""
