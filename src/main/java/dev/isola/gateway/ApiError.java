package dev.isola.gateway;

import dev.isola.api.ErrorBody;
import dev.isola.api.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** The API's error body as a complete response of the edge. */
final class ApiError {
    private ApiError() {
    }

    static FullHttpResponse response(ErrorCode code, String message) {
        return response(code.status(), code, message);
    }

    static FullHttpResponse response(int status, ErrorCode code, String message) {
        return json(HttpResponseStatus.valueOf(status), ErrorBody.json(code, message));
    }

    /** Transitional: an error named by its wire code. */
    static FullHttpResponse response(int status, String code, String message) {
        return response(status, ErrorCode.fromWire(code).orElseThrow(), message);
    }

    /** A failed call of a function: its request id in the body and in {@value RequestIds#HEADER}. */
    static FullHttpResponse failedCall(int status, String code, String message, String requestId) {
        FullHttpResponse response = json(HttpResponseStatus.valueOf(status),
                ErrorBody.json(ErrorCode.fromWire(code).orElseThrow(), message, requestId));
        response.headers().set(RequestIds.HEADER, requestId);
        return response;
    }

    static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }
}
