package dev.uat.observatory.ingest;

import dev.uat.observatory.ingest.Pipeline.Permit;

/**
 * The heap a decoder allocates for one request, reserved in the request's {@link Permit} as it
 * goes, before the spans are stored: a body of small fields (2 bytes for an empty event) can decode
 * to twenty times its size, so the reservation follows the objects made, not the bytes read.
 *
 * <p>Estimates, like the store's: a string costs {@value #STRING} bytes plus 2 per byte of its
 * UTF-8 encoding (at least 2 per char); shared strings are counted as if they were not. The
 * reservation grows in steps of {@value #STEP} bytes, so a call to {@link #add} is an addition and
 * a comparison. Not thread-safe: one per request.
 *
 * @see Pipeline.Permit#reserve(long)
 */
public final class HeapCharge {
  /** A span record with its slot in the decoded list and builder. */
  public static final long SPAN = 176;

  /** An event with its list slot. */
  public static final long EVENT = 48;

  /** A link with its list slot. */
  public static final long LINK = 64;

  /** One attribute: two references in the builder and two in the built array. */
  public static final long ATTRIBUTE = 16;

  /** A boxed number, a list slot, a small object. */
  public static final long VALUE = 16;

  /** A string's object and array headers. */
  public static final long STRING = 40;

  /** An attribute set, a list or a record around them. */
  public static final long OBJECT = 32;

  static final long STEP = 64 * 1024;

  private final Permit permit; // null: unlimited
  private long charged;
  private long reserved;

  /** Charges reserved in {@code permit}. */
  public HeapCharge(Permit permit) {
    this.permit = java.util.Objects.requireNonNull(permit, "permit");
  }

  private HeapCharge() {
    this.permit = null;
    this.reserved = Long.MAX_VALUE;
  }

  /** A charge that reserves nothing (the journal's replay at start). */
  public static HeapCharge unlimited() {
    return new HeapCharge();
  }

  /**
   * Adds {@code bytes} to the charge.
   *
   * @throws dev.uat.web.HttpError 413 or 429 when the permit cannot grow (see {@link
   *     Permit#reserve})
   */
  public void add(long bytes) {
    charged += bytes;
    if (charged > reserved) {
      grow();
    }
  }

  /** Adds a string of {@code utf8Length} encoded bytes. */
  public void string(int utf8Length) {
    add(STRING + 2L * utf8Length);
  }

  /** Bytes charged so far. */
  public long charged() {
    return charged;
  }

  private void grow() {
    // a step of slack, but never past the budget: near it, reserve exactly what is needed
    long more = Math.max(charged - reserved, Math.min(charged + STEP - reserved, permit.room()));
    permit.reserve(more);
    reserved += more;
  }
}
