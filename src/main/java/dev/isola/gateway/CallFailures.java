package dev.isola.gateway;

import dev.isola.function.FunctionName;

/**
 * Where the edge notes, for the operator, why a call of a function failed: a caller gets only an error code, the
 * platform's words and a request id ({@link RequestIds}); the line written here carries the same id, so the operator
 * finds it beside what the instance printed. Called on an event loop, so it does no more than append a line to an
 * open file (as nginx writes its error log from its event loop).
 */
@FunctionalInterface
public interface CallFailures {
    CallFailures IGNORED = (function, line) -> { };

    void failed(FunctionName function, String line);
}
