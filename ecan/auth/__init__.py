"""Sign-in and credentials: Cognito user pool + identity pool sessions (AuthService), the
keyring that holds the refresh token, and CloudAccess, which picks the cloud and the identity."""
