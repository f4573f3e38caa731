package dev.isola.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A response read off a raw socket: status line, headers, and a Content-Length body if asked for. */
record RawResponse(int status, List<String[]> headers, byte[] bodyBytes) {
    String header(String name) {
        return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
    }

    String body() {
        return new String(bodyBytes, StandardCharsets.UTF_8);
    }

    static RawResponse readHead(InputStream in) throws IOException {
        String status = line(in);
        List<String[]> headers = new ArrayList<>();
        for (String l; !(l = line(in)).isEmpty(); ) {
            int colon = l.indexOf(':');
            headers.add(new String[] {l.substring(0, colon).trim(), l.substring(colon + 1).trim()});
        }
        return new RawResponse(Integer.parseInt(status.split(" ")[1]), headers, new byte[0]);
    }

    static RawResponse read(InputStream in) throws IOException {
        RawResponse head = readHead(in);
        String length = head.header("Content-Length");
        byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
        return new RawResponse(head.status, head.headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("connection closed mid-line: " + buf);
            }
            if (b != '\r') {
                buf.write(b);
            }
        }
        return buf.toString(StandardCharsets.US_ASCII);
    }
}
