"""The functions' Logger and Tracer (Powertools).

Service name and log level come from ``POWERTOOLS_SERVICE_NAME`` and ``POWERTOOLS_LOG_LEVEL``,
which the Functions construct sets; every log line also carries the environment's name.
"""

import os

from aws_lambda_powertools import Logger, Tracer

from . import settings

logger = Logger()
logger.append_keys(environment=os.environ.get(settings.ENVIRONMENT, "unknown"))
tracer = Tracer()
