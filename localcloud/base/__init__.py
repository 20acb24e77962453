"""What every part of the local cloud shares: AWS credentials, errors and output lines,
ports, processes, polling, the run's files and the tools' argument types."""
