"""Portal pages for admins: month close, API keys."""
