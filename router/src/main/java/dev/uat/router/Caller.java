package dev.uat.router;

import static java.util.Objects.requireNonNull;

/**
 * Who made a request, once authenticated.
 *
 * @param userId the account
 * @param keyId the API key used, or null for a platform JWT
 * @param requestsPerMinute this caller's request limit, or null for the configured default
 * @param tokensPerMinute this caller's token limit, or null for the configured default
 */
record Caller(String userId, String keyId, Integer requestsPerMinute, Integer tokensPerMinute) {
  Caller {
    requireNonNull(userId, "userId");
  }

  /** The identity limits are counted under: the key, else the user. */
  String limitKey() {
    return keyId != null ? "key:" + keyId : "user:" + userId;
  }
}
