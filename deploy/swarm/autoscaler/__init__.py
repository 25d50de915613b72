"""The Swarm autoscaler: scales services that opt in by labels, from their tasks' CPU.

`python -m autoscaler` (from the app image) runs it on a manager with the Docker socket;
deploy/swarm/README.md describes the labels and the decisions.
"""
