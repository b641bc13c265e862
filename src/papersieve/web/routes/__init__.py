"""The app's route handlers, one module per area."""
