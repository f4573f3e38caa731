package dev.isola.sandbox;

/** The isolation contract on {@code microvm} with Debian's generic cloud kernel (virtio drivers as modules). */
class MicrovmGenericContractTest extends MicrovmContractTest {
    @Override
    protected String kernel() {
        return "generic";
    }
}
