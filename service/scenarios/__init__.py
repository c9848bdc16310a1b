"""Scenarios: a month of sales re-priced under another rule or tariff, booking nothing."""
