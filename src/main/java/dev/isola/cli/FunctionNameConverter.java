package dev.isola.cli;

import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Validates NAME arguments before any request: a name is spliced into URL paths, and a bad one should be a usage
 * error (exit 2) with the naming rule, not a confusing 404 from the server.
 */
final class FunctionNameConverter implements ITypeConverter<FunctionName> {
    @Override
    public FunctionName convert(String value) {
        try {
            return FunctionName.of(value);
        } catch (InvalidFunctionException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
