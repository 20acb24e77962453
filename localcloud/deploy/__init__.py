"""Deploying the stack onto the emulator: cdktf and Terraform, the synth's fingerprint, the
progress display, and the warm start."""
