"""Room 2 of the local judge: a paper as numbers. Cold-start matches of the profile's terms,
hashed n-grams, the shipped semantic space, author counts, optional sentence embeddings, and the
store's cache of all of them."""
