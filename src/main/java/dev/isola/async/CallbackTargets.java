package dev.isola.async;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where results may be delivered: only to hosts the operator named ({@code asyncCallbackHosts}), and never to the
 * admin listener, whose token a callback must not get near. A callback is a request the server makes for a caller
 * the server does not trust, so the check runs twice: on the URL when the call comes, and when the result goes
 * (both checks then: the operator may have changed {@code asyncCallbackHosts} between the two).
 */
final class CallbackTargets {
    private final List<String> allowed;
    private final Supplier<InetSocketAddress> admin;

    CallbackTargets(List<String> allowed, Supplier<InetSocketAddress> admin) {
        this.allowed = allowed.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.admin = admin;
    }

    /** Why {@code url} may not be a callback, if it may not. */
    Optional<String> refusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("X-Callback-Url is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("X-Callback-Url must be an http or https URL");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            return Optional.of("X-Callback-Url must name a host, without user info or fragment");
        }
        if (allowed.isEmpty()) {
            return Optional.of("callbacks are off on this server (the operator allows them with asyncCallbackHosts)");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        String hostAndPort = host + ":" + port(uri);
        if (!allowed.contains(host) && !allowed.contains(hostAndPort)) {
            return Optional.of("X-Callback-Url host " + hostAndPort + " is not in asyncCallbackHosts");
        }
        return Optional.empty();
    }

    /**
     * Why the result may not go to {@code uri}: it is the admin listener. On the admin listener's port the host must
     * be an address, not a name: a name resolved for this check is resolved again by the HTTP client when the result
     * goes, and may then point at the admin listener (DNS rebinding).
     */
    Optional<String> refusalOnSend(URI uri) {
        int port = port(uri);
        InetSocketAddress admin = this.admin.get();
        if (port != admin.getPort()) {
            return Optional.empty();
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            return Optional.of("the callback " + uri.getHost() + ":" + port + " is on the admin listener's port, "
                    + "where a callback must name its host by address (a name may resolve to the admin listener)");
        }
        try {
            if (address.isAnyLocalAddress() || address.isLoopbackAddress()
                    || NetworkInterface.getByInetAddress(address) != null || address.equals(admin.getAddress())) {
                return Optional.of("the callback " + uri.getHost() + ":" + port + " is Isola's admin listener");
            }
            return Optional.empty();
        } catch (SocketException e) {
            return Optional.of("the callback host " + uri.getHost() + " cannot be checked: " + e.getMessage());
        }
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
