package dev.uat.observatory.otlp;

import java.util.Arrays;

/** A growable list of (offset, length) pairs of messages to read later. */
final class IntPairs {
  private int[] pairs = new int[16];
  private int size;

  void add(int offset, int length) {
    if (2 * size + 2 > pairs.length) {
      pairs = Arrays.copyOf(pairs, pairs.length * 2);
    }
    pairs[2 * size] = offset;
    pairs[2 * size + 1] = length;
    size++;
  }

  int size() {
    return size;
  }

  int offset(int i) {
    return pairs[2 * i];
  }

  int length(int i) {
    return pairs[2 * i + 1];
  }

  void clear() {
    size = 0;
  }
}
