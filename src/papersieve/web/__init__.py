"""The local web app (`papersieve serve`): digests, archive, search, feedback."""
