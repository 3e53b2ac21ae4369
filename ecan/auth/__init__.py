"""Sign-in and credentials: Cognito user pool + identity pool sessions (AuthService), the
keyring that holds the refresh token, and CloudAccess, which picks the cloud and the identity.

Where the session lives: the refresh token (with the username) in the OS keyring only; ID and
access tokens and AWS credentials in memory only. Keyring choice:
- `PYTHON_KEYRING_BACKEND` (or keyring's config file) is honoured as an explicit choice; scripts
  on machines without an OS keyring set `keyrings.alt.file.PlaintextKeyring`.
- Otherwise an OS keyring (Secret Service, macOS Keychain, Windows Credential Locker).
- None available: the session lasts for this process only, and ecan says so once ("no keyring:
  you will need to sign in again next time"). `ECAN_ALLOW_FILE_KEYRING=1` opts in to keeping it
  in keyrings.alt's plaintext file instead (readable by anyone who can read your files).

Sign-in flow: USER_SRP_AUTH by default (the password never leaves the machine); COGNITO.AUTH_FLOW
may select USER_PASSWORD_AUTH. Plain moto does not verify the SRP proof (any password passes);
the local demo cloud adds that check, so a wrong password is refused on both flows there.
"""

from ecan.deferred_imports import defer

# keyring loads these as it is imported (every command reads the session from it) but needs
# them only to look for keyring plugins (ecan does that once, then remembers the keyring:
# ecan.auth.secrets.resolve_backend) and in helpers it never calls (jaraco.context's
# subprocess): ~9 ms of each start.
defer("importlib_metadata", "more_itertools", "subprocess")
