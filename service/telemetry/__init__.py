"""What an operator observes: liveness and readiness probes, Prometheus metrics, JSON logs."""
