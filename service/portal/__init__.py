"""The portal: server-rendered pages for societies, rights holders and admins.

A browser signs in with an API key and gets a server-side session (``sessions.py``);
every page reads through the other domains' services with the session's ``Caller``, so
it sees exactly what the API would show that key.
"""
