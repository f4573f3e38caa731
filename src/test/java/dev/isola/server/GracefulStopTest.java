package dev.isola.server;

import dev.isola.testing.Await;
import dev.isola.testing.Leaks;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stopping a server under load, as SIGTERM does (the shutdown hook closes the server): it takes no new connections,
 * {@code /healthz} on an open connection says 503 so a balancer moves away, new calls on open connections get 503
 * with the connection closed, and the calls in flight all get their answers before the instances stop.
 */
class GracefulStopTest {
    private static final int SLOW_CALLS = 16;

    @Test
    void close_letsEveryCallInFlightFinish_andTurnsNewOnesAway() throws Exception {
        TestIsola isola = TestIsola.withProbe();
        try (Socket keptOpen = new Socket("127.0.0.1", isola.server().port())) {
            int port = isola.server().port();
            assertThat(exchange(keptOpen, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
            List<CompletableFuture<HttpResponse<String>>> slow = IntStream.range(0, SLOW_CALLS)
                    .mapToObj(i -> isola.http().sendAsync(HttpRequest.newBuilder(isola.uri(
                            "/function/probe/sleep?ms=1500")).timeout(Duration.ofSeconds(60)).build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();
            Await.until(Duration.ofSeconds(30), () -> isola.server().dispatcher().instances().stream()
                    .mapToInt(i -> i.inFlight()).sum() == SLOW_CALLS, "the slow calls to be in flight");

            Thread stopping = Thread.ofPlatform().start(isola.server()::close);
            Await.until(Duration.ofSeconds(10), () -> refused(port), "the listener to close");
            assertThat(exchange(keptOpen, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
                    .startsWith("HTTP/1.1 503").contains("\"error\":\"unavailable\"");
            stopping.join(Duration.ofSeconds(60));

            assertThat(stopping.isAlive()).as("stop waits for the calls, not for ever").isFalse();
            for (CompletableFuture<HttpResponse<String>> call : slow) {
                HttpResponse<String> r = call.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("slept");
            }
        } finally {
            isola.close();
        }
        Leaks.assertNoChildProcesses();
    }

    @Test
    void aNewCallDuringTheDrain_is503AndItsConnectionCloses() throws Exception {
        TestIsola isola = TestIsola.withProbe();
        try (Socket keptOpen = new Socket("127.0.0.1", isola.server().port())) {
            assertThat(exchange(keptOpen, "GET /function/probe/echo/1 HTTP/1.1\r\nHost: x\r\n\r\n"))
                    .startsWith("HTTP/1.1 201");
            CompletableFuture<HttpResponse<String>> slow = isola.http().sendAsync(HttpRequest.newBuilder(
                    isola.uri("/function/probe/sleep?ms=2000")).build(), HttpResponse.BodyHandlers.ofString());
            Await.until(Duration.ofSeconds(30), () -> isola.server().dispatcher().instances().stream()
                    .mapToInt(i -> i.inFlight()).sum() == 1, "the slow call to be in flight");
            Thread stopping = Thread.ofPlatform().start(isola.server()::close);
            Await.until(Duration.ofSeconds(10), () -> refused(isola.server().port()), "the listener to close");

            String answer = exchange(keptOpen, "GET /function/probe/echo/2 HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("connection: close")
                    .contains("\"error\":\"unavailable\"");
            assertThat(slow.get().statusCode()).isEqualTo(200);
            stopping.join(Duration.ofSeconds(60));
        } finally {
            isola.close();
        }
    }

    @Test
    void aFollowedLog_doesNotHoldTheStopUp() throws Exception {
        TestIsola isola = TestIsola.withProbe();
        try {
            HttpResponse<java.util.stream.Stream<String>> followed = isola.http().send(HttpRequest.newBuilder(
                            isola.uri("/system/functions/probe/logs?follow=true"))
                    .header("Authorization", "Bearer " + isola.server().adminToken()).build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(followed.statusCode()).isEqualTo(200);

            Thread stopping = Thread.ofPlatform().start(isola.server()::close);
            stopping.join(Duration.ofSeconds(40));

            assertThat(stopping.isAlive()).as("the stop to finish with a follower connected").isFalse();
            followed.body().close();
        } finally {
            isola.close();
        }
    }

    private static boolean refused(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One request on a raw connection and its whole answer (this test's answers are short and carry a length). */
    private static String exchange(Socket socket, String request) throws IOException {
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        int length = head.toString().lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(15).trim())).findFirst().orElse(0);
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
