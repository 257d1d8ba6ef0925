"""The residents' participation: the board (`civic/board/`) and the policy surveys (`civic/surveys/`).

Domain only: stores and rules over the platform database (telemetry/db), no
HTTP. The API's routes and the portal's pages call these services; see README.md.
"""
