"""The boards: facility live (staff), operations (staff), citizens (public)."""
