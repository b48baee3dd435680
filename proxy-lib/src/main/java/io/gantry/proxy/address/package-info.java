/**
 * IP address blocks ({@link io.gantry.proxy.address.Cidr}, {@link
 * io.gantry.proxy.address.AddressRanges}), parsed without DNS; a leaf package the header and route
 * packages share.
 */
package io.gantry.proxy.address;
