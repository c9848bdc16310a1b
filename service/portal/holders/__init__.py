"""Portal pages for rights holders: remittance across societies, takedowns."""
