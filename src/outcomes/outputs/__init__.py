"""Outputs: the quarterly report, grant figures and the command line. Everything here reads results and
presentation; nothing is computed twice."""
