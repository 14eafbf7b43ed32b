/// The release both executables report (`--version`, `/health`, ublkctl's User-Agent). A constant in the source
/// rather than `git describe` at build time: a build from a release tarball has no repository to ask.
public enum UblkdVersion {
    public static let current = "0.2.0"
}
