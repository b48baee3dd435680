package io.gantry.proxy;

import io.gantry.proxy.limit.ClientLimits;

import io.gantry.proxy.header.ForwardedHeaders;
import io.gantry.proxy.route.RouteTable;

/** What a {@link ProxyBuilder} collected, fixed for the life of one proxy. */
record ProxySettings(RouteTable routes, ProxyObserver observer, ForwardedHeaders forwardedHeaders,
    int maxQueuedPerUpstream, int maxConnectionsPerUpstream, boolean configureServer, ClientLimits clientLimits) {}
