package dev.uat.auth;

import java.util.Optional;

/**
 * Where {@link Credentials} checks what a signature cannot tell: whether an API key exists and is
 * live, and whether an access token's login session is still active. The api implements it on its
 * database; every other component uses {@link RemoteCredentialBackend}, which asks the api. Called
 * on cache misses only; implementations may block (virtual threads) and must be thread-safe.
 */
public interface CredentialBackend {
  /**
   * The principal of a live API key (not revoked, not expired), or empty.
   *
   * @param secret the key as presented (a remote backend presents it; a local one hashes it)
   */
  Optional<Principal> apiKey(String secret) throws CredentialsUnavailableException;

  /**
   * Whether the login session of a verified access token is still active.
   *
   * @param principal the token's verified principal (its {@code sessionId} is not null)
   * @param accessToken the token itself (a remote backend presents it)
   */
  boolean sessionActive(Principal principal, String accessToken)
      throws CredentialsUnavailableException;
}
