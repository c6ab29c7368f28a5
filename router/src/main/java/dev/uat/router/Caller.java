package dev.uat.router;

import static java.util.Objects.requireNonNull;

/**
 * Who made a request, once authenticated.
 *
 * @param userId the account: the tenant the response cache is partitioned by
 * @param keyId the API key used, or null for an access token
 */
record Caller(String userId, String keyId) {
  Caller {
    requireNonNull(userId, "userId");
  }

  /** The identity limits are counted under: the key, else the user. */
  String limitKey() {
    return keyId != null ? "key:" + keyId : "user:" + userId;
  }
}
