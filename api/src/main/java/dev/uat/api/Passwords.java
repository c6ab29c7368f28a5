package dev.uat.api;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.uat.web.HttpError;
import java.nio.charset.StandardCharsets;

/**
 * bcrypt password hashing. Passwords are 8 to 72 bytes (bcrypt's input limit: longer ones are
 * refused rather than silently truncated). Verifying against an unknown account still costs one
 * hash, so response time does not tell which emails exist.
 */
final class Passwords {
  static final int MIN_CHARS = 8;
  static final int MAX_BYTES = 72;

  private final int cost;
  private final String dummyHash;

  Passwords(int cost) {
    this.cost = cost;
    this.dummyHash = hash("not-a-real-password-" + System.nanoTime());
  }

  static void validate(String password) {
    if (password == null || password.isEmpty()) {
      throw HttpError.invalid("field 'password' is required");
    }
    if (password.codePointCount(0, password.length()) < MIN_CHARS) {
      throw HttpError.invalid("field 'password' must have at least " + MIN_CHARS + " characters");
    }
    if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw HttpError.invalid("field 'password' must be at most " + MAX_BYTES + " bytes (UTF-8)");
    }
  }

  String hash(String password) {
    return BCrypt.withDefaults().hashToString(cost, password.toCharArray());
  }

  /** Whether {@code password} matches {@code hash}; with a null hash, spends the time anyway. */
  boolean verify(String password, String hash) {
    if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      BCrypt.verifyer().verify("x".toCharArray(), dummyHash);
      return false;
    }
    boolean ok =
        BCrypt.verifyer().verify(password.toCharArray(), hash == null ? dummyHash : hash).verified;
    return ok && hash != null;
  }
}
