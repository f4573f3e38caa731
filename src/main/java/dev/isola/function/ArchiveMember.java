package dev.isola.function;

/**
 * One member of a zip or tar archive as the extractor sees it, whatever the format.
 *
 * @param name         the raw member name, not yet validated
 * @param mode         Unix permission bits, or 0 when the archive does not record them
 * @param linkTarget   the symlink target for {@link Kind#SYMLINK}, else empty
 * @param declaredSize size from the header; trusted for tar (the stream is framed by it), a hint only for zip
 */
record ArchiveMember(String name, Kind kind, int mode, String linkTarget, long declaredSize) {
    enum Kind { DIRECTORY, FILE, SYMLINK, HARDLINK, SPECIAL }
}
