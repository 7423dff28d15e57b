package dev.gridmesh.relay.store;

/** The store could not be read or written (disk, corrupt file, lock held by another relay). */
public final class StoreException extends Exception {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
