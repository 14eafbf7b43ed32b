/// How a device should move data. `auto` takes zero copy where the kernel grants `UBLK_F_AUTO_BUF_REG` and the
/// target never needs the data, copy elsewhere (every 6.12 kernel).
public enum IOModePreference: String, DefinitionChoice {
    case auto
    case copy
    case zeroCopy = "zero_copy"

    public static let fieldName = "io_mode"
}
