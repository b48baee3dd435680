/**
 * Per-client limits ({@link io.gantry.proxy.limit.ClientLimits}): requests in flight and a request
 * rate per client address, answered 429 by the proxy; a leaf package shared by routes and the proxy.
 */
package io.gantry.proxy.limit;
