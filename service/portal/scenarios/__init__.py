"""The portal's scenario pages: a re-priced month beside the books."""
