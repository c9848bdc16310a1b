"""How every portal page answers: HTML errors, no caching, back to where you were."""
