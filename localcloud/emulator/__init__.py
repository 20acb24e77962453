"""The embedded AWS: moto's server as a child process, with the local cloud's fixes, IAM
enforcement, fault injection and state snapshots."""
