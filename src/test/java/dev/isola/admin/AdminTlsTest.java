package dev.isola.admin;

import dev.isola.IsolaException;
import dev.isola.config.AdminListener;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The admin API over HTTPS from the operator's PEM files: the token and the API only over TLS, the CLI trusting the
 * certificate with {@code --admin-ca}, plain HTTP refused, unreadable files a start-up error naming the keys.
 */
class AdminTlsTest {
    private static final String PASSWORD = "changeit";

    @TempDir
    Path dir;

    @Test
    void adminApi_servesHttpsOnly_withTheOperatorsCertificate() throws Exception {
        Path[] pem = selfSigned();
        AdminListener.Tls tls = new AdminListener.Tls(pem[0], pem[1]);
        try (TestIsola isola = TestIsola.start("process", c -> c.withAdmin(
                new AdminListener("127.0.0.1", 0, Optional.of(tls))))) {
            URI admin = isola.server().adminUri();
            assertThat(admin.getScheme()).isEqualTo("https");

            HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(pem[0])).build();
            HttpResponse<String> list = trusting.send(HttpRequest.newBuilder(admin.resolve("/system/functions"))
                    .header("Authorization", "Bearer " + isola.server().adminToken()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);

            URI plain = URI.create("http://127.0.0.1:" + admin.getPort() + "/system/functions");
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(plain)
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("no plain HTTP on the TLS listener").isInstanceOf(IOException.class);

            HttpResponse<String> untrusted = null;
            try {
                untrusted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(admin.resolve("/metrics"))
                        .build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException expected) {
                // a client that does not trust the certificate does not get through
            }
            assertThat(untrusted).isNull();

            Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.isola.cli.IsolaCommand", "list",
                    "--admin-url", admin.toString(), "--admin-ca", pem[0].toString(),
                    "--token", isola.server().adminToken()).redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(cli.exitValue()).as(out).isZero();
        }
    }

    @Test
    void unreadableTlsFiles_failTheStart_namingTheKeys() {
        AdminListener.Tls missing = new AdminListener.Tls(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        assertThatThrownBy(() -> TestIsola.start("process", c -> c.withAdmin(
                new AdminListener("127.0.0.1", 0, Optional.of(missing))).withPort(0)).close())
                .isInstanceOf(IsolaException.class).hasMessageContaining("adminTlsCert");
    }

    /** A self-signed certificate for 127.0.0.1 and its key, as PEM files: made by keytool, written out here. */
    private Path[] selfSigned() throws Exception {
        Path store = dir.resolve("tls.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "isola", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("isola").getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", ks.getKey("isola", PASSWORD.toCharArray()).getEncoded()));
        return new Path[] {cert, key};
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            Certificate cert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            trusted.setCertificateEntry("isola", cert);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
