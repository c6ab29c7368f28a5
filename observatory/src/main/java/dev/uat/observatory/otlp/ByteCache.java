package dev.uat.observatory.otlp;

import java.util.Arrays;

/**
 * A small lossy cache from encoded bytes to the value decoded from them: strings that repeat in
 * every request (attribute keys, span names) and whole resources and scopes decode once and are
 * then shared, which saves both decoding garbage and stored heap.
 *
 * <p>Direct-mapped: each key has one slot; a miss overwrites it. Thread-safe without locks: slots
 * hold immutable entries, so a racing reader sees an old entry, a new one or none.
 */
final class ByteCache<T> {
  @FunctionalInterface
  interface Decoder<T> {
    T decode(byte[] buf, int offset, int length);
  }

  private record Entry<T>(byte[] key, T value) {}

  private final Entry<T>[] slots;
  private final int mask;
  private final int maxKeyLength;

  /**
   * @param size number of slots, a power of two
   * @param maxKeyLength longer keys are decoded every time, not cached
   */
  @SuppressWarnings("unchecked")
  ByteCache(int size, int maxKeyLength) {
    if (Integer.bitCount(size) != 1) {
      throw new IllegalArgumentException("size must be a power of two: " + size);
    }
    this.slots = (Entry<T>[]) new Entry<?>[size];
    this.mask = size - 1;
    this.maxKeyLength = maxKeyLength;
  }

  T get(byte[] buf, int offset, int length, Decoder<T> decoder) {
    if (length > maxKeyLength) {
      return decoder.decode(buf, offset, length);
    }
    int slot = hash(buf, offset, length) & mask;
    Entry<T> entry = slots[slot];
    if (entry != null
        && Arrays.equals(entry.key, 0, entry.key.length, buf, offset, offset + length)) {
      return entry.value;
    }
    T value = decoder.decode(buf, offset, length);
    slots[slot] = new Entry<>(Arrays.copyOfRange(buf, offset, offset + length), value);
    return value;
  }

  private static int hash(byte[] buf, int offset, int length) {
    int h = length;
    for (int i = offset, end = offset + length; i < end; i++) {
      h = 31 * h + buf[i];
    }
    return h ^ (h >>> 16);
  }
}
