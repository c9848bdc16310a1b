"""Start-up: check the database, migrate, make sure an admin can log in, load the demo,
serve (`python -m service.startup.run`, what `make run` and the image run)."""
