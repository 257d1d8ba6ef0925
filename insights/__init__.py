"""Households' analytics: months of use, savings, reports, programme evaluation, degree-days.

Reads the private store's monthly rollups through `stores/`; no HTTP. See README.md.
"""
