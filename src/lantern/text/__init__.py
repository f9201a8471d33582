"""Free text to linked facts: mentions (phones, VRMs, postcodes, dates, people...), exploitation
indicators from a versioned lexicon, and language of concern for review (never for scores)."""
