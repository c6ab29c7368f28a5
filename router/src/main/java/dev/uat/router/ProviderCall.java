package dev.uat.router;

/**
 * One attempt of a request on one deployment: the step {@link Routing} repeats across retries and
 * fallbacks. {@link CallingProvider} is where the provider is really called; {@link GenAiTelemetry}
 * decorates it with the attempt's span and metrics.
 *
 * <p>Implementations are thread-safe and block until the provider answered (a stream: until its
 * first piece arrived, so that routing can still fail over until then).
 */
@FunctionalInterface
interface ProviderCall {
  /**
   * @return the answer, never {@linkplain Answer#failed() failed}
   * @throws dev.uat.router.provider.ProviderException the provider's failure
   */
  Answer call(Attempt attempt);

  /**
   * What one attempt works with.
   *
   * @param request the request, as the chain's last step received it
   * @param deployment where it goes
   * @param number 1 for the request's first attempt, then 2, 3, … across retries and fallbacks
   * @param fallbackIndex 0 for the first step of the fallback chain, 1 for the first fallback, …
   * @param lease the deployment's permit; a streamed answer keeps it until the stream ends
   */
  record Attempt(
      RouterRequest request,
      Deployment deployment,
      int number,
      int fallbackIndex,
      Routing.Lease lease) {}
}
