# Sourced by the scripts: the project's virtualenv and CLI first on PATH, jsii quiet about Node 20.
export PIPENV_VENV_IN_PROJECT=1 PIPENV_VERBOSITY=-1
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export CHECKPOINT_DISABLE=1 CDKTF_DISABLE_PLUGIN_CACHE_ENV=1
# Python's bytecode, when the environment forbids writing it beside the sources
# (PYTHONDONTWRITEBYTECODE, as some CI images set): cached in a folder of its own instead, nothing
# written beside a source. Without it every interpreter compiled what it imports from source
# again: the stacks' imports took 42.5 s of CPU instead of 15.2 (the AWS provider's bindings are
# 213 MB of Python), an emulator's start 4 s instead of 0.6; hundreds of interpreters a CI run.
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ] && [ -z "${PYTHONPYCACHEPREFIX:-}" ]; then
  export PYTHONPYCACHEPREFIX="${XDG_CACHE_HOME:-$HOME/.cache}/ecommerce-store/pycache"
  unset PYTHONDONTWRITEBYTECODE
fi
