"""Authentication and authorization.

``caller`` (the framework-free :class:`Caller` services receive), ``models`` (``ApiKey``),
``service`` (key issuing, hashing, authentication), ``exceptions`` and ``dependencies``
(FastAPI: the role aliases and request-parsing dependencies, for routers only). This
package's ``__init__`` imports nothing, so a service importing ``service.auth.caller`` never
loads the web framework.
"""
