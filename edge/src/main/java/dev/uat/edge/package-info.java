/**
 * The edge gateway ({@code uat-edge}): the one component users reach. It routes {@code /api/*} to
 * the api, {@code /v1/*} to the router and {@code /ws} to realtime, serves the web client, and is
 * where client input is first bounded: URLs re-encoded or refused ({@code ForwardTarget}), request
 * bodies decoded and held to a byte limit and an in-flight budget ({@code BodyReader} on {@code
 * web.BoundedBody}, {@code BodyBudget}), forwarding headers believed from trusted proxies only
 * ({@code Forwarding}). Every refusal is a JSON error and a count in {@code
 * uat.edge.requests.refused}. See RATIONALE.md.
 */
package dev.uat.edge;
