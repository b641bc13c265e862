"""Room 3 of the local judge: numbers to a score. The learned models, how their parts are
combined and mapped to 1-10, the ranker that applies them, training, and stored versions."""
