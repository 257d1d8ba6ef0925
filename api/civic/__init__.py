"""The residents' participation board and surveys: stores and routes over the platform database."""
