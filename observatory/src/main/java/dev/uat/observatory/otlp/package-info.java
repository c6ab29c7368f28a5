/**
 * The OTLP trace receivers, over HTTP ({@link dev.uat.observatory.otlp.OtlpHttpReceiver}) and gRPC
 * ({@link dev.uat.observatory.otlp.OtlpGrpcReceiver}), and their hand-written decoders for the
 * protobuf and JSON encodings of {@code ExportTraceServiceRequest}.
 *
 * <p>The decoders read a request body already in memory, produce model spans directly (no
 * intermediate message objects) and reuse strings, resources and scopes that repeat from request to
 * request.
 */
package dev.uat.observatory.otlp;
