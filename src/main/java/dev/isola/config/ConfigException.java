package dev.isola.config;

import dev.isola.IsolaException;

/** A configuration value is missing or wrong; the message names the key. */
public final class ConfigException extends IsolaException {
    public ConfigException(String message) {
        super(message);
    }
}
