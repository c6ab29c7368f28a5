package dev.uat.observatory.otlp;

import dev.uat.observatory.ingest.HeapCharge;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads protobuf wire format from a byte array. Nested messages are read by narrowing the limit
 * ({@link #enter()} / {@link #exit(int)}); anything that runs past a limit or is not valid wire
 * format throws {@link OtlpFormatException}. Not thread-safe; one per request.
 */
final class ProtoReader {
  static final int WIRETYPE_VARINT = 0;
  static final int WIRETYPE_FIXED64 = 1;
  static final int WIRETYPE_LENGTH_DELIMITED = 2;
  static final int WIRETYPE_START_GROUP = 3;
  static final int WIRETYPE_END_GROUP = 4;
  static final int WIRETYPE_FIXED32 = 5;

  /** Deepest nesting of groups or values the reader follows. */
  static final int MAX_DEPTH = 64;

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  final byte[] buf;
  int pos;
  int limit;

  /** What the objects decoded from this reader cost; strings read are charged here. */
  HeapCharge charge = HeapCharge.unlimited();

  ProtoReader(byte[] buf) {
    this.buf = buf;
    this.limit = buf.length;
  }

  boolean hasMore() {
    return pos < limit;
  }

  int readTag() {
    long tag = readVarint();
    if (tag >>> 3 == 0 || tag > 0xFFFF_FFFFL) {
      throw new OtlpFormatException("invalid field tag " + tag + " at byte " + pos);
    }
    return (int) tag;
  }

  long readVarint() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= limit) {
        throw truncated();
      }
      byte b = buf[pos++];
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    throw new OtlpFormatException("varint longer than 10 bytes at byte " + pos);
  }

  long readFixed64() {
    require(8);
    long value = (long) LONG_LE.get(buf, pos);
    pos += 8;
    return value;
  }

  int readFixed32() {
    require(4);
    int value = (int) INT_LE.get(buf, pos);
    pos += 4;
    return value;
  }

  /** Eight bytes as a big-endian long: how trace and span ids are laid out. */
  long readLongBigEndian() {
    require(8);
    long value = (long) LONG_BE.get(buf, pos);
    pos += 8;
    return value;
  }

  /** The length prefix of a LEN field, checked against the current limit. */
  int readLength() {
    long length = readVarint();
    if (length < 0 || length > limit - pos) {
      throw new OtlpFormatException(
          "length " + length + " at byte " + pos + " runs past the end of its message");
    }
    return (int) length;
  }

  String readString() {
    int length = readLength();
    charge.string(length);
    String s = new String(buf, pos, length, StandardCharsets.UTF_8);
    pos += length;
    return s;
  }

  void skipBytes(int count) {
    require(count);
    pos += count;
  }

  /**
   * Reads the length prefix of an id field: when it is {@code expected}, the id's bytes follow
   * (read them with {@link #readLongBigEndian()}); otherwise they are skipped.
   *
   * @return the id's length
   */
  int readIdLength(int expected) {
    int length = readLength();
    if (length != expected) {
      skipBytes(length);
    }
    return length;
  }

  /** Reads a LEN prefix and narrows the limit to it; returns the limit to give to {@link #exit}. */
  int enter() {
    int length = readLength();
    int outer = limit;
    limit = pos + length;
    return outer;
  }

  /** Leaves a message entered with {@link #enter()}, skipping what was not read of it. */
  void exit(int outerLimit) {
    pos = limit;
    limit = outerLimit;
  }

  /** Skips the value of a field whose tag was just read, of any wire type. */
  void skip(int tag) {
    skip(tag, 0);
  }

  private void skip(int tag, int depth) {
    switch (tag & 7) {
      case WIRETYPE_VARINT -> readVarint();
      case WIRETYPE_FIXED64 -> skipBytes(8);
      case WIRETYPE_LENGTH_DELIMITED -> skipBytes(readLength());
      case WIRETYPE_FIXED32 -> skipBytes(4);
      case WIRETYPE_START_GROUP -> skipGroup(tag >>> 3, depth + 1);
      case WIRETYPE_END_GROUP ->
          throw new OtlpFormatException("unexpected end of group at byte " + pos);
      default ->
          throw new OtlpFormatException("invalid wire type " + (tag & 7) + " at byte " + pos);
    }
  }

  private void skipGroup(int fieldNumber, int depth) {
    if (depth > MAX_DEPTH) {
      throw new OtlpFormatException("groups nested deeper than " + MAX_DEPTH);
    }
    while (true) {
      int tag = readTag(); // throws at the limit: a group must be closed
      if ((tag & 7) == WIRETYPE_END_GROUP) {
        if (tag >>> 3 != fieldNumber) {
          throw new OtlpFormatException("mismatched end of group at byte " + pos);
        }
        return;
      }
      skip(tag, depth);
    }
  }

  private void require(int count) {
    if (count > limit - pos) {
      throw truncated();
    }
  }

  private OtlpFormatException truncated() {
    return new OtlpFormatException("message truncated at byte " + pos);
  }
}
