"""Errors of the scenarios domain."""

from service.errors import NotFound


class ScenarioNotFound(NotFound):
    title = "No such scenario"
