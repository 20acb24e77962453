# Sourced by the scripts: the project's virtualenv and CLI first on PATH, jsii quiet about Node 20.
export PIPENV_VENV_IN_PROJECT=1 PIPENV_VERBOSITY=-1
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export CHECKPOINT_DISABLE=1 CDKTF_DISABLE_PLUGIN_CACHE_ENV=1
