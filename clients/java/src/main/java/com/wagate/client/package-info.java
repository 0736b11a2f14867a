/**
 * The Java client of wagate, the gRPC gateway over the WhatsApp Business Cloud API.
 *
 * <p>The code generated from the contract ({@code proto/wagate/v1}) is in {@code com.wagate.v1}:
 * every request, response, event and service stub. This package adds what earns its place on
 * top of it:
 *
 * <ul>
 *   <li>{@link com.wagate.client.WagateClient}: a channel with TLS (or plaintext for a local
 *       sandbox) that sends the API key as {@code authorization: Bearer <key>} on every call,
 *       with a stub per service and {@link com.wagate.client.WagateClient#uploadMedia} for the
 *       client-streaming upload;
 *   <li>{@link com.wagate.client.EventSubscription}: a resumable event subscription that
 *       remembers the cursor of the last event it delivered and, when the stream breaks,
 *       subscribes again after it with exponential backoff;
 *   <li>{@link com.wagate.client.WagateErrors}: the {@code google.rpc.ErrorInfo} the gateway
 *       attaches to its errors.
 * </ul>
 */
package com.wagate.client;
