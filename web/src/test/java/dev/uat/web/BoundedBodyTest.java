package dev.uat.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BoundedBodyTest {
  /** A budget that records what is held and refuses past its capacity. */
  static final class Recording implements BoundedBody.Budget {
    final long capacity;
    long held;
    long peak;

    Recording(long capacity) {
      this.capacity = capacity;
    }

    @Override
    public void reserve(long bytes) {
      if (held + bytes > capacity) {
        throw new IllegalStateException("budget spent");
      }
      held += bytes;
      peak = Math.max(peak, held);
    }

    @Override
    public void release(long bytes) {
      held -= bytes;
    }
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  private static InputStream gunzipping(byte[] gzipped) throws IOException {
    return BoundedBody.Coding.GZIP.decoder(new ByteArrayInputStream(gzipped));
  }

  @Test
  void gzipBombIsStoppedAtTheCapHavingHeldNoMoreThanTheCap() throws Exception {
    byte[] bomb = gzip(new byte[10 * 1024 * 1024]);
    Recording budget = new Recording(Long.MAX_VALUE);

    assertThatThrownBy(() -> BoundedBody.read(gunzipping(bomb), -1, 100_000, 8192, budget))
        .isInstanceOf(BoundedBody.TooLarge.class);
    assertThat(budget.peak).isLessThanOrEqualTo(100_000);
    assertThat(budget.held).as("released on failure").isZero();
  }

  @Test
  void bodyOfExactlyTheCapIsAccepted() throws Exception {
    Recording budget = new Recording(Long.MAX_VALUE);
    try (BoundedBody body =
        BoundedBody.read(gunzipping(gzip(new byte[100_000])), -1, 100_000, 8192, budget)) {
      assertThat(body.length()).isEqualTo(100_000);
      assertThat(body.stream().readAllBytes()).hasSize(100_000);
    }
    assertThat(budget.held).isZero();
  }

  @Test
  void theBudgetsRefusalPassesThroughAndNothingStaysReserved() {
    Recording budget = new Recording(20_000);
    assertThatThrownBy(
            () ->
                BoundedBody.read(
                    new ByteArrayInputStream(new byte[50_000]), -1, 1_000_000, 8192, budget))
        .hasMessage("budget spent");
    assertThat(budget.held).isZero();
  }

  @Test
  void knownLengthIsReadIntoOneArrayWhichToArrayHandsOverWithItsReservation() throws Exception {
    Recording budget = new Recording(Long.MAX_VALUE);
    byte[] sent = "hello, world".getBytes();
    BoundedBody body =
        BoundedBody.read(new ByteArrayInputStream(sent), sent.length, 100, 8, budget);
    byte[] array = body.toArray();
    body.close();

    assertThat(array).isEqualTo(sent);
    assertThat(budget.peak).isEqualTo(sent.length);
    assertThat(budget.held).as("the caller's now").isEqualTo(sent.length);
  }

  @Test
  void chunkedBodyIsCopiedIntoOneArrayOfItsLength() throws Exception {
    Recording budget = new Recording(Long.MAX_VALUE);
    byte[] sent = new byte[200_000];
    sent[199_999] = 7;
    BoundedBody body = BoundedBody.read(new ByteArrayInputStream(sent), -1, 1 << 20, 8192, budget);
    byte[] array = body.toArray();

    assertThat(array).isEqualTo(sent);
    assertThat(budget.held).isEqualTo(sent.length);
  }

  @Test
  void cappedStreamCountsTheBytesAsReceived() {
    InputStream capped = BoundedBody.capped(new ByteArrayInputStream(new byte[1001]), 1000);
    assertThatThrownBy(capped::readAllBytes).isInstanceOf(BoundedBody.TooLarge.class);
  }

  @ParameterizedTest
  @CsvSource(
      nullValues = "null",
      value = {
        "null, IDENTITY",
        "identity, IDENTITY",
        "GZIP, GZIP",
        "x-gzip, GZIP",
        "'identity, deflate', DEFLATE",
        "br, null",
        "'gzip, deflate', null",
        "'gzip, gzip', null"
      })
  void contentEncodingNamesOneCodingAtMost(String header, BoundedBody.Coding expected) {
    assertThat(BoundedBody.Coding.of(header).orElse(null)).isEqualTo(expected);
  }
}
