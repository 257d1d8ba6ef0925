"""City staff: named accounts with roles, their sessions (no HTTP here; see api/staff_auth.py).

`accounts` adds, changes and disables accounts and checks passwords (argon2id,
argon2-cffi); `sessions` keeps server-side sessions with idle and absolute
expiry; `roles` says what a role allows. Every change is written to the
audit log (telemetry/db/audit.py) in the same transaction. Imports telemetry only.
"""
