"""DDEX DSR flat files from stores, booked as sales and refunds (docs/dsr-intake.md)."""
