package dev.uat.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The platform's API key format: {@value #PREFIX} plus {@value #RANDOM_CHARS} random base62
 * characters (256 bits). Keys are shown once; only their SHA-256 ({@link #hash}) is stored or
 * cached anywhere: a key is high-entropy, so a fast hash loses nothing to a slow one and keeps
 * lookups cheap. Thread-safe.
 */
public final class ApiKeyFormat {
  public static final String PREFIX = "uat_sk_";
  public static final int RANDOM_CHARS = 43;

  /** Longest credential that can be a key; anything longer is refused unread. */
  public static final int MAX_LENGTH = 100;

  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeyFormat() {}

  /** A new random key. */
  public static String newSecret() {
    StringBuilder b = new StringBuilder(PREFIX.length() + RANDOM_CHARS).append(PREFIX);
    for (int i = 0; i < RANDOM_CHARS; i++) {
      b.append(BASE62[RANDOM.nextInt(BASE62.length)]);
    }
    return b.toString();
  }

  /** Whether a bearer credential is meant as an API key (rather than a JWT). */
  public static boolean looksLikeKey(String credential) {
    return credential != null && credential.startsWith(PREFIX);
  }

  /** The hex SHA-256 of a key: what is stored and cached, never the key. */
  public static String hash(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
