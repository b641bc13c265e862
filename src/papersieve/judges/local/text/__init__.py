"""Room 1 of the local judge: words. Tokens and stems, the profile's topics as weighted terms,
and the general word lists that say what "application" and "foundational" mean."""
