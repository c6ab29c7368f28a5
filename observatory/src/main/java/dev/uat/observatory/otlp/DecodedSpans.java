package dev.uat.observatory.otlp;

import dev.uat.observatory.model.Span;
import java.util.ArrayList;
import java.util.List;

/** What a decoder made of a request: the valid spans and how many it rejected, and why. */
final class DecodedSpans {
  final List<Span> spans = new ArrayList<>();
  int rejected;
  String firstRejection; // null when none

  void reject(String reason) {
    rejected++;
    if (firstRejection == null) {
      firstRejection = reason;
    }
  }

  /** The {@code error_message} of a partial success. */
  String rejectionMessage() {
    return rejected
        + (rejected == 1 ? " span" : " spans")
        + " rejected; the first because "
        + firstRejection;
  }
}
