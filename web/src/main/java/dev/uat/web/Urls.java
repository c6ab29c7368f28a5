package dev.uat.web;

/** Small helpers for the base URLs components are given. */
public final class Urls {
  private Urls() {}

  /** {@code http://host:1/} → {@code http://host:1}: paths are appended to what this returns. */
  public static String stripSlash(String url) {
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }
}
