package dev.isola.gateway;

import dev.isola.api.Route;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The edge's hand-written matching agrees with the route table: edge routes stay here, the rest go behind. */
class EdgeRoutesTest {
    @ParameterizedTest
    @EnumSource(Route.class)
    void everyMethodOfARoute_reachesThePlaneTheTableNames(Route route) {
        String path = example(route.path());
        for (String method : route.methods()) {
            Optional<Route> matched = EdgeRouter.edgeRoute(HttpMethod.valueOf(method), path);
            if (route.plane() == Route.Plane.EDGE) {
                assertThat(matched).as(method + " " + path).hasValue(route);
            } else {
                assertThat(matched).as(method + " " + path + " goes to the control plane").isEmpty();
            }
        }
    }

    /** The template with example values in place of its parameters. */
    private static String example(String template) {
        return template.replace("{name}", "hello").replace("{rest}", "a/b").replace("{instanceId}", "hello.0123456789")
                .replace("{nonce}", "abc");
    }
}
