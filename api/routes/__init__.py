"""Routers: public (public bucket only), facility, household, operators."""
